"""Real components for delivery tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver, both on
loopback ports chosen at run time."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.channels.workers import Sink
from tests.processes import free_port


class MailBox:
    """Collects what the SMTP server accepted; refuses recipients whose address starts with `nosuch`."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nosuch"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = MailBox()
        self.controller = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.mailbox.messages


@pytest.fixture
def smtp_port(settings):
    port = free_port()
    # The test runner swaps in the in-memory mail backend; these tests talk SMTP for real.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    return port


@pytest.fixture
def smtp_server(smtp_port):
    server = SmtpServer(smtp_port).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down(smtp_port):
    """Nothing listens yet; `start()` brings the server up on the configured port."""
    server = SmtpServer(smtp_port)
    yield server
    server.stop()


class WebhookReceiver:
    """Answers by path: /ok → 204, /fail-then-ok → 500 once then 200, /500, /400, /garbage, /hang."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.hits: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                hits = receiver.hits[self.path] = receiver.hits.get(self.path, 0) + 1
                if self.path == "/hang":
                    time.sleep(3)
                    return
                if self.path == "/garbage":
                    self.wfile.write(b"\x00\xffnot http at all\r\n\r\n")
                    return
                status = {"/ok": 204, "/500": 500, "/400": 400}.get(self.path)
                if self.path == "/fail-then-ok":
                    status = 500 if hits == 1 else 200
                self.send_response(status or 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def bodies(self, path: str) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver(settings):
    settings.CEPTOAR_WEBHOOK_TIMEOUT_S = 1
    settings.CEPTOAR_WEBHOOK_SECRET = "test-webhook-secret"
    # The receiver listens on loopback, which the outbound policy refuses unless the installation allows it,
    # as an installation with an in-house receiver on its own network does.
    settings.CEPTOAR_OUTBOUND_ALLOW = ["127.0.0.1"]
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def sink():
    """sink(**options) → a Sink (tests.channels.workers), stopped after the test."""
    servers = []

    def make(**options) -> Sink:
        servers.append(Sink(**options))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()
