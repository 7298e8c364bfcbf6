"""The demo mailbox: a real SMTP server (aiosmtpd on loopback) that keeps what it accepts in a Maildir, and
the page that lists and shows it. Off (404) unless CEPTOAR_DEMO_MAILBOX is on."""

from __future__ import annotations

import html
import re
import smtplib
import time
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Recipient
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.demo import mailbox
from tests.channels.helpers import publish, run_due_tasks
from tests.processes import free_port


@pytest.fixture
def maildir_sink(settings, tmp_path):
    """The demo mailbox on, in a directory of this test, with its mail server on a free loopback port."""
    settings.CEPTOAR_DEMO_MAILBOX = True
    settings.CEPTOAR_DEMO_MAILBOX_DIR = tmp_path / "mailbox"
    sink = mailbox.SmtpSink(tmp_path / "mailbox", port=free_port()).start()
    yield sink
    sink.stop()


def send_japanese(port: int, subject: str, body: str, to: str = "poc@banks-0001.example.jp") -> str:
    """What a Japanese mail client sends: ISO-2022-JP, the subject as an encoded word."""
    message = MIMEText(body, "plain", "iso-2022-jp")
    message["Subject"] = Header(subject, "iso-2022-jp")
    message["From"] = "soc@example.jp"
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id = make_msgid(domain="example.jp")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)
    return message_id


def test_the_sink_stores_a_real_japanese_message_in_the_maildir(maildir_sink):
    message_id = send_japanese(
        maildir_sink.port, "【至急】不正アクセスの兆候について", "各位\n\n不審な通信を確認しました。\n"
    )
    stored = list((maildir_sink.path / "new").iterdir())
    assert len(stored) == 1
    raw = stored[0].read_bytes()
    # The envelope on top, then the message exactly as sent: the subject still encoded on the wire.
    assert raw.startswith(b"Return-Path: <soc@example.jp>\nDelivered-To: poc@banks-0001.example.jp\n")
    assert b"=?iso-2022-jp?" in raw and "不正アクセス".encode() not in raw

    [summary] = mailbox.summaries()
    assert summary.subject == "【至急】不正アクセスの兆候について"
    assert summary.sender == "soc@example.jp" and summary.to == "poc@banks-0001.example.jp"
    assert summary.message_id == message_id
    captured = mailbox.read(summary.key)
    assert captured.text == "各位\n\n不審な通信を確認しました。\n"
    assert not captured.is_html_source


def test_the_page_lists_messages_newest_first_and_shows_one(maildir_sink, client_as, english):
    send_japanese(maildir_sink.port, "一通目の件名", "最初のメッセージ")
    time.sleep(0.05)  # distinct delivery times in the Maildir
    send_japanese(
        maildir_sink.port,
        "二通目の件名",
        "詳しくは https://portal.example.jp/alerts/7/ をご覧ください。\n<script>alert(1)</script>",
        to="desk@banks-0002.example.jp",
    )
    client = client_as("demo-member")
    page = client.get(reverse("demo:mailbox")).content.decode()
    assert "2 messages." in page
    assert page.index("二通目の件名") < page.index("一通目の件名")
    assert "desk@banks-0002.example.jp" in page and "soc@example.jp" in page

    newest = mailbox.list_keys()[0]
    detail = client.get(reverse("demo:mailbox_message", args=[newest]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "<h1>二通目の件名</h1>" in text
    assert (
        '<a href="https://portal.example.jp/alerts/7/" rel="noopener noreferrer">'
        "https://portal.example.jp/alerts/7/</a> をご覧ください。" in text
    )
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text


def test_search_keeps_the_matching_messages(maildir_sink, client_as, english):
    send_japanese(maildir_sink.port, "水道の件", "本文", to="poc@water-0001.example.jp")
    send_japanese(maildir_sink.port, "銀行の件", "本文", to="poc@banks-0001.example.jp")
    page = client_as("demo-member").get(reverse("demo:mailbox"), {"q": "water-0001"}).content.decode()
    assert "1 message." in page and "水道の件" in page and "銀行の件" not in page
    page = client_as("demo-member").get(reverse("demo:mailbox"), {"q": "どこにもない"}).content.decode()
    assert "No message matches this search." in page


def test_the_mailbox_is_404_when_off(maildir_sink, settings, client_as):
    send_japanese(maildir_sink.port, "件名", "本文")
    key = mailbox.list_keys()[0]
    settings.CEPTOAR_DEMO_MAILBOX = False
    client = client_as("demo-hub")
    assert client.get(reverse("demo:mailbox")).status_code == 404
    assert client.get(reverse("demo:mailbox_message", args=[key])).status_code == 404


def test_the_mailbox_needs_a_login_and_unknown_messages_are_404(maildir_sink, client, client_as):
    response = client.get(reverse("demo:mailbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    missing = client_as("demo-member").get(
        reverse("demo:mailbox_message", args=["1700000000.M1P1Q1.nowhere"])
    )
    assert missing.status_code == 404


def test_an_empty_mailbox_says_how_mail_arrives(maildir_sink, client_as, english):
    page = client_as("demo-member").get(reverse("demo:mailbox")).content.decode()
    assert "No e-mail yet. Publish an alert" in page


def test_the_acknowledgement_link_of_a_captured_alert_mail_is_clickable_and_works(
    maildir_sink, settings, demo_user, client_as, english
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", maildir_sink.port
    alert = publish(
        demo_user("demo-secretariat"), title="不審なメールへの注意喚起", organisations=["banks-0001"]
    )
    assert run_due_tasks() >= 1
    deliveries = Delivery.objects.filter(alert=alert, kind="email")
    assert deliveries.exists() and not deliveries.exclude(status=DeliveryStatus.SENT).exists()
    assert len(mailbox.list_keys()) == deliveries.count()

    client = client_as("demo-member")
    key = mailbox.summaries(search="不審なメール")[0].key
    text = client.get(reverse("demo:mailbox_message", args=[key])).content.decode()
    links = [
        html.unescape(href) for href in re.findall(r'<a href="([^"]+)" rel="noopener noreferrer">', text)
    ]
    base = settings.CEPTOAR_BASE_URL
    assert f"{base}/alerts/{alert.pk}/" in links
    [ack_link] = [link for link in links if link.startswith(f"{base}/alerts/ack/")]

    path = ack_link.removeprefix(base)
    confirm = client.get(path)
    assert confirm.status_code == 200 and "不審なメールへの注意喚起" in confirm.content.decode()
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()  # a GET confirms nothing
    client.post(path)
    recipient = Recipient.objects.get(alert=alert, organisation__code="banks-0001")
    assert recipient.acknowledgement.via == AcknowledgementVia.EMAIL_LINK


def test_linkify_escapes_and_stops_urls_at_japanese_punctuation():
    linked = mailbox.linkify("確認：https://a.example.jp/x?y=1&z=2。次は<b>http://b.example.jp/</b>、")
    assert linked == (
        '確認：<a href="https://a.example.jp/x?y=1&amp;z=2" rel="noopener noreferrer">'
        "https://a.example.jp/x?y=1&amp;z=2</a>。次は&lt;b&gt;"
        '<a href="http://b.example.jp/" rel="noopener noreferrer">http://b.example.jp/</a>&lt;/b&gt;、'
    )
    assert mailbox.linkify("javascript:alert(1) ftp://x") == "javascript:alert(1) ftp://x"


def test_a_message_arriving_while_the_page_searches_is_not_an_error(maildir_sink, monkeypatch):
    # The demo's mail server keeps writing while the page reads (a fan-out leaves thousands of messages): a
    # message stored between two looks at the directory once made the search fail with a KeyError.
    send_japanese(maildir_sink.port, "一通目", "本文\n")
    scan = mailbox._entries
    arrivals = iter(["二通目", "三通目"])

    def scan_then_receive():
        found = scan()
        subject = next(arrivals, None)
        if subject is not None:
            send_japanese(maildir_sink.port, subject, "本文\n")
        return found

    monkeypatch.setattr(mailbox, "_entries", scan_then_receive)
    assert [summary.subject for summary in mailbox.summaries(search="一通目")] == ["一通目"]
    assert len(mailbox.summaries()) >= 1
