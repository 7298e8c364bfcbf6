"""Every kind of contact channel (連絡手段), one line each: the one place a kind is declared.

A line gives the kind's name, its column names in a registry import file, the check an address of that kind
must pass, and, for a kind messages are sent through, the dotted path of the class in its own folder under
`channels/` that sends them, with the name its deliveries go by. `registry.models.ChannelKind`, the
importer's columns and the channel registry (`channels.registry`) are all made from this table, so adding a
kind of channel is this line and that folder. The table lives in the registry area, the lowest, because the
registry keeps the addresses members give, telephone numbers too; naming the sending class by path keeps it
from importing anything above it (`channels.checks` makes sure every path leads to a channel when the site
starts)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ceptoar.utilities import outbound

_PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ()]{5,30}$")
_URL_VALIDATOR = URLValidator(schemes=["http", "https"])
_APPRISE_SCHEMES = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")


def _check_reachable(host: str) -> None:
    """The outbound policy: a member's webhook or chat address may not lead into an internal network."""
    try:
        outbound.check_if_resolvable(host)
    except outbound.Refused as refused:
        raise ValidationError(refused.message()) from None


def check_email(value: str) -> None:
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(_("%(value)s is not an e-mail address.") % {"value": value}) from None


def check_phone_number(value: str) -> None:
    if not _PHONE_RE.match(value):
        raise ValidationError(_("%(value)s is not a telephone number.") % {"value": value})


def check_webhook_url(value: str) -> None:
    try:
        _URL_VALIDATOR(value)
    except ValidationError:
        raise ValidationError(_("%(value)s is not an http(s) URL.") % {"value": value}) from None
    _check_reachable(urlsplit(value).hostname)


def check_chat_url(value: str) -> None:
    # Chat gateways are addressed by Apprise URLs (slack://…, mmost://…) as well as http(s).
    if not _APPRISE_SCHEMES.match(value):
        raise ValidationError(_("%(value)s is not a chat URL.") % {"value": value})
    try:
        host = outbound.chat_host(value)
    except outbound.UnusableChatUrl as error:
        raise ValidationError(error.message()) from None
    if host is not None:
        _check_reachable(host)


@dataclass(frozen=True)
class ChannelKindLine:
    label: Promise  # the contact channel kind's name
    csv_columns: tuple[str, ...]  # its Japanese column names in an import file, the first one in problems
    check: Callable[[str], None]  # raises ValidationError for an address that is not one of this kind
    sent_by: str = ""  # dotted path of the channels.base.Channel subclass; "" for a kind a person dials
    delivery_label: Promise | None = None  # what its deliveries are called


# In the order the choices have always had: the database's choices (and migrations) follow it.
CHANNEL_KINDS: dict[str, ChannelKindLine] = {
    "email": ChannelKindLine(
        _("E-mail"),
        ("電子メール", "メール"),
        check_email,
        sent_by="ceptoar.channels.email.EmailChannel",
        delivery_label=_("E-mail"),
    ),
    "phone": ChannelKindLine(_("Telephone"), ("電話",), check_phone_number),
    "mobile": ChannelKindLine(_("Mobile phone"), ("携帯電話",), check_phone_number),
    "fax": ChannelKindLine(_("FAX"), ("FAX",), check_phone_number),
    "satellite_phone": ChannelKindLine(_("Satellite phone"), ("衛星電話",), check_phone_number),
    "webhook": ChannelKindLine(
        _("Webhook URL"),
        ("Webhook URL",),
        check_webhook_url,
        sent_by="ceptoar.channels.webhook.WebhookChannel",
        delivery_label=_("Webhook"),
    ),
    "chat": ChannelKindLine(
        _("Chat URL"),
        ("チャットURL",),
        check_chat_url,
        sent_by="ceptoar.channels.apprise_gateway.AppriseChannel",
        delivery_label=_("Chat"),
    ),
}
