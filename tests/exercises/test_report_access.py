"""Only the organiser's people open an exercise's after-action report, page or PDF; anyone else gets the
same 404 as for an exercise that does not exist, and no figure of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.exercises.test_report_support import drill, secretariat  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["demo-member", "demo-ministry", "demo-water", "demo-coordinator"])
def test_others_get_404_for_page_and_pdf(client_as, secretariat, username):  # noqa: F811
    exercise = drill(secretariat, {"banks-0001": 1}, name="Secret drill name")
    client = client_as(username)
    for name in ("exercises:report", "exercises:report_pdf"):
        response = client.get(reverse(name, args=[exercise.pk]))
        assert response.status_code == 404
        assert b"Secret drill name" not in response.content
        assert not response.content.startswith(b"%PDF")


def test_an_unknown_exercise_is_404(client_as):
    client = client_as("demo-secretariat")
    assert client.get(reverse("exercises:report", args=[999999])).status_code == 404
    assert client.get(reverse("exercises:report_pdf", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, secretariat):  # noqa: F811
    exercise = drill(secretariat, {}, name="Drill")
    response = client.get(reverse("exercises:report_pdf", args=[exercise.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
