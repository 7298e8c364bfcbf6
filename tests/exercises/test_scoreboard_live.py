"""The live scoreboard: while the exercise runs, the page polls an htmx fragment every 15 seconds (while
the tab is visible) that re-renders the scoreboard and changes as soon as a recipient confirms receipt;
once the exercise has ended, the fragment stops polling."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Recipient
from ceptoar.alerts.services.acknowledgements import acknowledge
from ceptoar.exercises.services import running
from tests.exercises.support import plan, run
from tests.exercises.test_pages_support import PARTICIPANTS, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _rate(html: str) -> str:
    block = html.split('data-figure="confirmed_rate">')[1].split("</dd>")[0]
    return text(block)


@pytest.fixture
def drill(demo_user):
    return run(demo_user("demo-secretariat"), organisations=PARTICIPANTS)


def test_the_page_polls_the_scoreboard_every_fifteen_seconds(client_as, drill):
    html = client_as("demo-secretariat").get(reverse("exercises:detail", args=[drill.pk])).content.decode()
    url = reverse("exercises:scoreboard", args=[drill.pk])
    assert f'hx-get="{url}"' in html
    assert 'hx-trigger="every 15s" data-live' in html and "/static/core/htmx-live.js" in html
    # htmx comes from our own static files, never from a CDN.
    script = re.search(r'<script src="([^"]+)"', html)
    assert script is not None and script.group(1).startswith("/static/django_htmx/htmx")


def test_the_fragment_is_the_scoreboard_alone_and_follows_acknowledgements(client_as, drill):
    client = client_as("demo-secretariat")
    url = reverse("exercises:scoreboard", args=[drill.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert html.strip().startswith('<section id="scoreboard"') and 'hx-swap="outerHTML"' in html
    assert "<html" not in html and 'id="injects"' not in html  # a fragment, not the page
    # Marked live: htmx-live.js reloads the page rather than paste in an answer from elsewhere (log-in).
    assert 'data-live hx-swap="outerHTML"' in html and "hx-on" not in html
    assert _rate(html) == "0.0% 0 / 3"
    acknowledge(Recipient.objects.get(alert__exercise=drill, organisation__code="banks-0002"), via="portal")
    assert _rate(client.get(url, headers={"HX-Request": "true"}).content.decode()) == "33.3% 1 / 3"


def test_the_fragment_of_a_finished_exercise_stops_polling(client_as, drill, demo_user):
    running.finish(drill, demo_user("demo-secretariat"))
    html = (
        client_as("demo-secretariat").get(reverse("exercises:scoreboard", args=[drill.pk])).content.decode()
    )
    assert html.strip().startswith('<section id="scoreboard"')
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "Final figures" in html


def test_a_planned_exercise_has_no_scoreboard_yet(client_as, demo_user):
    exercise = plan(demo_user("demo-secretariat"), organisations=["banks-0001"])
    html = (
        client_as("demo-secretariat")
        .get(reverse("exercises:scoreboard", args=[exercise.pk]))
        .content.decode()
    )
    assert "The scoreboard opens when the exercise starts." in html and "hx-trigger" not in html


def test_a_started_exercise_without_a_sent_inject_says_so_in_its_tables(client_as, demo_user):
    secretariat = demo_user("demo-secretariat")
    exercise = running.start(plan(secretariat, organisations=["banks-0001"]), secretariat)
    html = (
        client_as("demo-secretariat")
        .get(reverse("exercises:scoreboard", args=[exercise.pk]))
        .content.decode()
    )
    hops = html.split('id="hops-table"')[1].split("</table>")[0]
    assert "No inject has been sent yet." in hops and "Nobody has been sent the alert yet." not in html
