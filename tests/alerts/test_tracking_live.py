"""The live part of the tracking page: an htmx fragment polled every 5 seconds (while the tab is visible)
that re-renders the summary, and changes as soon as a recipient confirms receipt."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.alerts.test_tracking_support import acknowledge, hub_alert, relay_down

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _headline(html: str) -> dict[str, str]:
    block = html.split('id="tracking-headline"')[1].split("</dl>")[0]
    return {
        re.sub(r"<[^>]+>", "", term).strip(): re.sub(r"<[^>]+>", "", value).strip()
        for term, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block, re.S)
    }


@pytest.fixture
def original(demo_user):
    alert = hub_alert(demo_user, ceptoars=["gas"])
    relay_down(alert)
    return alert


def test_the_page_polls_the_fragment_every_five_seconds_while_visible(client_as, original):
    html = client_as("demo-hub").get(reverse("alerts:tracking", args=[original.pk])).content.decode()
    live_url = reverse("alerts:tracking_live", args=[original.pk])
    assert f'hx-get="{live_url}"' in html
    # Only while the tab is visible: htmx-live.js skips the request otherwise (htmx may not evaluate code).
    assert 'hx-trigger="every 5s" data-live' in html and "/static/core/htmx-live.js" in html
    # htmx comes with the page from our own static files, never from a CDN.
    script = re.search(r'<script src="([^"]+)"', html)
    assert script is not None and script.group(1).startswith("/static/django_htmx/htmx")
    assert "https://" not in script.group(0)
    # Without JavaScript the page still shows everything; a plain reload brings it up to date.
    assert "Reload" in html and 'id="organisations"' in html


def test_the_fragment_replaces_itself_and_keeps_polling(client_as, original):
    response = client_as("demo-hub").get(
        reverse("alerts:tracking_live", args=[original.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith('<div id="tracking-live"') and 'hx-swap="outerHTML"' in html
    assert "<html" not in html  # a fragment, not a page
    assert 'id="organisations"' not in html  # the paginated table stays as the reader left it
    assert response["Cache-Control"] == "no-store"
    # An answer from elsewhere (the log-in page after the session expired) reloads the page instead.
    # Marked live: htmx-live.js reloads the page rather than paste in an answer from elsewhere (log-in).
    assert 'data-live hx-swap="outerHTML"' in html and "hx-on" not in html


def test_the_fragment_changes_after_an_acknowledgement(client_as, original):
    client = client_as("demo-hub")
    url = reverse("alerts:tracking_live", args=[original.pk])
    before = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert _headline(before)["Receipt confirmed"] == "0 0.0%"
    assert "Not confirmed" in before

    acknowledge(original, "gas-0003")

    after = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert _headline(after)["Receipt confirmed"] == "1 8.3%"  # of 12: meti, gas and its 10 members
    members = after.split('id="tracking-ceptoars"')[1].split("</section>")[0]
    assert "10.0%" in members  # 1 of gas's 10 members
    assert after != before


def test_a_live_poll_after_the_session_expired_sends_the_page_to_log_in(client):
    response = client.get(
        reverse("alerts:tracking_live", args=[1]),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/alerts/1/tracking/"},
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=/alerts/1/tracking/"
