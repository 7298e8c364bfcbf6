"""The portal inbox: what each person sees, the filters, and a query count that does not grow with the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _titles(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_inbox_lists_what_the_member_may_see_newest_first(client_as, demo_user):
    hub = demo_user("demo-hub")
    older = published(hub, title="Older finance alert")
    newer = published(hub, title="Newer finance alert", category="vulnerability", tlp=Tlp.GREEN)
    water = published(hub, title="Water works alert", audience=AudienceSpec(sectors=["water"]))
    html = _titles(client_as("demo-member").get(reverse("alerts:inbox")))
    assert html.index(newer.title) < html.index(older.title)
    assert water.title not in html
    assert "Original" in html and "TLP:GREEN" in html
    assert water.title in _titles(client_as("demo-water").get(reverse("alerts:inbox")))


def test_filters_narrow_the_list(client_as, demo_user):
    hub = demo_user("demo-hub")
    published(hub, title="Malware amber", category="malware", tlp=Tlp.AMBER)
    published(hub, title="Vulnerability green", category="vulnerability", tlp=Tlp.GREEN)
    member = client_as("demo-member")
    html = _titles(member.get(reverse("alerts:inbox"), {"category": "vulnerability"}))
    assert "Vulnerability green" in html and "Malware amber" not in html
    html = _titles(member.get(reverse("alerts:inbox"), {"tlp": "amber"}))
    assert "Malware amber" in html and "Vulnerability green" not in html
    html = _titles(member.get(reverse("alerts:inbox"), {"q": "vulner"}))
    assert "Vulnerability green" in html and "Malware amber" not in html
    # Nothing the member's organisation sent.
    html = _titles(member.get(reverse("alerts:inbox"), {"ours": "on"}))
    assert "Malware amber" not in html and "Vulnerability green" not in html
    html = _titles(client_as("demo-hub").get(reverse("alerts:inbox"), {"ours": "on"}))
    assert "Malware amber" in html and "Vulnerability green" in html


def test_a_filter_naming_nothing_is_an_error(client_as):
    response = client_as("demo-member").get(reverse("alerts:inbox"), {"tlp": "purple"})
    assert response.status_code == 400
    assert "There is no TLP marking called “purple”." in response.content.decode()


def test_drafts_show_in_the_senders_inbox_only(client_as, demo_user):
    hub = demo_user("demo-hub")
    drafts.create_draft(
        hub,
        title="Unsent draft",
        body="",
        category="other",
        severity="low",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(sectors=["finance"]),
    )
    assert "Unsent draft" in _titles(client_as("demo-hub").get(reverse("alerts:inbox")))
    assert "Unsent draft" not in _titles(client_as("demo-member").get(reverse("alerts:inbox")))


def test_the_inbox_takes_a_fixed_number_of_queries(client_as, demo_user, django_assert_max_num_queries):
    hub = demo_user("demo-hub")
    first = published(hub, title="Hop zero")
    publication.relay(first, demo_user("demo-ministry"))
    member = client_as("demo-member")
    member.get(reverse("alerts:inbox"))  # warm the session
    # The list, its count, our receipts of the page's chains, the next alert to acknowledge, and the
    # header's to-do badges and unread notifications: a fixed number, checked below not to grow with the list.
    with django_assert_max_num_queries(11) as few:
        member.get(reverse("alerts:inbox"))
    for number in range(30):
        published(hub, title=f"Alert number {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = _titles(member.get(reverse("alerts:inbox")))
    assert "Page 1 of 2" in html
