"""The words that leave the instance, in the installation's language. One place, so that what a TLP
marking allows out (RED: a notice only) is decided once for every channel."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ceptoar.alerts.acknowledgements import ack_url_for
from ceptoar.channels.base import Outgoing
from ceptoar.exercises.models import MARK as EXERCISE_MARK
from ceptoar.sharing.models import Tlp


def tlp_marking(outgoing: Outgoing) -> str:
    marking = f"[{outgoing.alert.get_tlp_display()}]"
    # A notice without content has no title to carry the exercise mark: the marking line carries it.
    if outgoing.alert.exercise_id is not None and not outgoing.with_content:
        return f"{EXERCISE_MARK} {marking}"
    return marking


def subject(outgoing: Outgoing) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        reminder = _("[Receipt not yet confirmed] ") if outgoing.escalation_step else ""
        if not outgoing.with_content:
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


def text(outgoing: Outgoing) -> str:
    """Plain-text body of an e-mail: the marking first, so it is seen before anything else."""
    alert = outgoing.alert
    with translation.override(settings.LANGUAGE_CODE):
        lines = [tlp_marking(outgoing), "", *_escalation_lines(outgoing)]
        if not outgoing.with_content:
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
            published = timezone.localtime(alert.published_at) if alert.published_at else None
            lines += [
                alert.title,
                "",
                _("Sent by: %(organisation)s") % {"organisation": alert.origin_organisation.name},
                _("Category: %(category)s") % {"category": alert.get_category_display()},
                _("Severity: %(severity)s") % {"severity": alert.get_severity_display()},
            ]
            if published:
                lines.append(_("Published: %(time)s") % {"time": published.strftime("%Y-%m-%d %H:%M %Z")})
            lines += [
                "",
                alert.body.strip(),
                "",
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
    """Chat services are third parties: a headline and the portal link, never the body."""
    return f"{subject(outgoing)}\n{outgoing.portal_url}"


def webhook_payload(outgoing: Outgoing) -> dict:
    alert = outgoing.alert
    if not outgoing.with_content:
        return {
            "delivery_id": outgoing.delivery_id,
            "alert": {"id": alert.pk, "tlp": alert.tlp, "url": outgoing.portal_url},
        }
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
