"""The one small interface every delivery channel implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ceptoar.alerts.models import Alert
from ceptoar.channels.models import FailureCause
from ceptoar.sharing.policy import Disclosure


class DeliveryError(Exception):
    """A send that failed. The message is the technical text (addresses, ports, the peer's words) kept for
    the operators; `cause` is what anyone may be told. `channel_broken` says whether the address itself is
    at fault, so that failing for good records the channel as broken (not when our own mail relay is down)."""

    def __init__(self, message: str, *, cause: str = FailureCause.OTHER, channel_broken: bool = True):
        super().__init__(message)
        self.cause = cause
        self.channel_broken = channel_broken


class TransientError(DeliveryError):
    """The send may succeed later (server down, timeout, 4xx from SMTP, 5xx from HTTP): retry."""


class PermanentError(DeliveryError):
    """Trying again will not help."""


@dataclass(frozen=True)
class Outgoing:
    """What one delivery sends. `disclosure` is how much of the alert may leave on this channel, as the
    sharing policy decided for this recipient (`policy.outbound_disclosure`): envelope, notice, headline
    or the full text."""

    delivery_id: int
    address: str
    alert: Alert
    disclosure: Disclosure
    portal_url: str
    # "backup" or "head" when an escalation step resends because receipt was not confirmed in time.
    escalation_step: str = ""


class Channel(Protocol):
    # Called, when set, before the channel blocks waiting on its peer: the batch writes down what it has
    # sent so far, so that a worker killed during a long wait has nothing sent but unrecorded.
    before_waiting: Callable[[], None] | None

    def send(self, outgoing: Outgoing) -> None:
        """Deliver or raise TransientError / PermanentError."""

    def close(self) -> None:
        """Release what the channel kept open across one batch."""
