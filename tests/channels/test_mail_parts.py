"""Alert e-mails people can read (issue 16, point 5): multipart/alternative, a plain-text part without
Markdown syntax and an inert HTML part (no script, nothing loaded on opening, links only to the installation);
the route of hops and every relay note; envelopes that still carry no content in either part."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ceptoar.alerts import messages
from ceptoar.alerts.links import delivery_for_token
from ceptoar.alerts.messages import Outgoing
from ceptoar.alerts.models import Alert
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.base import Message
from ceptoar.channels.email import EmailChannel
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.sharing.models import Tlp
from ceptoar.sharing.policy import Disclosure
from tests.channels.helpers import mail_parts, run_due_tasks

pytestmark = pytest.mark.django_db

BANK = "banks-0001"  # demo-member's bank
TITLE = "インターネットバンキングへの不正ログイン"
BODY = """# 概要

**至急**、次の手口を確認してください。詳細は [JPCERT/CC の注意喚起](https://www.jpcert.or.jp/at/2026/at260001.html) を参照。

## 対策

- 多要素認証を *必ず* 有効にする
- 不審な IP アドレス `198.51.100.7` を遮断する
  1. ファイアウォール
  2. WAF

> 攻撃者は正規のログイン画面を模倣しています。

![攻撃画面](https://tracker.example/pixel.png)
<script>alert("x")</script>
"""
MINISTRY_NOTE = "金融庁より: 各セプターは会員へ至急展開してください。"
SECRETARIAT_NOTE = "事務局より: 本日17時までに受領確認をお願いします。\n対応状況は事務局まで。"
MARKDOWN_SYNTAX = re.compile(r"(^|\n)\s*#|\*\*|\]\(|!\[|`")


def _relay_chain(demo_user, tlp: str) -> list[Alert]:
    hub, ministry, secretariat = (
        demo_user("demo-hub"),
        demo_user("demo-ministry"),
        demo_user("demo-secretariat"),
    )
    draft = drafts.create_draft(
        hub,
        title=TITLE,
        body=BODY,
        category="attack_precursor",
        severity="critical",
        tlp=tlp,
        audience=AudienceSpec(organisations=[BANK]),
    )
    original = publication.submit(draft, hub)
    by_ministry = publication.relay(original, ministry, note=MINISTRY_NOTE)
    by_ceptoar = publication.relay(by_ministry, secretariat, note=SECRETARIAT_NOTE)
    return [original, by_ministry, by_ceptoar]


def _sent(smtp_server, delivery: Delivery):
    (message,) = [m for m in smtp_server.messages if f"<delivery-{delivery.pk}@" in m["Message-ID"]]
    return message


def _route(chain: list[Alert]) -> str:
    return " → ".join(alert.origin_organisation.name for alert in chain)


def _assert_inert(html: str) -> None:
    own = settings.CEPTOAR_BASE_URL.rstrip("/") + "/"
    lowered = html.lower()
    for forbidden in (
        "<script",
        "<img",
        "<link",
        "<style",
        "<iframe",
        "src=",
        "url(",
        "@import",
        "javascript:",
    ):
        assert forbidden not in lowered, forbidden
    links = re.findall(r"""href\s*=\s*["']?([^"'\s>]+)""", html, re.IGNORECASE)
    assert links and all(link.startswith(own) for link in links), links


def test_the_member_gets_plain_text_and_inert_html_with_the_route_and_every_note(demo_user, smtp_server):
    chain = _relay_chain(demo_user, Tlp.AMBER)
    run_due_tasks()
    bank = Delivery.objects.filter(alert=chain[2], recipient__organisation__code=BANK).first()
    assert bank is not None and bank.status == DeliveryStatus.SENT
    plain, html = mail_parts(_sent(smtp_server, bank))

    # Plain text: the words, no Markdown syntax; headings, lists, quotes and links readable as they are.
    assert not MARKDOWN_SYNTAX.search(plain), MARKDOWN_SYNTAX.search(plain)
    assert "【概要】" in plain and "【対策】" in plain
    assert "至急、次の手口を確認してください。" in plain
    assert "JPCERT/CC の注意喚起 (https://www.jpcert.or.jp/at/2026/at260001.html)" in plain
    assert "・多要素認証を 必ず 有効にする" in plain
    assert "1. ファイアウォール" in plain and "> 攻撃者は正規のログイン画面を模倣しています。" in plain
    assert "攻撃画面 (https://tracker.example/pixel.png)" in plain
    # HTML: rendered from the Markdown, inert, and saying the same.
    _assert_inert(html)
    assert "<h1" in html and "<strong" in html and "<li" in html and "<blockquote" in html
    assert "https://www.jpcert.or.jp/at/2026/at260001.html" in html  # shown, not linked
    assert "&lt;script&gt;" in html  # what the author typed is shown as text

    # The route of hops and each relay note, the member's secretariat's last.
    for part in (plain, html):
        assert _route(chain) in part
        assert MINISTRY_NOTE in part
        assert part.index(MINISTRY_NOTE) < part.index("本日17時までに受領確認をお願いします。")
    assert SECRETARIAT_NOTE in plain
    assert "対応状況は事務局まで。" in html

    # The acknowledgement link, this delivery's own, in both parts.
    tokens = re.findall(r"/alerts/ack/([^/\s\"<]+)/", plain + html)
    assert len(tokens) >= 2 and {delivery_for_token(token).pk for token in tokens} == {bank.pk}
    assert re.search(r"/alerts/ack/[^/\s]+/", plain) and re.search(r'href="[^"]*/alerts/ack/', html)


def test_envelopes_carry_no_content_in_either_part(demo_user, smtp_server):
    chain = _relay_chain(demo_user, Tlp.AMBER_STRICT)
    run_due_tasks()
    hops = Delivery.objects.filter(alert__in=chain[:2]).select_related("recipient__organisation")
    assert hops.exists() and all(d.status == DeliveryStatus.SENT for d in hops)
    for delivery in hops:
        message = _sent(smtp_server, delivery)
        plain, html = mail_parts(message)
        for part in (plain + str(message["Subject"]), html):
            for content in (TITLE, "198.51.100.7", "概要", "JPCERT", MINISTRY_NOTE, "本日17時まで"):
                assert content not in part, (delivery.recipient.organisation.code, content)
        _assert_inert(html)
        # The envelope names who passed it on (as the portal's envelope does) and keeps its link.
        hop_route = _route(chain[: chain.index(delivery.alert) + 1])
        if delivery.alert != chain[0]:
            assert hop_route in plain and hop_route in html
        assert re.search(r"/alerts/ack/[^/\s]+/", plain) and re.search(r'href="[^"]*/alerts/ack/', html)
    bank = Delivery.objects.filter(alert=chain[2], recipient__organisation__code=BANK).first()
    plain, html = mail_parts(_sent(smtp_server, bank))
    assert TITLE in plain and MINISTRY_NOTE in plain and MINISTRY_NOTE in html and _route(chain) in html


def _outgoing(alert: Alert, disclosure=Disclosure.FULL, delivery_id: int = 1) -> Outgoing:
    return Outgoing(
        delivery_id=delivery_id,
        address="poc@example.jp",
        alert=alert,
        disclosure=disclosure,
        portal_url=f"{settings.CEPTOAR_BASE_URL}/alerts/{alert.pk}/",
    )


def test_the_route_and_bodies_are_read_once_per_alert_of_a_batch(demo_user):
    relay = _relay_chain(demo_user, Tlp.GREEN)[2]
    # As a send batch holds it: one instance for every delivery of the alert.
    alert = Alert.objects.select_related("origin_organisation").get(pk=relay.pk)
    with CaptureQueriesContext(connection) as queries:
        for delivery_id in range(1, 30):
            outgoing = _outgoing(alert, delivery_id=delivery_id)
            assert SECRETARIAT_NOTE in outgoing.text and MINISTRY_NOTE in outgoing.html
    assert len(queries) == 1, [query["sql"] for query in queries]


def test_a_long_paragraph_keeps_the_message_built_once_per_alert(demo_user):
    """Japanese paragraphs run long; a line over 998 bytes would make the part encoded, and the e-mail
    channel would then build each recipient's message in full."""
    paragraph = "不審な通信を確認しました。" * 120  # about 4,700 bytes on one line
    chain = _relay_chain(demo_user, Tlp.GREEN)
    relay = chain[2]
    # Two real deliveries, for their links to be read back.
    first_id, second_id = (
        Delivery.objects.filter(alert__in=chain).order_by("pk").values_list("pk", flat=True)[:2]
    )
    alert = Alert.objects.select_related("origin_organisation").get(pk=relay.pk)
    alert.body = f"# 詳細\n\n**{paragraph}**\n"
    alert.title = "長い" * 150
    channel = EmailChannel()
    first = Message(first_id, "a@example.jp", _outgoing(alert, delivery_id=first_id))
    template = channel._template(first)
    assert template is not None
    raw = channel._raw(Message(second_id, "b@example.jp", _outgoing(alert, delivery_id=second_id)))
    # Made from the first's template (same MIME boundary), with the second's own parts.
    boundary = re.search(rb'boundary="([^"]+)"', template.raw).group(1)
    assert boundary in raw and b"b@example.jp" in raw and b"a@example.jp" not in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"quoted-printable" not in raw and b"base64" not in raw
    received = email.message_from_bytes(raw, policy=email.policy.default)
    plain, html = mail_parts(received)
    assert paragraph in plain.replace("\n", "")
    assert paragraph in re.sub(r"<!--\s*-->", "", html)  # broken only by invisible comments
    tokens = re.findall(r"/alerts/ack/([^/\s\"<]+)/", plain + html)
    assert len(tokens) == 3 and {delivery_for_token(token).pk for token in tokens} == {second_id}


def test_exercise_mail_is_marked_first_without_markdown(demo_user):
    from ceptoar.exercises.models import MARK
    from tests.exercises.support import run

    alert = run(demo_user("demo-secretariat"), organisations=[BANK, "banks-0002"]).injects.get().alert
    for disclosure in (Disclosure.FULL, Disclosure.NOTICE, Disclosure.ENVELOPE):
        outgoing = replace(_outgoing(alert), disclosure=disclosure)
        subject = messages.subject(outgoing)
        assert subject.startswith(MARK) and subject.count(MARK) == 1, subject
        plain = messages.text(outgoing)
        assert plain.splitlines()[0].startswith(MARK)
        assert "**" not in plain
        html = messages.html(outgoing)
        assert html.index(MARK) < html.index("TLP:")  # the first thing the HTML shows
        _assert_inert(html)
    full = messages.text(_outgoing(alert))
    assert full.count(MARK) >= 2 and full.rstrip().endswith(f"[{alert.get_tlp_display()}]")
