"""Bad input on the exercise and inject forms: a clear message on the field concerned, everything typed
kept, and nothing stored or changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from ceptoar.exercises.models import Exercise, Inject
from ceptoar.exercises.participants import participant_spec
from ceptoar.registry.models import Organisation
from tests.exercises.support import plan
from tests.exercises.test_pages_support import (
    exercise_data,
    field_errors,
    inject_data,
    local,
    participant_errors,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def organiser(client_as):
    return client_as("demo-secretariat")


def _post_new(client, **overrides):
    before = Exercise.objects.count()
    response = client.post(reverse("exercises:new"), exercise_data(**overrides))
    assert response.status_code == 400
    assert Exercise.objects.count() == before  # nothing stored
    page = response.content.decode()
    assert "Nothing was saved" in page
    return page


def test_an_unknown_organisation_code_is_named_on_its_field(organiser):
    page = _post_new(organiser, organisations="banks-0001, banks-9999, nosuch-1")
    assert field_errors(page, "organisations") == [
        "There is no organisation with the code: banks-9999, nosuch-1"
    ]
    # What was typed stays in the form.
    assert "banks-0001, banks-9999, nosuch-1</textarea>" in page
    assert 'value="銀行等セプター 情報共有訓練 2025"' in page


def test_an_unknown_sector_or_ceptoar_code_is_named_on_its_field(organiser):
    page = _post_new(organiser, sectors="nosector", organisations=None)
    assert field_errors(page, "sectors") == ["There is no sector with the code “nosector”."]
    page = _post_new(organiser, ceptoars="noceptoar", organisations=None)
    assert field_errors(page, "ceptoars") == ["There is no CEPTOAR with the code “noceptoar”."]


def test_an_end_before_the_start_is_shown_on_the_end(organiser):
    data = exercise_data()
    page = _post_new(organiser, ends_at=data["starts_at"], starts_at=data["ends_at"])
    assert field_errors(page, "ends_at") == ["The exercise must end after it starts."]
    assert field_errors(page, "starts_at") == []
    assert f'value="{data["ends_at"]}"' in page  # the typed start (now the later time) is kept


def test_a_malformed_time_is_shown_on_its_field(organiser):
    page = _post_new(organiser, starts_at="tomorrow morning")
    assert field_errors(page, "starts_at") == ["Enter a date and time, e.g. 2025-04-01 09:30."]


def test_a_participant_outside_the_ceptoar_members_is_refused_on_the_participants(organiser):
    # The banks CEPTOAR's secretariat does not send alerts to a water utility.
    page = _post_new(organiser, organisations="banks-0001, water-0001")
    errors = participant_errors(page)
    assert len(errors) == 1
    assert "does not send alerts to all of these participants" in errors[0]
    assert Organisation.objects.get(code="water-0001").name in errors[0]
    assert Organisation.objects.get(code="banks-0001").name not in errors[0]
    assert "Participants" in page.split('class="error-box"', 1)[1].split("</div>", 1)[0]


def test_no_participant_at_all_is_refused(organiser):
    page = _post_new(organiser, organisations="")
    assert participant_errors(page) == ["Choose who takes part in the exercise."]


def test_editing_with_bad_input_changes_nothing(organiser, demo_user):
    exercise = plan(demo_user("demo-secretariat"), organisations=["banks-0001"])
    before = (exercise.name, exercise.starts_at, exercise.ends_at, participant_spec(exercise))
    response = organiser.post(
        reverse("exercises:edit", args=[exercise.pk]),
        exercise_data(name="Renamed", organisations="banks-0002, nosuch-1"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert field_errors(page, "organisations") == ["There is no organisation with the code: nosuch-1"]
    assert 'value="Renamed"' in page
    response = organiser.post(
        reverse("exercises:edit", args=[exercise.pk]),
        exercise_data(name="Renamed", organisations="banks-0002, water-0001"),
    )
    assert response.status_code == 400
    assert participant_errors(response.content.decode())
    exercise.refresh_from_db()
    assert (exercise.name, exercise.starts_at, exercise.ends_at, participant_spec(exercise)) == before


def test_an_inject_outside_the_window_is_refused_on_its_time(organiser, demo_user):
    exercise = plan(demo_user("demo-secretariat"), organisations=["banks-0001"], injects=0)
    late = local(exercise.ends_at + timedelta(hours=1))
    response = organiser.post(
        reverse("exercises:inject_new", args=[exercise.pk]), inject_data(exercise, scheduled_at=late)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert field_errors(page, "scheduled_at") == ["An inject is sent within the exercise's time window."]
    assert f'value="{late}"' in page and "不正送金マルウェアの検知（想定1）" in page
    assert not Inject.objects.filter(exercise=exercise).exists()


def test_an_inject_edit_with_bad_input_keeps_the_stored_inject(organiser, demo_user):
    exercise = plan(demo_user("demo-secretariat"), organisations=["banks-0001"])
    inject = exercise.injects.get()
    response = organiser.post(
        reverse("exercises:inject_edit", args=[exercise.pk, inject.pk]),
        inject_data(exercise, title="", tlp="red"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert field_errors(page, "title") == ["This field is required."]
    assert field_errors(page, "tlp")  # TLP:RED names people; an exercise names organisations
    stored = Inject.objects.get(pk=inject.pk)
    assert (stored.title, stored.tlp) == (inject.title, inject.tlp)


def test_a_started_exercise_can_no_longer_be_changed(organiser, demo_user):
    from ceptoar.exercises.services import running

    exercise = plan(demo_user("demo-secretariat"), organisations=["banks-0001"])
    running.start(exercise, demo_user("demo-secretariat"))
    response = organiser.post(reverse("exercises:edit", args=[exercise.pk]), exercise_data(name="Too late"))
    assert response.status_code == 302
    page = organiser.get(response["Location"]).content.decode()
    assert "An exercise that has started can no longer be changed." in page
    exercise.refresh_from_db()
    assert exercise.name != "Too late"
