"""What every delivery channel is given and declares: the message, its errors, and the two interfaces a
channel implements (plain, or pipelined). Channels are transport: they know nothing of alerts.

The words of a message are written by the domain that sends it (`alerts.messages`) and reach a channel as
`Content`, the way healthchecks' transports or Saleor's plug-ins are handed a notification ready-made; a
channel only carries the parts its medium takes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import ClassVar

from ceptoar.channels.models import FailureCause
from ceptoar.sharing.policy import ChannelTrust


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


class Content(ABC):
    """What one message says, in every form a channel may carry; written by the domain, read by channels.

    Abstract properties rather than fields: an implementation may write each part only when a channel asks
    for it, so a batch of e-mails does not pay for chat lines and webhook payloads it never sends.
    """

    @property
    @abstractmethod
    def subject(self) -> str:
        """One line: an e-mail's subject, a chat message's title."""

    @property
    @abstractmethod
    def text(self) -> str:
        """The full plain text: an e-mail's body."""

    @property
    def html(self) -> str:
        """The same message as HTML, sent beside `text` (an e-mail's alternative part); empty when there
        is none. The domain writes it inert (nothing loaded on opening, no script): a channel carries it as
        it is. Holds the `personal` parts as written, like `text`."""
        return ""

    @property
    @abstractmethod
    def short_text(self) -> str:
        """A few lines for a chat message."""

    @property
    @abstractmethod
    def data(self) -> dict:
        """The message as data, for machines: a webhook's JSON body."""

    @property
    @abstractmethod
    def template_key(self) -> Hashable:
        """Messages with equal keys differ only in their `personal` parts: a channel may build the message
        once per key and substitute those parts for each recipient (the e-mail channel does)."""

    @property
    @abstractmethod
    def personal(self) -> tuple[str, ...]:
        """The strings of `text` (and `html`) that belong to this recipient alone (its acknowledgement link),
        if any."""


@dataclass(frozen=True)
class Message:
    """What one delivery sends: to this address, this content. The delivery id makes a message sent twice
    recognisably one (an e-mail's Message-ID, a webhook's Idempotency-Key)."""

    delivery_id: int
    address: str
    content: Content


class Channel(ABC):
    """The plain interface: one call sends one message, or raises TransientError / PermanentError.

    Each channel declares what the sharing policy needs to know of it (`trust`): the most of an alert it
    may carry, and whether it passes through a third party's chat service. The sending loop hands that to
    `policy.outbound_disclosure`, so the policy decides from what a channel is, not from its kind's name.
    """

    trust: ClassVar[ChannelTrust]

    def __init__(self) -> None:
        # Called, when set, before the channel blocks waiting on its peer: the batch writes down what it has
        # sent so far, so that a worker killed during a long wait has nothing sent but unrecorded.
        self.before_waiting: Callable[[], None] | None = None

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver or raise TransientError / PermanentError."""

    def close(self) -> None:
        """Release what the channel kept open across one batch."""
        return None


class PipelinedChannel(Channel):
    """The pipelined interface: a message is prepared (everything but the network) on the batch's thread
    and transmitted on a sending thread of its own, so the next one is prepared while this one travels
    (`channels.services.sending._SendingThread`). The batch chooses the pipeline for a channel of this
    class, never by looking for its methods."""

    @abstractmethod
    def prepare(self, message: Message) -> object:
        """Everything but the network; may raise TransientError / PermanentError."""

    @abstractmethod
    def transmit(self, prepared: object) -> None:
        """Hand a prepared message to the peer; safe on a thread other than the batch's."""

    def send(self, message: Message) -> None:
        prepared = self.prepare(message)
        if self.before_waiting is not None:
            self.before_waiting()
        self.transmit(prepared)
