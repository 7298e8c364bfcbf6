"""Chat and other gateways addressed by Apprise URLs (slack://…, mattermost://…, json://…)."""

from __future__ import annotations

import apprise

from ceptoar.channels import messages
from ceptoar.channels.base import Outgoing, PermanentError, TransientError


class AppriseChannel:
    before_waiting = None

    def send(self, outgoing: Outgoing) -> None:
        if self.before_waiting is not None:
            self.before_waiting()  # every call waits on a remote server
        notifier = apprise.Apprise()
        if not notifier.add(outgoing.address):
            raise PermanentError("Apprise does not accept this URL")
        try:
            delivered = notifier.notify(title=messages.subject(outgoing), body=messages.chat_text(outgoing))
        except Exception as error:  # noqa: BLE001 - plugins raise what they like; every failure is retried
            raise TransientError(f"chat gateway: {type(error).__name__}: {error}") from error
        if not delivered:
            raise TransientError("chat gateway did not accept the notification")

    def close(self) -> None:
        return None
