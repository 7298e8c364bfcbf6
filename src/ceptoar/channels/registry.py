"""The channel kinds this installation sends through, each named by the dotted path of its channel class,
and the composer that writes what they carry. The one place a new kind of channel is added.

Paths rather than imports: the sending loop loads a channel only when a batch first needs one of its kind,
and the composer belongs to the alerts area, above channels in the layer order, so channels name it here
and never import it (the alerts area writes messages; channels only carry them). A kind is also a
contact channel kind (`registry.models.ChannelKind`: the registry records addresses, phone numbers too)
and a delivery kind (`channels.models.DeliveryKind`, named after the contact channel kinds it sends to).
"""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from ceptoar.channels.base import Channel
from ceptoar.sharing.policy import UNDECLARED_CHANNEL, ChannelTrust

# Contact channel kind → the class that sends to it. Each lives in a folder of its own.
CHANNELS = {
    "email": "ceptoar.channels.email.EmailChannel",
    "webhook": "ceptoar.channels.webhook.WebhookChannel",
    "chat": "ceptoar.channels.apprise_gateway.AppriseChannel",
}

# Called with one delivery's alert, disclosure, portal link and escalation step; returns its `Content`.
COMPOSER = "ceptoar.alerts.messages.Outgoing"


def kinds() -> tuple[str, ...]:
    """The contact channel kinds messages are sent to (phones and faxes are called, not sent to)."""
    return tuple(CHANNELS)


@cache
def channel_class(kind: str) -> type[Channel]:
    """The class that sends deliveries of `kind`; checked to declare one of the two interfaces."""
    found = import_string(CHANNELS[kind])
    if not (isinstance(found, type) and issubclass(found, Channel)):
        raise TypeError(f"{CHANNELS[kind]} is not a channels.base.Channel")
    return found


def trust(kind: str) -> ChannelTrust:
    """What the channel of `kind` declares to the sharing policy; the least trust for a kind none sends."""
    return channel_class(kind).trust if kind in CHANNELS else UNDECLARED_CHANNEL


@cache
def composer():
    """What writes a delivery's content (`COMPOSER`)."""
    return import_string(COMPOSER)
