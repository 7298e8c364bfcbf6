"""Webhooks: a signed JSON POST per delivery, with a short timeout so one slow receiver never holds up
the others in its batch."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac

from ceptoar.channels import messages
from ceptoar.channels.base import Outgoing, PermanentError, TransientError

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


class WebhookChannel:
    before_waiting = None

    def send(self, outgoing: Outgoing) -> None:
        if self.before_waiting is not None:
            self.before_waiting()  # every call waits on a remote server
        body = json.dumps(messages.webhook_payload(outgoing), ensure_ascii=False).encode()
        url = urlsplit(outgoing.address)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise PermanentError(f"not an http(s) URL: {outgoing.address!r}")
        timeout = settings.CEPTOAR_WEBHOOK_TIMEOUT_S
        connection_class = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(url.hostname, url.port, timeout=timeout)
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
                    "Idempotency-Key": str(outgoing.delivery_id),
                    SIGNATURE_HEADER: signature(body),
                },
            )
            response = connection.getresponse()
            response.read(_MAX_ANSWER_BYTES)
            status = response.status
        except TimeoutError as error:
            raise TransientError(f"webhook timed out after {timeout} s") from error
        except ssl.SSLCertVerificationError as error:
            raise PermanentError(f"webhook TLS certificate rejected: {error}") from error
        except (OSError, http.client.HTTPException) as error:
            raise TransientError(f"webhook: {type(error).__name__}: {error}") from error
        finally:
            connection.close()
        if 200 <= status < 300:
            return
        if status in (408, 429) or status >= 500:
            raise TransientError(f"webhook answered HTTP {status}")
        raise PermanentError(f"webhook answered HTTP {status}")

    def close(self) -> None:
        return None
