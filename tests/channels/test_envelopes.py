"""TLP where content leaves the platform (issue 13, point 7).

AMBER+STRICT means the recipient organisations only (TLP 2.0). An AMBER+STRICT alert from the hub to one bank
travels hub → ministry → the banks' CEPTOAR → the bank; the ministry and the CEPTOAR secretariat carry its
envelope (marking, sender, recipients, times) and relay it unread: no page, list, search, e-mail, link or
download gives them its title, body or attachment, and the audit log records what they relayed unread.
Chat messages of AMBER and above carry no title unless the channel is in-house. What may leave on which channel
is one table of the sharing policy, asked by every channel.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.alerts.links import ack_url_for, delivery_for_token
from ceptoar.alerts.models import Alert
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.channels.registry import trust
from ceptoar.registry.models import ChannelKind
from ceptoar.sharing import policy
from ceptoar.sharing.models import AuditEntry, Tlp
from ceptoar.sharing.policy import Disclosure
from tests.channels.helpers import add_channel, mail_parts, publish, run_due_tasks

pytestmark = pytest.mark.django_db

TITLE = "特定行への標的型攻撃の予告"
BODY = "攻撃者は貴行の勘定系接続点 198.51.100.7 を狙っています。"
FILE_NAME = "indicators-for-one-bank.txt"
BANK = "banks-0001"  # demo-member's bank


@pytest.fixture
def chain(demo_user):
    """The hub's AMBER+STRICT alert to one bank, relayed by hand by the ministry and the CEPTOAR."""
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
        tlp=Tlp.AMBER_STRICT,
        audience=AudienceSpec(organisations=[BANK]),
        attachments=[(FILE_NAME, b"198.51.100.7\n")],
    )
    original = publication.submit(draft, hub)
    assert original.recipients.filter(organisation=ministry.organisation).exists()
    by_ministry = publication.relay(original, ministry)
    assert by_ministry.recipients.filter(organisation=secretariat.organisation).exists()
    by_ceptoar = publication.relay(by_ministry, secretariat)
    assert list(by_ceptoar.recipients.values_list("organisation__code", flat=True)) == [BANK]
    return original, by_ministry, by_ceptoar


INTERMEDIATES = ["demo-ministry", "demo-secretariat"]


@pytest.mark.parametrize("username", INTERMEDIATES)
def test_intermediate_hops_see_the_envelope_of_every_alert_of_the_chain(chain, demo_user, username):
    user = demo_user(username)
    for alert in chain:
        if not policy.may_see(user, alert):
            continue  # the ministry is not sent the CEPTOAR's relay
        assert not policy.may_read_content(user, alert), f"{username} reads alert {alert.pk}"
    assert not policy.readable_alerts(user, Alert.objects.filter(pk__in=[a.pk for a in chain])).exists()


def test_the_bank_and_the_hub_read_the_content(chain, demo_user):
    original, _by_ministry, by_ceptoar = chain
    assert policy.may_read_content(demo_user("demo-member"), by_ceptoar)
    assert policy.may_read_content(demo_user("demo-hub"), original)
    # Another bank of the same CEPTOAR sees nothing at all: it is not a recipient.
    assert not policy.may_see(demo_user("demo-member2"), by_ceptoar)


def _pages(client, alert) -> dict[str, str]:
    pages = {
        "detail": reverse("alerts:detail", args=[alert.pk]),
        "inbox": reverse("alerts:inbox"),
        "inbox searched by title": reverse("alerts:inbox") + "?q=" + TITLE[:4],
        "relay page": reverse("alerts:relay", args=[alert.pk]),
        "tracking": reverse("alerts:tracking", args=[alert.pk]),
    }
    answers = {}
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code in (200, 400, 403, 404, 409), f"{name}: {response.status_code}"
        answers[name] = response.content.decode()
    return answers


@pytest.mark.parametrize("username", INTERMEDIATES)
def test_no_page_shows_an_intermediate_hop_the_content(chain, client_as, demo_user, username):
    client = client_as(username)
    user = demo_user(username)
    seen = [alert for alert in chain if policy.may_see(user, alert)]
    assert seen
    for alert in seen:
        for name, page in _pages(client, alert).items():
            assert TITLE not in page, f"{name} of alert {alert.pk} shows the title to {username}"
            assert "198.51.100.7" not in page, f"{name} of alert {alert.pk} shows the body to {username}"
            assert FILE_NAME not in page, f"{name} of alert {alert.pk} names the attachment to {username}"
        detail = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
        assert 'id="envelope"' in detail
        assert "TLP:AMBER+STRICT" in detail
    # The files are the original's: not for the hops, even by their address.
    attachment = chain[0].attachments.get()
    response = client.get(reverse("alerts:attachment", args=[chain[0].pk, attachment.pk]))
    assert response.status_code == 404


def test_the_bank_reads_title_body_and_attachment(chain, client_as):
    by_ceptoar = chain[2]
    client = client_as("demo-member")
    page = client.get(reverse("alerts:detail", args=[by_ceptoar.pk])).content.decode()
    assert TITLE in page and "198.51.100.7" in page
    assert 'id="envelope"' not in page
    # Files stay with the original, which the bank opens from the relay chain.
    original = chain[0]
    page = client.get(reverse("alerts:detail", args=[original.pk])).content.decode()
    assert FILE_NAME in page
    attachment = original.attachments.get()
    response = client.get(reverse("alerts:attachment", args=[original.pk, attachment.pk]))
    assert response.status_code == 200
    inbox = client.get(reverse("alerts:inbox") + "?q=" + TITLE[:4]).content.decode()
    assert TITLE in inbox


def test_the_audit_log_records_relays_made_unread_and_envelopes_looked_at(chain, client_as, demo_user):
    original, by_ministry, by_ceptoar = chain
    relayed = AuditEntry.objects.filter(action="relay_unread")
    assert {(entry.user.username, entry.item_id) for entry in relayed} == {
        ("demo-ministry", original.pk),
        ("demo-secretariat", by_ministry.pk),
    }
    assert {entry.detail for entry in relayed} == {f"relay #{by_ministry.pk}", f"relay #{by_ceptoar.pk}"}

    client_as("demo-secretariat").get(reverse("alerts:detail", args=[by_ministry.pk]))
    assert AuditEntry.objects.filter(
        action="read_envelope", item_id=by_ministry.pk, user=demo_user("demo-secretariat")
    ).exists()
    assert not AuditEntry.objects.filter(action="read", user=demo_user("demo-secretariat")).exists()


def test_e_mails_to_the_hops_carry_the_envelope_and_the_bank_gets_the_content(chain, smtp_server):
    run_due_tasks()
    original, by_ministry, by_ceptoar = chain
    deliveries = Delivery.objects.filter(alert__in=chain).select_related("recipient__organisation")
    assert deliveries and all(d.status == DeliveryStatus.SENT for d in deliveries)
    by_address = {}
    for message in smtp_server.messages:
        by_address.setdefault(message["To"], []).append(message)
    for delivery in deliveries:
        (message,) = [
            m for m in by_address[delivery.address] if f"delivery-{delivery.pk}@" in m["Message-ID"]
        ]
        plain, html = mail_parts(message)
        if delivery.recipient.organisation.code == BANK:
            assert TITLE in message["Subject"] and "198.51.100.7" in plain and "198.51.100.7" in html
        else:
            for text in (plain + message["Subject"], html):
                assert TITLE not in text and "198.51.100.7" not in text, delivery.recipient.organisation.code
            assert "TLP:AMBER+STRICT" in message["Subject"]
            # The hop still confirms receipt. The token carries the second it was signed, so it is read back
            # rather than compared with one made now.
            tokens = re.findall(r"/alerts/ack/([^/\s]+)/", plain)
            assert [delivery_for_token(token).pk for token in tokens] == [delivery.pk]
            assert set(re.findall(r"/alerts/ack/([^/\s\"<]+)/", html)) == set(tokens)


def test_the_acknowledgement_link_of_a_hop_shows_no_title(chain, client):
    original, by_ministry, by_ceptoar = chain
    hop = Delivery.objects.filter(alert=by_ministry).first()
    bank = Delivery.objects.filter(alert=by_ceptoar).first()
    hop_page = client.get(ack_url_for(hop.pk)).content.decode()
    assert TITLE not in hop_page and "TLP:AMBER+STRICT" in hop_page
    bank_page = client.get(ack_url_for(bank.pk)).content.decode()
    assert TITLE in bank_page


# -- chat ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tlp", "in_house", "title_shown"),
    [
        (Tlp.GREEN, False, True),
        (Tlp.AMBER, False, False),
        (Tlp.AMBER, True, True),
        (Tlp.AMBER_STRICT, False, False),
    ],
)
def test_chat_shows_titles_of_amber_and_above_only_on_in_house_channels(
    demo_user, webhook_receiver, smtp_server, tlp, in_house, title_shown
):
    url = webhook_receiver.url("/ok").replace("http://", "json://")
    channel = add_channel("meti", ChannelKind.CHAT, url)
    channel.in_house = in_house
    channel.save(update_fields=["in_house"])
    # The gas CEPTOAR, which METI oversees: METI is this alert's hop and, as a ministry, bound by no rules.
    alert = publish(demo_user("demo-hub"), tlp=tlp, ceptoars=["gas"], title="ガス制御系への攻撃の兆候")
    run_due_tasks()
    assert Delivery.objects.get(alert=alert, channel=channel).status == DeliveryStatus.SENT
    [posted] = webhook_receiver.bodies("/ok")
    assert ("ガス制御系への攻撃の兆候" in str(posted)) is title_shown
    assert "不審な通信" not in str(posted)  # never a body on chat
    assert f"/alerts/{alert.pk}/" in posted["message"]
    assert Tlp(tlp).label in posted["title"]


# -- the table -------------------------------------------------------------------------------------------


def test_what_may_leave_on_which_channel():
    table = {
        (tlp, kind, in_house): policy.outbound_disclosure(
            tlp, trust(kind), reads_content=True, in_house=in_house
        )
        for tlp in Tlp
        for kind in (ChannelKind.EMAIL, ChannelKind.WEBHOOK, ChannelKind.CHAT)
        for in_house in (False, True)
    }
    for (tlp, kind, in_house), disclosure in table.items():
        if tlp == Tlp.RED:
            assert disclosure == Disclosure.NOTICE
        elif kind == ChannelKind.EMAIL:
            assert disclosure == Disclosure.FULL
        elif kind == ChannelKind.CHAT and tlp not in (Tlp.CLEAR, Tlp.GREEN) and not in_house:
            assert disclosure == Disclosure.NOTICE
        else:
            assert disclosure == Disclosure.HEADLINE, (tlp, kind, in_house)
    # A hop gets the envelope whatever the channel; an organisation not bound by the rules, a notice.
    for kind in (ChannelKind.EMAIL, ChannelKind.WEBHOOK, ChannelKind.CHAT):
        assert policy.outbound_disclosure(Tlp.GREEN, trust(kind), reads_content=False) == Disclosure.ENVELOPE
        assert (
            policy.outbound_disclosure(Tlp.AMBER, trust(kind), reads_content=True, bound=False)
            == Disclosure.NOTICE
        )
    # A channel kind the table does not know carries no more than a notice.
    assert policy.outbound_disclosure(Tlp.CLEAR, trust("fax"), reads_content=True) == Disclosure.NOTICE


def test_the_admin_lists_no_envelope_by_its_title(chain, client, demo_user):
    from django.contrib.auth.models import Permission

    from tests.signin import sign_in

    # The CEPTOAR secretariat keeps the registry in the admin; given every alerts permission too.
    secretariat = demo_user("demo-secretariat")
    secretariat.user_permissions.set(Permission.objects.filter(content_type__app_label="alerts"))
    sign_in(client, secretariat)
    for model in ("alert", "acknowledgement", "alertattachment"):
        response = client.get(reverse(f"admin:alerts_{model}_changelist") + "?q=" + TITLE[:4])
        assert response.status_code == 200, model
        page = response.content.decode()
        assert TITLE not in page and FILE_NAME not in page, model
    response = client.get(reverse("admin:alerts_alert_change", args=[chain[1].pk]))
    assert response.status_code == 404


def test_the_api_gives_a_hop_the_envelope_and_the_bank_the_content(chain, client):
    from ceptoar.api import services as api_services

    original, by_ministry, by_ceptoar = chain
    _token, ministry_key = api_services.create_token(demo_user_named("demo-ministry"), "ministry tool")
    _token, bank_key = api_services.create_token(demo_user_named("demo-member"), "bank tool")

    def get(key, path):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 200, response.content
        return response

    listed = get(ministry_key, "/api/v1/alerts")
    assert TITLE not in listed.content.decode()
    items = {item["id"]: item for item in listed.json()["items"]}
    assert items[original.pk]["envelope"] is True and items[original.pk]["category"] is None
    one = get(ministry_key, f"/api/v1/alerts/{original.pk}")
    assert TITLE not in one.content.decode() and "198.51.100.7" not in one.content.decode()
    assert one.json()["envelope"] is True and one.json()["body_markdown"] == ""
    assert AuditEntry.objects.filter(action="read_envelope", item_id=original.pk).exists()

    bank = get(bank_key, f"/api/v1/alerts/{by_ceptoar.pk}").json()
    assert bank["envelope"] is False and bank["title"] == TITLE and "198.51.100.7" in bank["body_markdown"]


def demo_user_named(username):
    from ceptoar.accounts.models import User

    return User.objects.get(username=username)
