"""Who may open the organiser's pages: another organisation gets the same 404 as for an exercise that does
not exist; a colleague of the organiser who may not run exercises may look but gets 403 for every action;
the "Exercises" link shows only to those who may organise."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.exercises.models import Exercise, ExerciseStatus
from tests.exercises.support import plan
from tests.exercises.test_pages_support import exercise_data, inject_data
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def exercise(demo_user) -> Exercise:
    return plan(demo_user("demo-secretariat"), organisations=["banks-0001"])


def _pages(exercise):
    inject = exercise.injects.get()
    return {
        "view": [
            reverse("exercises:detail", args=[exercise.pk]),
            reverse("exercises:scoreboard", args=[exercise.pk]),
        ],
        "act": [
            ("get", reverse("exercises:edit", args=[exercise.pk])),
            ("get", reverse("exercises:inject_new", args=[exercise.pk])),
            ("get", reverse("exercises:inject_edit", args=[exercise.pk, inject.pk])),
            ("post", reverse("exercises:inject_delete", args=[exercise.pk, inject.pk])),
            ("post", reverse("exercises:start", args=[exercise.pk])),
            ("post", reverse("exercises:finish", args=[exercise.pk])),
            ("post", reverse("exercises:inject_send", args=[exercise.pk, inject.pk])),
        ],
    }


@pytest.mark.parametrize("username", ["demo-member", "demo-ministry", "demo-water", "demo-hub"])
def test_another_organisation_gets_404_everywhere(client_as, exercise, username):
    client = client_as(username)
    pages = _pages(exercise)
    for url in pages["view"]:
        assert client.get(url).status_code == 404, url
    for method, url in pages["act"]:
        assert getattr(client, method)(url).status_code == 404, url
    assert f'data-pk="{exercise.pk}"' not in client.get(reverse("exercises:list")).content.decode()
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.PLANNED and exercise.injects.count() == 1


def test_a_colleague_who_may_not_organise_may_look_but_not_act(client, exercise):
    colleague = User.objects.create_user("banks-auditor", organisation=exercise.organiser)
    RoleGrant.objects.create(user=colleague, role=Role.AUDITOR)
    sign_in(client, colleague)
    pages = _pages(exercise)
    for url in pages["view"]:
        assert client.get(url).status_code == 200, url
    page = client.get(pages["view"][0]).content.decode()
    assert 'id="start-exercise"' not in page and 'id="exercise-actions"' not in page
    for method, url in pages["act"]:
        assert getattr(client, method)(url).status_code == 403, url
    assert client.get(reverse("exercises:new")).status_code == 403
    assert client.post(reverse("exercises:new"), exercise_data()).status_code == 403
    list_page = client.get(reverse("exercises:list")).content.decode()
    assert f'data-pk="{exercise.pk}"' in list_page and 'id="new-exercise"' not in list_page
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.PLANNED and exercise.injects.count() == 1


def test_a_member_may_not_plan_an_exercise(client_as):
    client = client_as("demo-member")
    before = Exercise.objects.count()
    assert client.get(reverse("exercises:new")).status_code == 403
    assert client.post(reverse("exercises:new"), exercise_data()).status_code == 403
    assert Exercise.objects.count() == before


def test_an_unknown_exercise_or_inject_is_404(client_as, exercise):
    client = client_as("demo-secretariat")
    assert client.get(reverse("exercises:detail", args=[exercise.pk + 1000])).status_code == 404
    other = plan(exercise.created_by, organisations=["banks-0002"])
    foreign_inject = other.injects.get()
    url = reverse("exercises:inject_edit", args=[exercise.pk, foreign_inject.pk])
    assert client.post(url, inject_data(exercise)).status_code == 404


@pytest.mark.parametrize(
    ("username", "shown"),
    [
        ("demo-secretariat", True),
        ("demo-ministry", True),
        ("demo-hub", True),
        ("demo-member", False),
        ("demo-water", False),
        ("demo-auditor", False),
    ],
)
def test_the_nav_link_shows_only_to_organisers(client_as, username, shown):
    page = client_as(username).get(reverse("alerts:inbox")).content.decode()
    assert ('id="nav-exercises"' in page) is shown
    if shown:
        assert f'href="{reverse("exercises:list")}"' in page and ">Exercises</a>" in page
