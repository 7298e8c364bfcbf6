"""Issue 16 (exercises): a window already past is refused on its end, the new-exercise form offers now to
now + 2 h, a scoreboard or report with nothing sent says so (0 of 0 is not "everyone confirmed"), and the
after-action report shows when the exercise really started and ended (page, PDF, spreadsheet)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.exercises.models import Exercise
from ceptoar.exercises.services import planning, running
from tests.exercises.support import plan
from tests.exercises.test_pages_support import JAPAN, exercise_data, field_errors, local, text
from tests.exercises.test_report_support import drill, pdf_text, secretariat  # noqa: F401

pytestmark = pytest.mark.django_db

ALL_CONFIRMED = (
    "Every organisation sent an inject has confirmed receipt.",
    "Every organisation sent to has confirmed receipt.",
)


# -- the window ------------------------------------------------------------------------------------


def test_the_service_refuses_a_window_already_past_on_its_end(secretariat):  # noqa: F811
    now = timezone.now()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        planning.create_exercise(
            secretariat,
            name="昨日の訓練",
            kind="ceptoar_drill",
            starts_at=now - timedelta(days=1, hours=2),
            ends_at=now - timedelta(days=1),
            participants=AudienceSpec(organisations=["banks-0001"]),
        )
    assert list(refused.value.message_dict) == ["ends_at"]
    assert "already passed" in refused.value.message_dict["ends_at"][0]
    assert not Exercise.objects.filter(name="昨日の訓練").exists()


def test_changing_a_planned_exercise_to_a_past_window_is_refused(secretariat):  # noqa: F811
    exercise = plan(secretariat, organisations=["banks-0001"])
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        planning.update_exercise(
            exercise,
            secretariat,
            name=exercise.name,
            kind=exercise.kind,
            starts_at=now - timedelta(hours=3),
            ends_at=now - timedelta(hours=1),
            participants=AudienceSpec(organisations=["banks-0001"]),
        )
    assert list(refused.value.message_dict) == ["ends_at"]
    exercise.refresh_from_db()
    assert exercise.ends_at > now  # unchanged


def test_the_form_shows_a_past_window_on_the_end_field(client_as, english):
    now = timezone.now()
    data = exercise_data(starts_at=local(now - timedelta(days=2)), ends_at=local(now - timedelta(days=1)))
    response = client_as("demo-secretariat").post(reverse("exercises:new"), data)
    assert response.status_code == 400
    page = response.content.decode()
    [message] = field_errors(page, "ends_at")
    assert message.startswith("This end time has already passed (it is now ")
    assert field_errors(page, "starts_at") == []
    assert not Exercise.objects.filter(name=data["name"]).exists()


def test_a_window_from_a_minute_ago_is_accepted(client_as, english):
    """The form's default start is the current minute, already a few seconds past when it is sent."""
    data = exercise_data()
    response = client_as("demo-secretariat").post(reverse("exercises:new"), data)
    assert response.status_code == 302
    assert Exercise.objects.filter(name=data["name"]).exists()


def test_the_new_exercise_form_offers_now_for_two_hours(client_as, english):
    before = timezone.now().replace(second=0, microsecond=0)
    page = client_as("demo-secretariat").get(reverse("exercises:new")).content.decode()
    after = timezone.now().replace(second=0, microsecond=0)

    def value(name: str) -> str:
        return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)

    starts, ends = value("starts_at"), value("ends_at")
    assert starts in {local(before), local(after)}  # Japan time, to the minute
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", starts)
    start = timezone.datetime.strptime(starts, "%Y-%m-%dT%H:%M").replace(tzinfo=JAPAN)
    assert ends == local(start + timedelta(hours=2))


def test_the_edit_form_keeps_the_planned_window(client_as, english, secretariat):  # noqa: F811
    exercise = plan(secretariat, organisations=["banks-0001"])
    page = client_as("demo-secretariat").get(reverse("exercises:edit", args=[exercise.pk])).content.decode()
    assert f'name="ends_at" value="{local(exercise.ends_at)}"' in page


# -- nothing sent yet ------------------------------------------------------------------------------


def _started_without_inject(user):
    return running.start(plan(user, injects=0, organisations=["banks-0001", "banks-0002"]), user)


def test_the_scoreboard_before_any_inject_says_none_was_sent(client_as, english, secretariat):  # noqa: F811
    exercise = _started_without_inject(secretariat)
    client = client_as("demo-secretariat")
    for name in ("exercises:scoreboard", "exercises:detail"):
        html = client.get(reverse(name, args=[exercise.pk])).content.decode()
        notice = html.split('id="scoreboard-nothing-sent"')[1].split("</p>")[0]
        assert "No inject has been sent yet." in text(notice)
        unreached = html.split('id="scoreboard-unreached"')[1].split("</section>")[0]
        assert "No inject has been sent yet." in text(unreached)
        assert not any(claim in html for claim in ALL_CONFIRMED)


def test_in_japanese_the_scoreboard_says_no_inject_was_sent_yet(client_as, secretariat):  # noqa: F811
    exercise = _started_without_inject(secretariat)
    html = (
        client_as("demo-secretariat")
        .get(reverse("exercises:scoreboard", args=[exercise.pk]))
        .content.decode()
    )
    notice = text(html.split('id="scoreboard-nothing-sent">')[1].split("</p>")[0])
    assert notice.startswith("まだ状況付与は送信されていません。")  # 状況付与: the glossary's inject
    assert "すべての組織が受領を確認しました" not in html


def test_a_scoreboard_with_injects_sent_and_confirmed_still_says_so(client_as, english, secretariat):  # noqa: F811
    exercise = drill(
        secretariat,
        {code: 1 for code in ("banks-0001", "banks-0002", "banks-0003", "banks-0004")},
        name="All confirmed",
        finish=False,
    )
    html = (
        client_as("demo-secretariat")
        .get(reverse("exercises:scoreboard", args=[exercise.pk]))
        .content.decode()
    )
    assert ALL_CONFIRMED[0] in html and 'id="scoreboard-nothing-sent"' not in html


def test_an_exercise_ended_without_any_inject_says_none_was_sent(client_as, english, secretariat):  # noqa: F811
    exercise = running.finish(_started_without_inject(secretariat), secretariat)
    client = client_as("demo-secretariat")
    board = client.get(reverse("exercises:scoreboard", args=[exercise.pk])).content.decode()
    assert "No inject was sent in this exercise." in board
    assert not any(claim in board for claim in ALL_CONFIRMED)
    page = client.get(reverse("exercises:report", args=[exercise.pk])).content.decode()
    assert "No inject was sent in this exercise." in text(page.split('id="nothing-sent"')[1].split("</p>")[0])
    assert not any(claim in page for claim in ALL_CONFIRMED)
    pdf = pdf_text(client.get(reverse("exercises:report_pdf", args=[exercise.pk])).content)
    assert "No inject was sent in this exercise." in pdf
    assert not any(claim in pdf for claim in ALL_CONFIRMED)


def test_the_interim_report_before_any_inject_says_none_was_sent(client_as, english, secretariat):  # noqa: F811
    exercise = _started_without_inject(secretariat)
    client = client_as("demo-secretariat")
    page = client.get(reverse("exercises:report", args=[exercise.pk])).content.decode()
    assert "No inject has been sent yet." in page and not any(claim in page for claim in ALL_CONFIRMED)
    pdf = pdf_text(client.get(reverse("exercises:report_pdf", args=[exercise.pk])).content)
    assert "No inject has been sent yet." in pdf and not any(claim in pdf for claim in ALL_CONFIRMED)
    # The spreadsheet has no sentence to get wrong: its header and no row.
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("exercises:measures_csv", args=[exercise.pk])).content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) == 1 and rows[0][-2:] == ["Exercise started at", "Exercise ended at"]


# -- the actual times -----------------------------------------------------------------------------


def test_the_report_shows_when_the_exercise_really_started_and_ended(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, {"banks-0001": 2}, name="Timed drill")
    started = exercise.started_at.replace(microsecond=0) - timedelta(minutes=7)
    finished = exercise.finished_at.replace(microsecond=0) + timedelta(minutes=3)
    Exercise.objects.filter(pk=exercise.pk).update(started_at=started, finished_at=finished)
    shown = {
        key: timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
        for key, value in (("started_at", started), ("finished_at", finished))
    }
    client = client_as("demo-secretariat")

    page = client.get(reverse("exercises:report", args=[exercise.pk])).content.decode()
    facts = page.split('id="report-exercise"')[1].split("</section>")[0]
    assert "Planned window" in facts
    assert "Started at (actual)" in facts and "Ended at (actual)" in facts
    for key, value in shown.items():
        assert text(facts.split(f'id="actual-{key}">')[1].split("</dd>")[0]) == value

    pdf = pdf_text(client.get(reverse("exercises:report_pdf", args=[exercise.pk])).content)
    assert "Planned window" in pdf
    for label, key in (("Started at (actual)", "started_at"), ("Ended at (actual)", "finished_at")):
        assert re.search(re.escape(label) + r"\n" + re.escape(shown[key]), pdf), label

    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("exercises:measures_csv", args=[exercise.pk])).content.decode("utf-8-sig")
            )
        )
    )
    # The file's times are ISO 8601 in Japan time, like its other columns.
    assert rows and {row["Exercise started at"] for row in rows} == {
        timezone.localtime(started).isoformat(timespec="seconds")
    }
    assert {row["Exercise ended at"] for row in rows} == {
        timezone.localtime(finished).isoformat(timespec="seconds")
    }


def test_a_running_exercise_reports_its_start_and_no_end_yet(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, {"banks-0001": 2}, name="Running drill", finish=False)
    client = client_as("demo-secretariat")
    page = client.get(reverse("exercises:report", args=[exercise.pk])).content.decode()
    assert text(page.split('id="actual-finished_at">')[1].split("</dd>")[0]) == "Not ended yet (running)"
    assert timezone.localtime(exercise.started_at).strftime("%Y-%m-%d %H:%M:%S") in page
    pdf = pdf_text(client.get(reverse("exercises:report_pdf", args=[exercise.pk])).content)
    assert "Not ended yet (running)" in pdf
