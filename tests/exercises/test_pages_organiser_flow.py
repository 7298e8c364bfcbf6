"""The organiser's whole flow through the pages: plan an exercise, add an inject, start, send the inject
now (it goes out as an alert marked as an exercise), end, and read the final figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Alert, Recipient
from ceptoar.exercises.models import MARK, Exercise, ExerciseStatus, Participant
from tests.exercises.test_pages_support import PARTICIPANTS, exercise_data, inject_data, local, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_plan_start_send_and_finish_through_the_pages(client_as):
    client = client_as("demo-secretariat")

    # Plan.
    response = client.post(reverse("exercises:new"), exercise_data())
    exercise = Exercise.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse(
        "exercises:detail", args=[exercise.pk]
    )
    assert exercise.organiser.code == "banks" and exercise.status == ExerciseStatus.PLANNED
    page = client.get(response["Location"]).content.decode()
    assert MARK in page and 'id="exercise-banner"' in page
    # Before the start: a preview of who takes part, from the registry.
    counts = text(page.split('id="participant-counts"')[1].split("</dl>")[0])
    assert "Participant 3" in counts and "Organiser 1" in counts
    assert "The scoreboard opens when the exercise starts." in page

    # Add an inject.
    response = client.post(reverse("exercises:inject_new", args=[exercise.pk]), inject_data(exercise))
    assert response.status_code == 302
    inject = exercise.injects.get()
    assert inject.title == "不正送金マルウェアの検知（想定1）" and inject.scheduled_at == exercise.starts_at

    # Start.
    response = client.post(reverse("exercises:start", args=[exercise.pk]))
    assert response.status_code == 302
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.RUNNING
    assert set(
        Participant.objects.filter(exercise=exercise, role="participant").values_list(
            "organisation__code", flat=True
        )
    ) == set(PARTICIPANTS)
    page = client.get(reverse("exercises:detail", args=[exercise.pk])).content.decode()
    assert "Send now" in page and 'id="finish-exercise"' in page and 'id="start-exercise"' not in page
    assert 'id="scoreboard"' in page and "every 15s" in page

    # Send now instead of waiting for its time.
    response = client.post(reverse("exercises:inject_send", args=[exercise.pk, inject.pk]))
    assert response.status_code == 302
    inject.refresh_from_db()
    alert = Alert.objects.get(pk=inject.alert_id)
    assert alert.title.startswith(MARK) and MARK in alert.body and alert.exercise_id == exercise.pk
    assert set(Recipient.objects.filter(alert=alert).values_list("organisation__code", flat=True)) == set(
        PARTICIPANTS
    )
    page = client.get(response["Location"]).content.decode()
    assert f"“{inject.title}” has been sent." in page
    assert reverse("alerts:detail", args=[alert.pk]) in page
    # Sending it twice is refused with a message, not an error page.
    response = client.post(reverse("exercises:inject_send", args=[exercise.pk, inject.pk]), follow=True)
    assert "This inject has already been sent." in response.content.decode()
    assert Alert.objects.filter(exercise=exercise).count() == 1

    # End: the final figures are kept and shown.
    page = client.get(reverse("exercises:finish", args=[exercise.pk])).content.decode()
    assert "1 open alert of the exercise is closed." in page
    response = client.post(reverse("exercises:finish", args=[exercise.pk]), {"confirm": "finish"})
    assert response.status_code == 302
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.FINISHED and exercise.final_measures is not None
    page = client.get(reverse("exercises:detail", args=[exercise.pk])).content.decode()
    assert "Final figures, as they stood when the exercise ended" in page
    assert "every 15s" not in page  # the scoreboard no longer polls
    assert 'id="finish-exercise"' not in page and "Send now" not in page
    flagged = exercise.final_measures["flagged_contacts"]
    assert f"{flagged} contacts were flagged in the registry for verification." in text(page) or (
        flagged == 1 and "1 contact was flagged" in text(page)
    )
    assert reverse("registry:freshness") in page
    assert reverse("exercises:report", args=[exercise.pk]) in page

    # The list shows it with its final member-hop rate.
    page = client.get(reverse("exercises:list")).content.decode()
    row = page.split(f'data-pk="{exercise.pk}"')[1].split("</tr>")[0]
    assert exercise.name in row and "Finished" in row and "0.0%" in row


def test_an_inject_can_be_changed_and_deleted_while_planned(client_as, demo_user):
    from tests.exercises.support import plan

    exercise = plan(demo_user("demo-secretariat"), organisations=["banks-0001"])
    inject = exercise.injects.get()
    client = client_as("demo-secretariat")
    response = client.post(
        reverse("exercises:inject_edit", args=[exercise.pk, inject.pk]),
        # The helper's start has seconds; the form's times have minutes.
        inject_data(
            exercise,
            title="想定の変更",
            tlp="amber",
            scheduled_at=local(exercise.starts_at + timedelta(minutes=1)),
        ),
    )
    assert response.status_code == 302
    inject.refresh_from_db()
    assert (inject.title, inject.tlp) == ("想定の変更", "amber")
    assert client.get(reverse("exercises:inject_delete", args=[exercise.pk, inject.pk])).status_code == 405
    response = client.post(reverse("exercises:inject_delete", args=[exercise.pk, inject.pk]))
    assert response.status_code == 302 and not exercise.injects.exists()


def test_the_edit_form_starts_from_the_stored_plan(client_as, demo_user):
    from tests.exercises.support import plan

    exercise = plan(demo_user("demo-secretariat"), organisations=["banks-0002", "banks-0001"])
    page = client_as("demo-secretariat").get(reverse("exercises:edit", args=[exercise.pk])).content.decode()
    assert f'value="{exercise.name}"' in page
    assert "banks-0001\nbanks-0002</textarea>" in page
