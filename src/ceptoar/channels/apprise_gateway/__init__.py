"""Chat and other gateways addressed by Apprise URLs (slack://…, mmost://…, json://…), for the network
services whose destination the outbound policy can check (ceptoar.utilities.outbound.chat_host).

The address is checked before Apprise is asked, and every name Apprise resolves while it sends is checked
again as it connects (`outbound.guarded`): a name re-bound since, a redirect or a server a plugin discovers
(Matrix's .well-known) cannot lead it into an internal network.
"""

from __future__ import annotations

import apprise

from ceptoar.channels.base import Channel, Message, PermanentError, TransientError
from ceptoar.channels.models import FailureCause
from ceptoar.sharing.policy import ChannelTrust, Disclosure
from ceptoar.utilities import outbound


def _check(address: str) -> None:
    try:
        host = outbound.chat_host(address)
        if host is not None:
            # A name that does not resolve here is left to Apprise, which may reach it through a proxy;
            # whatever it resolves is checked by the guard.
            outbound.check_if_resolvable(host)
    except outbound.UnusableChatUrl as error:
        raise PermanentError(f"chat URL not usable: {error}", cause=FailureCause.ADDRESS_UNUSABLE) from None
    except outbound.Refused as refused:
        raise PermanentError(f"chat gateway refused: {refused}", cause=FailureCause.ADDRESS_REFUSED) from None


def _refused(guard: outbound.Guard) -> PermanentError:
    return PermanentError(f"chat gateway refused: {guard.refused[0]}", cause=FailureCause.ADDRESS_REFUSED)


class AppriseChannel(Channel):
    # A chat service is a third party's: a title at most, and none of AMBER and above unless in-house.
    trust = ChannelTrust(most=Disclosure.HEADLINE, third_party_chat=True)

    def send(self, message: Message) -> None:
        if self.before_waiting is not None:
            self.before_waiting()  # every call waits on a remote server
        _check(message.address)
        # Sequential, in memory: nothing of a notification is written to the worker's disk.
        notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False, storage_mode="memory"))
        if not notifier.add(message.address):
            raise PermanentError("Apprise does not accept this URL", cause=FailureCause.ADDRESS_UNUSABLE)
        with outbound.guarded() as guard:
            try:
                delivered = notifier.notify(title=message.content.subject, body=message.content.short_text)
            except Exception as error:  # noqa: BLE001 - plugins raise what they like; every failure is retried
                if guard.refused:
                    raise _refused(guard) from error
                raise TransientError(
                    f"chat gateway: {type(error).__name__}: {error}", cause=FailureCause.RECEIVER_ERROR
                ) from error
        if not delivered:
            if guard.refused:
                raise _refused(guard)
            raise TransientError(
                "chat gateway did not accept the notification", cause=FailureCause.RECEIVER_ERROR
            )
