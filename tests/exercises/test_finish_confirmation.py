"""Ending an exercise cannot be undone: its page says what ending stops, and only its confirmation ends it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Alert, Status
from ceptoar.escalation.models import FollowUp, FollowUpState
from ceptoar.exercises.models import ExerciseStatus
from ceptoar.exercises.services import running
from tests.exercises.support import plan, run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BANKS = ["banks-0001", "banks-0002", "banks-0003"]


def _pending(exercise) -> int:
    return FollowUp.objects.filter(recipient__alert__exercise=exercise, state=FollowUpState.PENDING).count()


def test_ending_without_confirmation_changes_nothing(client_as, demo_user):
    exercise = run(demo_user("demo-secretariat"), organisations=BANKS, injects=2)
    pending = _pending(exercise)
    assert pending == 2 * len(BANKS)
    client = client_as("demo-secretariat")
    url = reverse("exercises:finish", args=[exercise.pk])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 200
        html = response.content.decode()
        assert "2 open alerts of the exercise are closed." in html
        assert f"{pending} pending escalation steps (for {len(BANKS)} organisations) are cancelled." in html
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.RUNNING and exercise.final_measures is None
    assert _pending(exercise) == pending
    assert Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED).count() == 2

    assert client.post(url, {"confirm": "finish"}).status_code == 302
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.FINISHED and _pending(exercise) == 0
    assert not Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED).exists()


def test_the_page_warns_of_injects_that_will_not_be_sent(client_as, demo_user):
    secretariat = demo_user("demo-secretariat")
    exercise = plan(secretariat, organisations=BANKS, injects=1)
    running.start(exercise, secretariat)
    html = client_as("demo-secretariat").get(reverse("exercises:finish", args=[exercise.pk])).content.decode()
    assert "1 inject not yet sent will not be sent." in html


def test_only_the_organiser_sees_the_confirmation(client_as, demo_user):
    exercise = run(demo_user("demo-secretariat"), organisations=BANKS)
    assert client_as("demo-member").get(reverse("exercises:finish", args=[exercise.pk])).status_code == 404
