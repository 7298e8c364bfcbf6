"""The periodic job that runs exercises on their schedule (`utilities.periodic`)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from ceptoar.exercises.models import Exercise, ExerciseStatus, Inject
from ceptoar.exercises.services.injects import send_inject
from ceptoar.exercises.services.running import finish, start


def run_due(now: datetime | None = None) -> int:
    """The periodic job: start exercises whose time has come, send their due injects, end those whose time
    is over. Returns how many of these things it did. Safe to run from several workers."""
    now = now or timezone.now()
    done = 0
    for exercise in Exercise.objects.filter(
        status=ExerciseStatus.PLANNED, starts_at__lte=now, ends_at__gt=now
    ):
        try:
            start(exercise, now=now)
            done += 1
        except ValidationError:  # another worker started it first
            continue
    due = Inject.objects.filter(
        exercise__status=ExerciseStatus.RUNNING, alert=None, error="", scheduled_at__lte=now
    ).order_by("scheduled_at", "pk")
    for inject in due:
        try:
            send_inject(inject, now=now)
            done += 1
        except ValidationError:  # sent by another worker meanwhile
            continue
    for exercise in Exercise.objects.filter(status=ExerciseStatus.RUNNING, ends_at__lte=now):
        try:
            finish(exercise, now=now)
            done += 1
        except ValidationError:
            continue
    return done
