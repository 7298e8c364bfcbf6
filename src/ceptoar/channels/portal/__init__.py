"""The portal inbox: the alert is there as soon as it is committed (the inbox asks the sharing policy),
so a portal delivery is done when it is written."""

from __future__ import annotations

from ceptoar.channels.base import Outgoing


class PortalChannel:
    def send(self, outgoing: Outgoing) -> None:
        return None

    def close(self) -> None:
        return None
