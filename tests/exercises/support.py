"""Helpers for the exercise tests: exercises planned, started and fed through the exercises' own services,
as an organiser's pages do."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ceptoar.alerts.services import AudienceSpec
from ceptoar.exercises import services
from ceptoar.exercises.models import Exercise


def plan(
    user, *, name="銀行等セプター 情報共有訓練", kind="ceptoar_drill", injects=1, **participants
) -> Exercise:
    """An exercise starting a minute ago with `injects` injects due now, not yet started."""
    now = timezone.now()
    exercise = services.create_exercise(
        user,
        name=name,
        kind=kind,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=4),
        participants=AudienceSpec(**participants),
    )
    for number in range(injects):
        services.add_inject(
            exercise,
            user,
            title=f"不正送金マルウェアの検知（想定{number + 1}）",
            body="訓練用の想定情報です。",
            category="malware",
            severity="high",
            tlp="amber",
            scheduled_at=now - timedelta(seconds=30 - number),
        )
    return exercise


def run(user, **kwargs) -> Exercise:
    """Plan, start and send every inject now."""
    exercise = plan(user, **kwargs)
    services.start(exercise, user)
    for inject in exercise.injects.all():
        services.send_inject(inject, user)
    exercise.refresh_from_db()
    return exercise
