"""The words about an alert that leave the instance, in the installation's language. How much of an alert
may leave (envelope, notice, headline, full text) is the sharing policy's decision, made per delivery and
carried by `Outgoing.disclosure`; this module only writes each level out, the same way for every channel.

The alerts area writes its messages and the channels carry them: `Outgoing` is the `channels.base.Content`
the sending loop hands each channel, named as the composer in `channels.registry.COMPOSER` (channels,
below alerts in the layer order, never import this module).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ceptoar.alerts.links import ack_url_for
from ceptoar.alerts.models import Alert
from ceptoar.channels.base import Content
from ceptoar.exercises.models import MARK as EXERCISE_MARK
from ceptoar.sharing.models import Tlp
from ceptoar.sharing.policy import Disclosure


@dataclass(frozen=True)
class Outgoing(Content):
    """One delivery of an alert, as the sending loop knows it, and the message written from it. Each part
    is written when a channel first reads it: an e-mail built from its batch's template (the e-mail
    channel's) costs only its acknowledgement link. `disclosure` is how much of the alert may leave on this
    channel, as the sharing policy decided for this recipient (`policy.outbound_disclosure`): envelope,
    notice, headline or the full text."""

    delivery_id: int
    address: str
    alert: Alert
    disclosure: Disclosure
    portal_url: str
    # "backup" or "head" when an escalation step resends because receipt was not confirmed in time.
    escalation_step: str = ""

    @cached_property
    def subject(self) -> str:
        return subject(self)

    @cached_property
    def text(self) -> str:
        return text(self)

    @cached_property
    def short_text(self) -> str:
        return chat_text(self)

    @cached_property
    def data(self) -> dict:
        return webhook_payload(self)

    @property
    def template_key(self) -> Hashable:
        # Everything the words depend on but the acknowledgement link.
        return (self.alert.pk, self.disclosure, self.escalation_step)

    @cached_property
    def personal(self) -> tuple[str, ...]:
        url = ack_url(self)
        return (url,) if url else ()


def _shows_title(outgoing: Outgoing) -> bool:
    return outgoing.disclosure >= Disclosure.HEADLINE


def tlp_marking(outgoing: Outgoing) -> str:
    marking = f"[{outgoing.alert.get_tlp_display()}]"
    # A notice without content has no title to carry the exercise mark: the marking line carries it.
    if outgoing.alert.exercise_id is not None and not _shows_title(outgoing):
        return f"{EXERCISE_MARK} {marking}"
    return marking


def subject(outgoing: Outgoing) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        reminder = _("[Receipt not yet confirmed] ") if outgoing.escalation_step else ""
        if outgoing.disclosure == Disclosure.ENVELOPE:
            return f"{tlp_marking(outgoing)} {reminder}" + _("An alert for your organisation to relay")
        if outgoing.disclosure == Disclosure.NOTICE:
            return f"{tlp_marking(outgoing)} {reminder}" + _("An alert awaits you on the portal")
        return f"{tlp_marking(outgoing)} {reminder}{outgoing.alert.title}"


def _escalation_lines(outgoing: Outgoing) -> list[str]:
    """Why a backup contact or the head gets this: so they act rather than assume someone else has."""
    if not outgoing.escalation_step:
        return []
    return [
        _(
            "Your organisation has not yet confirmed receipt of this alert, so it is also being sent to "
            "you. Please make sure it is handled, and confirm receipt with the link below."
        ),
        "",
    ]


def _published(alert) -> str:
    published = timezone.localtime(alert.published_at) if alert.published_at else None
    return published.strftime("%Y-%m-%d %H:%M %Z") if published else ""


def text(outgoing: Outgoing) -> str:
    """Plain-text body of an e-mail: the marking first, so it is seen before anything else."""
    alert = outgoing.alert
    with translation.override(settings.LANGUAGE_CODE):
        lines = [tlp_marking(outgoing), "", *_escalation_lines(outgoing)]
        if outgoing.disclosure == Disclosure.ENVELOPE:
            lines += [
                _(
                    "An alert marked %(tlp)s is to be passed on by your organisation. Its content is for its "
                    "recipients only: it is not shown to you, here or on the portal. Relay it on the portal."
                )
                % {"tlp": alert.get_tlp_display()},
                "",
                _("Sent by: %(organisation)s") % {"organisation": alert.origin_organisation.name},
            ]
            if alert.published_at:
                lines.append(_("Published: %(time)s") % {"time": _published(alert)})
            lines += ["", _("On the portal (sign-in required): %(url)s") % {"url": outgoing.portal_url}]
            lines += _ack_lines(outgoing)
        elif outgoing.disclosure == Disclosure.NOTICE:
            lines += [
                _(
                    "A %(tlp)s alert awaits you on the portal. Its content is not sent by e-mail or other channels."
                )
                % {"tlp": alert.get_tlp_display()},
                "",
                _("Read it here (sign-in required): %(url)s") % {"url": outgoing.portal_url},
            ]
            lines += _ack_lines(outgoing)
        else:
            lines += [
                alert.title,
                "",
                _("Sent by: %(organisation)s") % {"organisation": alert.origin_organisation.name},
                _("Category: %(category)s") % {"category": alert.get_category_display()},
                _("Severity: %(severity)s") % {"severity": alert.get_severity_display()},
            ]
            if alert.published_at:
                lines.append(_("Published: %(time)s") % {"time": _published(alert)})
            lines.append("")
            if outgoing.disclosure >= Disclosure.FULL:
                lines += [alert.body.strip(), ""]
            lines += [
                _("On the portal: %(url)s") % {"url": outgoing.portal_url},
                *_ack_lines(outgoing),
                "",
                tlp_marking(outgoing),
            ]
        return "\n".join(lines) + "\n"


def ack_url(outgoing: Outgoing) -> str:
    """The link that confirms receipt for the recipient organisation; none in RED notices: those go to
    named people, not to an organisation that acknowledges."""
    return "" if outgoing.alert.tlp == Tlp.RED else ack_url_for(outgoing.delivery_id)


def _ack_lines(outgoing: Outgoing) -> list[str]:
    url = ack_url(outgoing)
    if not url:
        return []
    return ["", _("Please confirm receipt for your organisation: %(url)s") % {"url": url}]


def chat_text(outgoing: Outgoing) -> str:
    """A line and the portal link: the policy never lets a body out on chat, and a title only where it says."""
    return f"{subject(outgoing)}\n{outgoing.portal_url}"


def webhook_payload(outgoing: Outgoing) -> dict:
    alert = outgoing.alert
    if not _shows_title(outgoing):
        payload = {"id": alert.pk, "tlp": alert.tlp, "url": outgoing.portal_url}
        if outgoing.disclosure == Disclosure.ENVELOPE:
            # What the receiving system needs to pass the alert on, and nothing of its content.
            payload |= {
                "envelope": True,
                "sender": alert.origin_organisation.code,
                "published_at": alert.published_at.isoformat() if alert.published_at else None,
            }
        return {"delivery_id": outgoing.delivery_id, "alert": payload}
    return {
        "delivery_id": outgoing.delivery_id,
        "alert": {
            "id": alert.pk,
            "title": alert.title,
            "tlp": alert.tlp,
            "category": alert.category,
            "severity": alert.severity,
            "published_at": alert.published_at.isoformat() if alert.published_at else None,
            "url": outgoing.portal_url,
        },
    }
