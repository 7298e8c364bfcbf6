"""Relaying down the chain on the site: hub → ministry → CEPTOAR → members, by hand and by standing rule."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from ceptoar.alerts.models import Alert, RelayRule
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _default_relay(client, parent: Alert, **overrides) -> dict:
    """What the relay page offers (its default audience), as the browser would post it back."""
    response = client.get(reverse("alerts:relay", args=[parent.pk]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    data = {
        "note": "",
        "tlp": parent.tlp,
        "sectors": list(initial.get("sectors", [])),
        "ceptoars": list(initial.get("ceptoars", [])),
        "subgroups": list(initial.get("subgroups", [])),
        "organisations": initial.get("organisations", ""),
        "people": initial.get("people", ""),
    }
    if initial.get("community"):
        data["community"] = "on"
    data.update(overrides)
    return data


def _relay(client, parent: Alert, **overrides) -> Alert:
    """Relay as a person does: the form, its send preview, the preview's confirmation."""
    data = _default_relay(client, parent, **overrides)
    preview = client.post(reverse("alerts:relay", args=[parent.pk]), data)
    assert preview.status_code == 200 and "preview" in preview.context, preview.content.decode()[:2000]
    response = client.post(
        reverse("alerts:relay", args=[parent.pk]), {**data, "token": preview.context["preview"].token}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    child = Alert.objects.get(pk=resolve(response.url).kwargs["pk"])
    assert child.parent_id == parent.pk
    return child


def test_relays_down_the_chain_show_lineage_and_hop_times_to_the_member(client_as, demo_user):
    original = published(demo_user("demo-hub"))
    ministry = client_as("demo-ministry")
    page = ministry.get(reverse("alerts:relay", args=[original.pk])).content.decode()
    assert "By default your relay reaches" in page and "銀行等CEPTOAR" in page
    fsa_relay = _relay(ministry, original, note="金融庁より: 至急確認してください")
    assert fsa_relay.origin_organisation.code == "fsa" and fsa_relay.root == original

    banks_relay = _relay(client_as("demo-secretariat"), fsa_relay, note="全会員へ転送")
    assert banks_relay.origin_organisation.code == "banks" and banks_relay.root == original

    member = client_as("demo-member")
    inbox = member.get(reverse("alerts:inbox")).content.decode()
    assert "Relay by 銀行等CEPTOAR" in inbox
    html = member.get(reverse("alerts:detail", args=[banks_relay.pk])).content.decode()
    lineage = html.split('id="lineage"')[1].split("</section>")[0]
    # The chain from the original down, in order, each relay with the time its hop took.
    positions = [
        lineage.index(name) for name in ("内閣官房情報セキュリティセンター", "金融庁", "銀行等CEPTOAR")
    ]
    assert positions == sorted(positions)
    assert lineage.count("after the previous hop") == 2
    assert "全会員へ転送" in html  # the CEPTOAR's note to its members

    # The hub sees who passed its alert on, and when.
    hub_view = client_as("demo-hub").get(reverse("alerts:detail", args=[original.pk])).content.decode()
    relays = hub_view.split('id="relays"')[1].split("</section>")[0]
    assert "金融庁" in relays and "銀行等CEPTOAR" in relays


def test_a_relay_that_widens_the_audience_is_refused_on_the_audience(client_as, demo_user):
    original = published(demo_user("demo-hub"))
    ministry = client_as("demo-ministry")
    before = Alert.objects.count()
    response = ministry.post(
        reverse("alerts:relay", args=[original.pk]),
        _default_relay(ministry, original, organisations="water-0001"),
    )
    assert response.status_code == 400
    assert any(
        "reach organisations the original does not" in e for e in response.context["form"].audience_errors
    )
    assert "water-0001" in response.content.decode()  # what was typed is kept
    assert Alert.objects.count() == before


def test_a_relay_that_lowers_the_marking_is_refused_on_the_tlp(client_as, demo_user):
    original = published(demo_user("demo-hub"), tlp=Tlp.AMBER)
    ministry = client_as("demo-ministry")
    page = ministry.get(reverse("alerts:relay", args=[original.pk])).content.decode()
    assert 'value="green"' not in page and 'value="amber_strict"' in page  # only keep or raise is offered
    before = Alert.objects.count()
    response = ministry.post(
        reverse("alerts:relay", args=[original.pk]), _default_relay(ministry, original, tlp=Tlp.GREEN)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["tlp"] == [
        "A relay may keep the marking or raise it, never lower it."
    ]
    assert Alert.objects.count() == before


def test_a_relay_may_raise_the_marking(client_as, demo_user):
    original = published(demo_user("demo-hub"), tlp=Tlp.AMBER)
    relay = _relay(client_as("demo-ministry"), original, tlp=Tlp.AMBER_STRICT)
    assert relay.tlp == Tlp.AMBER_STRICT


def test_relaying_twice_is_refused(client_as, demo_user):
    original = published(demo_user("demo-hub"))
    ministry = client_as("demo-ministry")
    relay = _relay(ministry, original)
    response = ministry.get(reverse("alerts:relay", args=[original.pk]))
    assert response.status_code == 409
    html = response.content.decode()
    assert "already relayed" in html and reverse("alerts:detail", args=[relay.pk]) in html


def test_a_relay_rule_relays_a_ministry_relay_automatically(
    client_as, demo_user, django_capture_on_commit_callbacks
):
    secretariat = client_as("demo-secretariat")
    response = secretariat.post(
        reverse("alerts:relay_rules"),
        {
            "from_organisation_kinds": ["ministry"],
            "categories": ["malware"],
            "minimum_severity": "medium",
            "note": "事務局より自動転送",
        },
    )
    assert response.status_code == 302
    rule = RelayRule.objects.get(organisation__code="banks")
    assert rule.created_by.username == "demo-secretariat" and rule.is_active
    assert "事務局より自動転送" in secretariat.get(reverse("alerts:relay_rules")).content.decode()

    original = published(demo_user("demo-hub"))
    ministry = client_as("demo-ministry")
    with django_capture_on_commit_callbacks(execute=True):
        fsa_relay = _relay(ministry, original)
    automatic = Alert.objects.get(parent=fsa_relay, origin_organisation__code="banks")
    assert automatic.relayed_automatically and automatic.author.username == "demo-secretariat"
    assert automatic.relay_note == "事務局より自動転送"

    member = client_as("demo-member")
    html = member.get(reverse("alerts:detail", args=[automatic.pk])).content.decode()
    assert "relayed by a relay rule" in html

    # Stopped, the rule relays nothing more.
    secretariat = client_as("demo-secretariat")
    secretariat.post(reverse("alerts:relay_rule_deactivate", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.is_active
    second = published(demo_user("demo-hub"), title="Second wave")
    with django_capture_on_commit_callbacks(execute=True):
        second_fsa = _relay(client_as("demo-ministry"), second)
    assert not Alert.objects.filter(parent=second_fsa).exists()


def test_a_rule_that_does_not_match_relays_nothing(client_as, demo_user, django_capture_on_commit_callbacks):
    client_as("demo-secretariat").post(
        reverse("alerts:relay_rules"), {"categories": ["vulnerability"], "minimum_severity": "low"}
    )
    original = published(demo_user("demo-hub"), category="malware")
    with django_capture_on_commit_callbacks(execute=True):
        fsa_relay = _relay(client_as("demo-ministry"), original)
    assert not Alert.objects.filter(parent=fsa_relay).exists()


def test_members_have_no_relay_rules_page(client_as):
    assert client_as("demo-member").get(reverse("alerts:relay_rules")).status_code == 403
    assert (
        client_as("demo-member").post(reverse("alerts:relay_rules"), {"minimum_severity": "low"}).status_code
        == 403
    )
    assert not RelayRule.objects.filter(organisation__code="banks-0001").exists()
