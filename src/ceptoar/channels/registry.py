"""The channel kinds this installation sends through, each named by the dotted path of its channel class
(taken from the one table of channel kinds, `registry.channel_kinds`, where a new kind is added), and the
composer that writes what they carry.

Paths rather than imports: the sending loop loads a channel only when a batch first needs one of its kind;
the delivery kinds (`channels.models.DeliveryKind`) are made from this table, so the models may read it
without loading any channel; and the composer belongs to the alerts area, above channels in the layer
order, so channels name it here and never import it (the alerts area writes messages; channels only
carry them). Each kind is also a contact channel kind (`registry.models.ChannelKind`): the registry keeps
the addresses members give, phone numbers too. Whether every path leads to what it should is checked when
the site starts (`channels.checks`).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from django.utils.module_loading import import_string

from ceptoar.registry.channel_kinds import CHANNEL_KINDS
from ceptoar.sharing.policy import UNDECLARED_CHANNEL, ChannelTrust


class Entry(NamedTuple):
    path: str  # of a channels.base.Channel subclass, in a folder of its own
    label: str  # the delivery kind's name


# Contact channel kind → the channel that sends to it: the kinds of the registry's table
# (`registry.channel_kinds`) that name a sending class.
CHANNELS = {
    kind: Entry(line.sent_by, line.delivery_label) for kind, line in CHANNEL_KINDS.items() if line.sent_by
}

# Called with one delivery's id, address, alert, disclosure, portal link and escalation step; returns its
# `channels.base.Content`.
COMPOSER = "ceptoar.alerts.messages.Outgoing"


def kinds() -> tuple[str, ...]:
    """The contact channel kinds messages are sent to (phones and faxes are called, not sent to)."""
    return tuple(CHANNELS)


@cache
def channel_class(kind: str) -> type:
    """The `channels.base.Channel` subclass that sends deliveries of `kind`."""
    return import_string(CHANNELS[kind].path)


def trust(kind: str) -> ChannelTrust:
    """What the channel of `kind` declares to the sharing policy; the least trust for a kind none sends."""
    return channel_class(kind).trust if kind in CHANNELS else UNDECLARED_CHANNEL


@cache
def composer():
    """What writes a delivery's content (`COMPOSER`)."""
    return import_string(COMPOSER)
