"""Webhooks: a signed JSON POST per delivery, with a short timeout so one slow receiver never holds up
the others in its batch, to an address the outbound policy allows (ceptoar.utilities.outbound)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import json
import socket
import ssl
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac

from ceptoar.channels.base import Channel, Message, PermanentError, TransientError
from ceptoar.channels.models import FailureCause
from ceptoar.sharing.policy import ChannelTrust, Disclosure
from ceptoar.utilities import outbound

SIGNATURE_HEADER = "X-Ceptoar-Signature"
# Read no more of a receiver's answer than this: only the status matters.
_MAX_ANSWER_BYTES = 64 * 1024


def signing_secret() -> bytes:
    if settings.CEPTOAR_WEBHOOK_SECRET:
        return settings.CEPTOAR_WEBHOOK_SECRET.encode()
    return salted_hmac("ceptoar.channels.webhook", "webhook-signing-secret").hexdigest().encode()


def signature(body: bytes, secret: bytes | None = None) -> str:
    digest = hmac.new(secret or signing_secret(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class _ToCheckedAddresses:
    """An HTTP(S) connection to the addresses the outbound policy checked, tried in turn, rather than to a
    second resolution of the name (which a re-bound name could point elsewhere). The Host header, and for
    https the SNI and the certificate check, still use the name in the URL."""

    def __init__(self, host: str, port: int | None, addresses: list, **kwargs) -> None:
        super().__init__(host, port, **kwargs)
        self._create_connection = functools.partial(_connect_to_first, addresses)


def _connect_to_first(addresses: list, address: tuple, timeout=None, source_address=None) -> socket.socket:
    port = address[1]
    failure: OSError | None = None
    for checked in addresses:
        try:
            return socket.create_connection((str(checked), port), timeout, source_address)
        except OSError as error:
            failure = error
    raise failure or OSError("no address to connect to")


class _CheckedHTTPConnection(_ToCheckedAddresses, http.client.HTTPConnection):
    pass


class _CheckedHTTPSConnection(_ToCheckedAddresses, http.client.HTTPSConnection):
    pass


def _destination(address: str) -> tuple[SplitResult, int | None, list]:
    """The URL, its port and the addresses to connect to, or the error to record."""
    try:
        url = urlsplit(address)
        port = url.port
    except ValueError as error:
        raise PermanentError(
            f"not a usable URL: {address!r}: {error}", cause=FailureCause.ADDRESS_UNUSABLE
        ) from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise PermanentError(f"not an http(s) URL: {address!r}", cause=FailureCause.ADDRESS_UNUSABLE)
    try:
        addresses = outbound.checked_addresses(url.hostname)
    except outbound.Refused as refused:
        raise PermanentError(f"webhook refused: {refused}", cause=FailureCause.ADDRESS_REFUSED) from None
    except outbound.Unresolvable as error:
        raise TransientError(f"webhook: {error}", cause=FailureCause.UNREACHABLE) from None
    return url, port, addresses


class WebhookChannel(Channel):
    # A receiver the organisation runs, which gets a summary to act on: the title, never the body.
    trust = ChannelTrust(most=Disclosure.HEADLINE)

    def send(self, message: Message) -> None:
        if self.before_waiting is not None:
            self.before_waiting()  # every call waits on a remote server (the name server first)
        body = json.dumps(message.content.data, ensure_ascii=False).encode()
        url, port, addresses = _destination(message.address)
        timeout = settings.CEPTOAR_WEBHOOK_TIMEOUT_S
        connection_class = _CheckedHTTPSConnection if url.scheme == "https" else _CheckedHTTPConnection
        connection = connection_class(url.hostname, port, addresses, timeout=timeout)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "ceptoar-webhook/1",
                    "Idempotency-Key": str(message.delivery_id),
                    SIGNATURE_HEADER: signature(body),
                },
            )
            response = connection.getresponse()
            response.read(_MAX_ANSWER_BYTES)
            status = response.status
        except TimeoutError as error:
            raise TransientError(
                f"webhook timed out after {timeout} s", cause=FailureCause.UNREACHABLE
            ) from error
        except ssl.SSLCertVerificationError as error:
            raise PermanentError(
                f"webhook TLS certificate rejected: {error}", cause=FailureCause.TLS
            ) from error
        except (OSError, http.client.HTTPException) as error:
            raise TransientError(
                f"webhook: {type(error).__name__}: {error}", cause=FailureCause.UNREACHABLE
            ) from error
        finally:
            connection.close()
        if 200 <= status < 300:
            return
        if status in (408, 429) or status >= 500:
            raise TransientError(f"webhook answered HTTP {status}", cause=FailureCause.RECEIVER_ERROR)
        raise PermanentError(f"webhook answered HTTP {status}", cause=FailureCause.REJECTED)
