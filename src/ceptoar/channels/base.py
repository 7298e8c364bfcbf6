"""The one small interface every delivery channel implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ceptoar.alerts.models import Alert
from ceptoar.sharing.policy import Disclosure


class TransientError(Exception):
    """The send may succeed later (server down, timeout, 4xx from SMTP, 5xx from HTTP): retry."""


class PermanentError(Exception):
    """Trying again will not help. `channel_broken` says whether the address itself is at fault."""

    def __init__(self, message: str, *, channel_broken: bool = True):
        super().__init__(message)
        self.channel_broken = channel_broken


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
