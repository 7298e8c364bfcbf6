"""At send time the address is checked again, on what the name resolves to then: a refused send, like a
receiver that fails every attempt, is recorded as a broken channel. Real receivers on loopback; only the
names are the test's (tests.fake_dns), to re-bind one between saving and sending."""

from __future__ import annotations

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ceptoar.channels.models import BrokenChannel, Delivery, DeliveryKind, DeliveryStatus, FailureCause
from ceptoar.channels.services.sending import send_batch
from ceptoar.registry.models import ChannelKind, ContactChannel
from tests.fake_dns import fake_dns_fixture  # noqa: F401 - the fake_dns fixture

from .helpers import add_channel, publish, travel_past_backoff

pytestmark = pytest.mark.django_db


def send(user, channel: ContactChannel) -> Delivery:
    """Publish an alert that reaches the channel and send its delivery (only that one)."""
    alert = publish(user)
    delivery = Delivery.objects.get(alert=alert, channel=channel)
    send_batch([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def saved_channel(kind: str, value: str) -> ContactChannel:
    """A channel stored as the contact form stores it: validated first."""
    channel = add_channel("meti", kind, value)
    channel.full_clean()
    return channel


def breakage(channel: ContactChannel) -> BrokenChannel:
    return BrokenChannel.objects.get(channel=channel, cleared_at__isnull=True)


# -- webhooks ------------------------------------------------------------------------------------------------


def test_by_default_a_webhook_to_loopback_is_refused_and_the_channel_recorded_broken(
    demo_user, webhook_receiver, settings
):
    settings.CEPTOAR_OUTBOUND_ALLOW = []
    channel = add_channel("meti", ChannelKind.WEBHOOK, webhook_receiver.url("/ok"))  # stored before the rule

    delivery = send(demo_user("demo-hub"), channel)

    assert (delivery.status, delivery.cause) == (
        DeliveryStatus.FAILED_PERMANENT,
        FailureCause.ADDRESS_REFUSED,
    )
    assert "127.0.0.1 is not a public address (loopback)" in delivery.last_error
    assert webhook_receiver.requests == []
    broken = breakage(channel)
    assert broken.cause == FailureCause.ADDRESS_REFUSED and broken.delivery_id == delivery.pk


def test_a_name_re_bound_to_an_internal_address_after_saving_is_refused_when_sent(
    demo_user, webhook_receiver, settings, fake_dns
):
    settings.CEPTOAR_OUTBOUND_ALLOW = []
    port = webhook_receiver.server.server_address[1]
    fake_dns.add("hooks.meti.example.jp", "8.8.8.8")
    channel = saved_channel(ChannelKind.WEBHOOK, f"http://hooks.meti.example.jp:{port}/ok")
    fake_dns.add("hooks.meti.example.jp", "127.0.0.1")  # re-bound after the check on saving

    delivery = send(demo_user("demo-hub"), channel)

    assert (delivery.status, delivery.cause) == (
        DeliveryStatus.FAILED_PERMANENT,
        FailureCause.ADDRESS_REFUSED,
    )
    assert "hooks.meti.example.jp resolves to 127.0.0.1" in delivery.last_error
    assert webhook_receiver.requests == []
    assert breakage(channel).cause == FailureCause.ADDRESS_REFUSED


def test_a_webhook_connects_to_the_address_it_checked_and_keeps_the_name_as_host(
    demo_user, webhook_receiver, settings, fake_dns
):
    """Resolved once: a second answer (here an address nothing listens on) is never asked for."""
    settings.CEPTOAR_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    port = webhook_receiver.server.server_address[1]
    fake_dns.rebind("hooks.meti.example.jp", ["127.0.0.1"], ["127.0.0.254"])
    channel = add_channel("meti", ChannelKind.WEBHOOK, f"http://hooks.meti.example.jp:{port}/ok")

    delivery = send(demo_user("demo-hub"), channel)

    assert delivery.status == DeliveryStatus.SENT
    assert fake_dns.asked["hooks.meti.example.jp"] == 1
    [request] = webhook_receiver.requests
    assert request["headers"]["Host"] == f"hooks.meti.example.jp:{port}"


def test_the_allow_list_by_name_admits_an_in_house_receiver(demo_user, webhook_receiver, settings, fake_dns):
    settings.CEPTOAR_OUTBOUND_ALLOW = ["hooks.intra.example.jp"]
    port = webhook_receiver.server.server_address[1]
    fake_dns.add("hooks.intra.example.jp", "127.0.0.1")
    channel = saved_channel(ChannelKind.WEBHOOK, f"http://hooks.intra.example.jp:{port}/ok")
    assert send(demo_user("demo-hub"), channel).status == DeliveryStatus.SENT
    assert len(webhook_receiver.bodies("/ok")) == 1


# -- https: the certificate is checked against the name, on the checked address --------------------------------


def _certificates(tmp_path, name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject, issuer, key, signing_key, *, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Test CA", "Test CA", ca_key, ca_key, ca=True)
    leaf = certificate(name, "Test CA", key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tmp_path / "ca.pem", tmp_path / "leaf.pem", tmp_path / "leaf.key"


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch, settings):
    """An HTTPS receiver on loopback with a certificate for hooks.tls.example.jp from a CA of the test's,
    which the worker trusts (SSL_CERT_FILE); it notes the name each client asked for (SNI)."""
    ca, cert, key = _certificates(tmp_path, "hooks.tls.example.jp")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    settings.CEPTOAR_WEBHOOK_TIMEOUT_S = 5
    names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.end_headers()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.names = names
    yield server
    server.shutdown()
    server.server_close()


def test_https_checks_the_certificate_against_the_name_while_connecting_to_the_checked_address(
    demo_user, tls_receiver, settings, fake_dns
):
    settings.CEPTOAR_OUTBOUND_ALLOW = ["*.tls.example.jp"]
    port = tls_receiver.server_address[1]
    fake_dns.add("hooks.tls.example.jp", "127.0.0.1")
    fake_dns.add("other.tls.example.jp", "127.0.0.1")
    good = add_channel("meti", ChannelKind.WEBHOOK, f"https://hooks.tls.example.jp:{port}/ok")
    wrong = add_channel("meti", ChannelKind.WEBHOOK, f"https://other.tls.example.jp:{port}/ok")
    alert = publish(demo_user("demo-hub"))
    deliveries = {d.channel_id: d for d in Delivery.objects.filter(alert=alert, kind=DeliveryKind.WEBHOOK)}

    send_batch([deliveries[good.pk].pk, deliveries[wrong.pk].pk])

    assert Delivery.objects.get(pk=deliveries[good.pk].pk).status == DeliveryStatus.SENT
    refused = Delivery.objects.get(pk=deliveries[wrong.pk].pk)
    assert (refused.status, refused.cause) == (DeliveryStatus.FAILED_PERMANENT, FailureCause.TLS)
    assert "certificate" in refused.last_error
    assert tls_receiver.names == ["hooks.tls.example.jp", "other.tls.example.jp"]


# -- chat through Apprise ------------------------------------------------------------------------------------


def test_by_default_a_chat_url_to_loopback_is_refused_before_apprise_is_asked(
    demo_user, webhook_receiver, settings
):
    settings.CEPTOAR_OUTBOUND_ALLOW = []
    channel = add_channel("meti", ChannelKind.CHAT, webhook_receiver.url("/ok").replace("http://", "json://"))
    delivery = send(demo_user("demo-hub"), channel)
    assert (delivery.status, delivery.cause) == (
        DeliveryStatus.FAILED_PERMANENT,
        FailureCause.ADDRESS_REFUSED,
    )
    assert webhook_receiver.requests == []
    assert breakage(channel).cause == FailureCause.ADDRESS_REFUSED


def test_apprise_is_checked_as_it_connects_so_a_re_bound_name_is_refused(
    demo_user, webhook_receiver, settings, fake_dns
):
    """The check before Apprise sees a public address; Apprise's own resolution, a moment later, gets the
    internal one, and the guard refuses it there."""
    settings.CEPTOAR_OUTBOUND_ALLOW = []
    port = webhook_receiver.server.server_address[1]
    fake_dns.rebind("chat.meti.example.jp", ["8.8.8.8"], ["127.0.0.1"])
    channel = add_channel("meti", ChannelKind.CHAT, f"json://chat.meti.example.jp:{port}/ok")

    delivery = send(demo_user("demo-hub"), channel)

    assert fake_dns.asked["chat.meti.example.jp"] >= 2
    assert (delivery.status, delivery.cause) == (
        DeliveryStatus.FAILED_PERMANENT,
        FailureCause.ADDRESS_REFUSED,
    )
    assert "chat.meti.example.jp resolves to 127.0.0.1" in delivery.last_error
    assert webhook_receiver.requests == []
    assert breakage(channel).cause == FailureCause.ADDRESS_REFUSED


def test_apprise_reaches_an_allowed_in_house_chat_server(demo_user, webhook_receiver, settings, fake_dns):
    settings.CEPTOAR_OUTBOUND_ALLOW = ["chat.intra.example.jp"]
    port = webhook_receiver.server.server_address[1]
    fake_dns.add("chat.intra.example.jp", "127.0.0.1")
    channel = saved_channel(ChannelKind.CHAT, f"json://chat.intra.example.jp:{port}/ok")
    assert send(demo_user("demo-hub"), channel).status == DeliveryStatus.SENT
    assert len(webhook_receiver.bodies("/ok")) == 1


def test_a_stored_chat_url_with_a_local_scheme_is_refused_when_sent(demo_user, settings):
    channel = add_channel("meti", ChannelKind.CHAT, "syslog://local7")  # stored before the rule
    delivery = send(demo_user("demo-hub"), channel)
    assert (delivery.status, delivery.cause) == (
        DeliveryStatus.FAILED_PERMANENT,
        FailureCause.ADDRESS_UNUSABLE,
    )
    assert breakage(channel).cause == FailureCause.ADDRESS_UNUSABLE


# -- failing every attempt -----------------------------------------------------------------------------------


def test_a_receiver_that_fails_every_attempt_is_recorded_broken(demo_user, webhook_receiver, settings):
    settings.CEPTOAR_DELIVERY_MAX_ATTEMPTS = 2
    channel = add_channel("meti", ChannelKind.WEBHOOK, webhook_receiver.url("/500"))
    delivery = send(demo_user("demo-hub"), channel)
    assert delivery.status == DeliveryStatus.RETRYING and delivery.cause == FailureCause.RECEIVER_ERROR
    assert not BrokenChannel.objects.filter(channel=channel).exists()  # one failure is not yet broken

    travel_past_backoff()
    send_batch([delivery.pk])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED_PERMANENT, 2)
    broken = breakage(channel)
    assert broken.cause == FailureCause.RECEIVER_ERROR
    assert broken.reason == "gave up after 2 attempts: webhook answered HTTP 500"


def test_a_mail_relay_that_stays_down_marks_no_member_channel_broken(demo_user, smtp_down, settings):
    settings.CEPTOAR_DELIVERY_MAX_ATTEMPTS = 1
    alert = publish(demo_user("demo-hub"))
    ids = list(Delivery.objects.filter(alert=alert, kind=DeliveryKind.EMAIL).values_list("pk", flat=True)[:3])
    assert ids and send_batch(ids)["failed"] == len(ids)
    failed = Delivery.objects.filter(pk__in=ids)
    assert {(d.status, d.cause) for d in failed} == {
        (DeliveryStatus.FAILED_PERMANENT, FailureCause.MAIL_RELAY)
    }
    assert not BrokenChannel.objects.filter(delivery__in=ids).exists()
