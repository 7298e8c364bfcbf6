"""The words about an alert that leave the instance, in the installation's language. How much of an alert
may leave (envelope, notice, headline, full text) is the sharing policy's decision, made per delivery and
carried by `Outgoing.disclosure`; this module only writes each level out, the same way for every channel.

An e-mail has two parts saying the same: plain text without Markdown syntax, and inert HTML (inline styles,
nothing loaded on opening, links only to this installation: `rendering.inert_email_html`). Both are written
from one list of blocks (`_blocks`), so neither can say more than the other.

The alerts area writes its messages and the channels carry them: `Outgoing` is the `channels.base.Content`
the sending loop hands each channel, named as the composer in `channels.registry.COMPOSER` (channels,
below alerts in the layer order, never import this module).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property
from html import escape

from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ceptoar.alerts.links import ack_url_for
from ceptoar.alerts.models import CORRECTION_MARK, Alert
from ceptoar.alerts.rendering import (
    fold_html,
    fold_text,
    inert_email_html,
    markdown_as_email_html,
    markdown_as_text,
)
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
    def html(self) -> str:
        return html(self)

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


# -- what is the same for every delivery of an alert -------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """One organisation on the way from the original's sender to this alert's, and the note it added."""

    organisation: str
    note: str


# The ids of an alert and of every alert it relays, up to the original: a handful of rows, however many
# relays the original has.
_CHAIN_IDS = """
WITH RECURSIVE chain (id, parent_id) AS (
    SELECT id, parent_id FROM {table} WHERE id = %s
    UNION ALL
    SELECT relayed.id, relayed.parent_id FROM {table} relayed JOIN chain ON relayed.id = chain.parent_id
)
SELECT id FROM chain
"""


def hop_chain(alert: Alert) -> list[Hop]:
    """From the original's sender down to this alert's, each with its relay note (one query for a relay).

    A relay keeps or narrows its parent's audience and keeps or raises its marking
    (`sharing.policy.validate_relay`), so whoever may read this alert's content may read every alert above
    it: the notes of the hops above are no more than what this alert's readers may see."""
    if alert.parent_id is None:
        return [Hop(alert.origin_organisation.name, alert.relay_note)]
    # Only the quoted table name is formatted into the statement; the id is a parameter.
    table = connection.ops.quote_name(Alert._meta.db_table)
    ids = RawSQL(_CHAIN_IDS.format(table=table), [alert.pk])  # noqa: S611
    rows = {
        pk: (parent_id, Hop(name, note))
        for pk, parent_id, name, note in Alert.objects.filter(pk__in=ids)
        .order_by()
        .values_list("pk", "parent_id", "origin_organisation__name", "relay_note")
    }
    chain, pk = [], alert.pk
    while pk in rows:
        parent_id, hop = rows[pk]
        chain.append(hop)
        pk = parent_id
    return list(reversed(chain))


class AlertWords:
    """What every message about one alert says alike: its hops and its body, as text and as HTML. Read and
    rendered once per alert and batch, never per delivery (`words`)."""

    def __init__(self, alert: Alert) -> None:
        self.alert = alert

    @cached_property
    def hops(self) -> list[Hop]:
        return hop_chain(self.alert)

    @cached_property
    def body_text(self) -> str:
        return markdown_as_text(self.alert.body)

    @cached_property
    def body_html(self) -> str:
        return markdown_as_email_html(self.alert.body)


_WORDS = "_outgoing_words"


def words(alert: Alert) -> AlertWords:
    """The alert's `AlertWords`, kept on the alert instance itself. A send batch loads each of its alerts
    once and hands that one instance to every delivery of it (`channels.services.sending.claim`), so what
    is kept here lives as long as the batch: no query or rendering is repeated per delivery, and nothing is
    carried over to the next batch, which reads the alert afresh."""
    found = alert.__dict__.get(_WORDS)
    if found is None:
        found = alert.__dict__[_WORDS] = AlertWords(alert)
    return found


# -- the message, as blocks ------------------------------------------------------------------------------


def _shows_title(outgoing: Outgoing) -> bool:
    return outgoing.disclosure >= Disclosure.HEADLINE


def subject_marks(outgoing: Outgoing) -> list[str]:
    """The marks that come first, in the subject and on the message's first line, before the TLP marking:
    【訓練/EXERCISE】 on an exercise's traffic, and 【訂正】 on a correction whose subject carries no title (an
    envelope or a notice: where the title is shown, it already starts with the mark)."""
    marks = [EXERCISE_MARK] if outgoing.alert.exercise_id is not None else []
    if outgoing.alert.is_correction and not _shows_title(outgoing):
        marks.append(CORRECTION_MARK)
    return marks


def tlp_marking(outgoing: Outgoing) -> str:
    """The first line of every message (and its last, under the content): its marks and the TLP marking."""
    return " ".join([*subject_marks(outgoing), f"[{outgoing.alert.get_tlp_display()}]"])


def _title(alert: Alert) -> str:
    # An exercise's title starts with the exercise mark, which the subject already carries at its head.
    return alert.title.removeprefix(EXERCISE_MARK).strip() if alert.exercise_id is not None else alert.title


def subject(outgoing: Outgoing) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        reminder = _("[Receipt not yet confirmed] ") if outgoing.escalation_step else ""
        if outgoing.disclosure == Disclosure.ENVELOPE:
            return f"{tlp_marking(outgoing)} {reminder}" + _("An alert for your organisation to relay")
        if outgoing.disclosure == Disclosure.NOTICE:
            return f"{tlp_marking(outgoing)} {reminder}" + _("An alert awaits you on the portal")
        return f"{tlp_marking(outgoing)} {reminder}{_title(outgoing.alert)}"


@dataclass(frozen=True)
class _Block:
    """One part of a message. `kind`: marking, warning, words, title, facts, note, body or link (`text` then
    holds `%(url)s` where `url` goes)."""

    kind: str
    text: str = ""
    heading: str = ""
    url: str = ""


def _published(alert) -> str:
    published = timezone.localtime(alert.published_at) if alert.published_at else None
    return published.strftime("%Y-%m-%d %H:%M %Z") if published else ""


def _facts(outgoing: Outgoing, *, content: bool) -> _Block:
    alert = outgoing.alert
    lines = [_("Sent by: %(organisation)s") % {"organisation": alert.origin_organisation.name}]
    hops = words(alert).hops
    if len(hops) > 1:
        lines.append(_("Route: %(route)s") % {"route": " → ".join(hop.organisation for hop in hops)})
    if content:
        lines += [
            _("Category: %(category)s") % {"category": alert.get_category_display()},
            _("Severity: %(severity)s") % {"severity": alert.get_severity_display()},
        ]
    if alert.published_at:
        lines.append(_("Published: %(time)s") % {"time": _published(alert)})
    return _Block("facts", "\n".join(lines))


def _ack_blocks(outgoing: Outgoing) -> list[_Block]:
    url = ack_url(outgoing)
    if not url:
        return []
    return [_Block("link", _("Please confirm receipt for your organisation: %(url)s"), url=url)]


def _blocks(outgoing: Outgoing) -> list[_Block]:
    """The message, marking first so that it is seen before anything else. What each disclosure carries:
    an envelope, the marking, sender, route and times (what an intermediate hop sees on the portal); a
    notice, the marking and the portal link; a headline adds title, category and severity; the full text
    adds every hop's note and the body."""
    alert = outgoing.alert
    blocks = [_Block("marking", tlp_marking(outgoing))]
    if outgoing.escalation_step:
        # Why a backup contact or the head gets this: so they act rather than assume someone else has.
        blocks.append(
            _Block(
                "warning",
                _(
                    "Your organisation has not yet confirmed receipt of this alert, so it is also being sent "
                    "to you. Please make sure it is handled, and confirm receipt with the link below."
                ),
            )
        )
    if outgoing.disclosure == Disclosure.ENVELOPE:
        blocks += [
            _Block(
                "words",
                _(
                    "An alert marked %(tlp)s is to be passed on by your organisation. Its content is for its "
                    "recipients only: it is not shown to you, here or on the portal. Relay it on the portal."
                )
                % {"tlp": alert.get_tlp_display()},
            ),
            _facts(outgoing, content=False),
            _Block("link", _("On the portal (sign-in required): %(url)s"), url=outgoing.portal_url),
            *_ack_blocks(outgoing),
        ]
        return blocks
    if outgoing.disclosure == Disclosure.NOTICE:
        blocks += [
            _Block(
                "words",
                _(
                    "A %(tlp)s alert awaits you on the portal. Its content is not sent by e-mail or other channels."
                )
                % {"tlp": alert.get_tlp_display()},
            ),
            _Block("link", _("Read it here (sign-in required): %(url)s"), url=outgoing.portal_url),
            *_ack_blocks(outgoing),
        ]
        return blocks
    blocks += [_Block("title", alert.title), _facts(outgoing, content=True)]
    if outgoing.disclosure >= Disclosure.FULL:
        # Each relaying organisation's note, down to the recipient's own CEPTOAR or sub-group.
        blocks += [
            _Block(
                "note",
                hop.note.strip(),
                heading=_("Note from %(organisation)s") % {"organisation": hop.organisation},
            )
            for hop in words(alert).hops
            if hop.note.strip()
        ]
        if alert.body.strip():
            blocks.append(_Block("body"))
    blocks += [
        _Block("link", _("On the portal: %(url)s"), url=outgoing.portal_url),
        *_ack_blocks(outgoing),
        _Block("marking", tlp_marking(outgoing)),
    ]
    return blocks


# -- the message as plain text and as HTML ---------------------------------------------------------------

_RULE = "―" * 20


def text(outgoing: Outgoing) -> str:
    """The plain-text part: what the blocks say, without markup."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = []
        for block in _blocks(outgoing):
            if block.kind == "note":
                parts.append(f"■ {block.heading}\n{block.text}")
            elif block.kind == "body":
                parts.append(f"{_RULE}\n{words(outgoing.alert).body_text}\n{_RULE}")
            elif block.kind == "link":
                parts.append(block.text % {"url": block.url})
            else:
                parts.append(block.text)
        return fold_text("\n\n".join(parts)) + "\n"


# The TLP 2.0 colours, on black.
_TLP_COLOURS = {
    Tlp.CLEAR: "#ffffff",
    Tlp.GREEN: "#33ff00",
    Tlp.AMBER: "#ffc000",
    Tlp.AMBER_STRICT: "#ffc000",
    Tlp.RED: "#ff2b2b",
}
_STYLES = {
    "page": "font-family:sans-serif;font-size:15px;line-height:1.7;color:#1a1a1a;max-width:760px",
    "mark": "background-color:#6a1b9a;color:#ffffff;font-weight:bold;font-size:18px;padding:6px 12px;margin:0 0 8px",
    "tlp": "background-color:#000000;font-weight:bold;font-family:monospace;padding:2px 8px",
    "line": "margin:0 0 12px",
    "warning": "margin:0 0 12px;padding:8px 12px;background-color:#fff4ce;border-left:4px solid #c77700",
    "title": "font-size:22px;line-height:1.4;margin:8px 0 12px",
    "facts": "margin:0 0 12px;color:#333333",
    "note": "margin:0 0 12px;padding:8px 12px;background-color:#eef5fc;border-left:4px solid #0b5cad",
    "note-heading": "margin:0;font-weight:bold",
    "note-text": "margin:4px 0 0",
    "body": "margin:0 0 12px;padding:12px 0 0;border-top:1px solid #cccccc",
    "link": "color:#0b5cad;font-weight:bold",
}
_DOCUMENT = (
    '<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n</head>\n<body>\n{body}\n</body>\n</html>\n'
)


def _lines(value: str) -> str:
    return "<br>\n".join(escape(line) for line in value.split("\n"))


def _html_block(outgoing: Outgoing, block: _Block) -> str:
    style = _STYLES
    if block.kind == "marking":
        marks = "".join(
            f'<div style="{style["mark"]}">{escape(mark)}</div>\n' for mark in subject_marks(outgoing)
        )
        tlp = outgoing.alert.tlp
        colour = _TLP_COLOURS.get(tlp, "#ffffff")
        label = escape(outgoing.alert.get_tlp_display())
        return f'{marks}<p style="{style["line"]}"><span style="{style["tlp"]};color:{colour}">{label}</span></p>'
    if block.kind == "warning":
        return f'<p style="{style["warning"]}">{_lines(block.text)}</p>'
    if block.kind == "title":
        return f'<h1 style="{style["title"]}">{escape(block.text)}</h1>'
    if block.kind == "facts":
        return f'<p style="{style["facts"]}">{_lines(block.text)}</p>'
    if block.kind == "note":
        return (
            f'<div style="{style["note"]}">\n<p style="{style["note-heading"]}">{escape(block.heading)}</p>\n'
            f'<p style="{style["note-text"]}">{_lines(block.text)}</p>\n</div>'
        )
    if block.kind == "body":
        return f'<div style="{style["body"]}">\n{words(outgoing.alert).body_html}\n</div>'
    if block.kind == "link":
        url = escape(block.url)
        anchor = f'<a href="{url}" style="{style["link"]}">{url}</a>'
        return f'<p style="{style["line"]}">{escape(block.text).replace("%(url)s", anchor)}</p>'
    return f'<p style="{style["line"]}">{_lines(block.text)}</p>'


def html(outgoing: Outgoing) -> str:
    """The HTML part: the same blocks, styled inline, passed through the sanitiser as a whole so that it
    loads nothing and links only to this installation."""
    with translation.override(settings.LANGUAGE_CODE):
        inner = "\n".join(_html_block(outgoing, block) for block in _blocks(outgoing))
    page = f'<div style="{_STYLES["page"]}">\n{inner}\n</div>'
    own = settings.CEPTOAR_BASE_URL.rstrip("/") + "/"
    return _DOCUMENT.format(lang=escape(settings.LANGUAGE_CODE), body=fold_html(inert_email_html(page, own)))


def ack_url(outgoing: Outgoing) -> str:
    """The link that confirms receipt for the recipient organisation; none in RED notices: those go to
    named people, not to an organisation that acknowledges."""
    return "" if outgoing.alert.tlp == Tlp.RED else ack_url_for(outgoing.delivery_id)


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
