"""Who may open the tracking page, its live part and its CSV: the sender of the alert or of one above it in
the chain, for the subtree below. Everyone else gets the 404 of a missing alert."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.alerts import tracking
from ceptoar.alerts.models import Alert, Recipient
from ceptoar.alerts.services import closing, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import published
from tests.alerts.test_tracking_support import relay_as

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAGES = ("alerts:tracking", "alerts:tracking_live", "alerts:tracking_csv")


@pytest.fixture
def chain(demo_user):
    """The hub's AMBER alert to finance → 金融庁 → 銀行等CEPTOAR (two members) and 証券CEPTOAR (one)."""
    original = published(demo_user("demo-hub"))
    fsa = publication.relay(original, demo_user("demo-ministry"))
    banks = publication.relay(
        fsa, demo_user("demo-secretariat"), audience=AudienceSpec(organisations=["banks-0001", "banks-0002"])
    )
    securities = relay_as(fsa, "securities", organisations=["securities-0001"])
    return {"original": original, "fsa": fsa, "banks": banks, "securities": securities}


def _codes(response) -> set[str]:
    return {row.organisation.code for row in response.context["page"].object_list}


def _status(client, alert: Alert) -> list[int]:
    return [client.get(reverse(name, args=[alert.pk])).status_code for name in PAGES]


def test_the_hub_follows_the_whole_tree_below_its_alert(client_as, chain):
    client = client_as("demo-hub")
    response = client.get(reverse("alerts:tracking", args=[chain["original"].pk]))
    assert response.status_code == 200
    assert {"fsa", "banks", "securities", "banks-0001", "banks-0002", "securities-0001"} <= _codes(response)
    assert _status(client, chain["original"]) == [200, 200, 200]


def test_the_ministry_follows_its_relay_and_not_the_hubs_alert(client_as, chain):
    client = client_as("demo-ministry")
    response = client.get(reverse("alerts:tracking", args=[chain["fsa"].pk]))
    assert response.status_code == 200
    codes = _codes(response)
    assert {"banks", "securities", "banks-0001", "securities-0001"} <= codes
    assert "fsa" not in codes  # the hub's hop to the ministry is above the ministry's relay
    assert _status(client, chain["fsa"]) == [200, 200, 200]
    assert _status(client, chain["original"]) == [404, 404, 404]


def test_a_ceptoar_follows_its_own_relay_only(client_as, chain):
    client = client_as("demo-secretariat")
    response = client.get(reverse("alerts:tracking", args=[chain["banks"].pk]))
    assert response.status_code == 200
    assert _codes(response) == {"banks-0001", "banks-0002"}
    assert "securities-0001" not in response.content.decode()
    # Not the sibling CEPTOAR's relay, nor the ministry's or the hub's alert above its own.
    for other in ("securities", "fsa", "original"):
        assert _status(client, chain[other]) == [404, 404, 404], other


def test_members_and_other_ceptoars_get_404(client_as, chain):
    for username in ("demo-member", "demo-member2", "demo-analyst", "demo-coordinator", "demo-water"):
        client = client_as(username)
        for alert in chain.values():
            assert _status(client, alert) == [404, 404, 404], (username, alert.origin_organisation.code)


def test_a_relay_the_sender_above_may_not_read_is_followed_from_its_own_alert(client_as, chain, demo_user):
    # The banks relay went to two banks only: the hub does not see it, so cannot open it here either…
    hub = demo_user("demo-hub")
    assert not tracking.can_track(hub, chain["banks"])
    assert _status(client_as("demo-hub"), chain["banks"]) == [404, 404, 404]
    # …but follows its recipients from its own alert's page.
    response = client_as("demo-hub").get(
        reverse("alerts:tracking", args=[chain["original"].pk]), {"ceptoar": "banks"}
    )
    assert _codes(response) == {"banks-0001", "banks-0002"}


def test_a_closed_alert_is_still_tracked(client_as, chain, demo_user):
    closing.close(chain["original"], demo_user("demo-hub"))
    assert _status(client_as("demo-hub"), chain["original"]) == [200, 200, 200]


def test_a_missing_alert_answers_the_same(client_as, chain):
    client = client_as("demo-hub")
    missing = Alert.objects.order_by("-pk").first().pk + 1000
    assert _status(client, Alert(pk=missing)) == [404, 404, 404]


def test_a_draft_is_not_tracked(demo_user):
    hub = demo_user("demo-hub")
    draft = drafts.create_draft(
        hub,
        title="下書き",
        body="",
        category="other",
        severity="low",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["gas"]),
    )
    assert not tracking.can_track(hub, draft)
    assert tracking.can_track(hub, publication.submit(draft, hub))


def test_a_colleague_without_a_sending_role_cannot_track(chain, demo_user):
    analyst = User.objects.create_user(
        "banks-analyst", organisation=demo_user("demo-secretariat").organisation
    )
    RoleGrant.objects.create(user=analyst, role=Role.MEMBER_ANALYST)
    assert not tracking.can_track(analyst, chain["banks"])
    assert tracking.can_track(demo_user("demo-secretariat"), chain["banks"])
    assert Recipient.objects.filter(alert=chain["banks"]).count() == 2


def test_the_detail_page_links_to_tracking_only_when_allowed(chain, demo_user):
    """The link in `alerts/detail.html`, shown when the view says `can_track`."""
    request = RequestFactory().get("/")
    request.user = demo_user("demo-hub")
    alert = chain["original"]
    url = reverse("alerts:tracking", args=[alert.pk])
    shown = render_to_string("alerts/detail.html", {"alert": alert, "can_track": True}, request=request)
    hidden = render_to_string("alerts/detail.html", {"alert": alert, "can_track": False}, request=request)
    assert f'href="{url}"' in shown and 'id="tracking-link"' in shown
    assert url not in hidden


def test_the_detail_page_links_to_tracking_for_the_sender_only(client_as, demo_user):
    from tests.alerts.test_tracking_support import hub_alert as tracked_hub_alert

    alert = tracked_hub_alert(demo_user, sectors=["finance"])
    hub_page = client_as("demo-hub").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert 'id="tracking-link"' in hub_page
    assert reverse("alerts:tracking", args=[alert.pk]) in hub_page
    ministry_page = client_as("demo-ministry").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert 'id="tracking-link"' not in ministry_page
