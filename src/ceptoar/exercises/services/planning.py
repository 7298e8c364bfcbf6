"""Planning an exercise: the exercise itself and its injects, each change one transaction, allowed only to
the organiser and only while the exercise has not started."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.exercises import access
from ceptoar.exercises.models import Exercise, ExerciseStatus, Inject
from ceptoar.exercises.participants import check_participants


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The exercise must end after it starts.")})
    # A window that has already closed would start and end at the schedule's next run with nothing sent:
    # almost always a mistyped date. A start a little in the past is fine (the form offers "now").
    now = timezone.now()
    if ends_at <= now:
        raise ValidationError(
            {
                "ends_at": _(
                    "This end time has already passed (it is now %(now)s): an exercise is planned for a "
                    "window that ends in the future."
                )
                % {"now": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")}
            }
        )


@transaction.atomic
def create_exercise(
    user,
    *,
    name: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    participants: AudienceSpec,
    description: str = "",
) -> Exercise:
    if not access.can_organise(user):
        raise PermissionDenied(
            _("Only a CEPTOAR secretariat, a sector ministry or the hub organises exercises.")
        )
    _check_window(starts_at, ends_at)
    check_participants(user.organisation, participants)
    exercise = Exercise(
        name=name,
        kind=kind,
        description=description,
        organiser=user.organisation,
        created_by=user,
        participants=build_audience(participants, "green"),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    exercise.full_clean()
    exercise.save()
    return exercise


def _planned(exercise: Exercise, user) -> Exercise:
    exercise = Exercise.objects.select_for_update().select_related("organiser").get(pk=exercise.pk)
    if not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser changes this exercise."))
    if exercise.status != ExerciseStatus.PLANNED:
        raise ValidationError({"status": _("An exercise that has started can no longer be changed.")})
    return exercise


@transaction.atomic
def update_exercise(
    exercise: Exercise,
    user,
    *,
    name: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    participants: AudienceSpec,
    description: str = "",
) -> Exercise:
    exercise = _planned(exercise, user)
    _check_window(starts_at, ends_at)
    check_participants(exercise.organiser, participants)
    old_audience = exercise.participants
    exercise.name, exercise.kind, exercise.description = name, kind, description
    exercise.starts_at, exercise.ends_at = starts_at, ends_at
    exercise.participants = build_audience(participants, "green")
    exercise.full_clean()
    exercise.save()
    old_audience.delete()
    return exercise


def _check_inject_time(exercise: Exercise, scheduled_at: datetime) -> None:
    if not exercise.starts_at <= scheduled_at < exercise.ends_at:
        raise ValidationError({"scheduled_at": _("An inject is sent within the exercise's time window.")})


@transaction.atomic
def add_inject(exercise: Exercise, user, **fields) -> Inject:
    exercise = _planned(exercise, user)
    _check_inject_time(exercise, fields["scheduled_at"])
    inject = Inject(exercise=exercise, created_by=user, **fields)
    inject.full_clean()
    inject.save()
    return inject


@transaction.atomic
def update_inject(inject: Inject, user, **fields) -> Inject:
    exercise = _planned(inject.exercise, user)
    _check_inject_time(exercise, fields["scheduled_at"])
    inject = Inject.objects.select_for_update().get(pk=inject.pk)
    for name, value in fields.items():
        setattr(inject, name, value)
    inject.full_clean()
    inject.save()
    return inject


@transaction.atomic
def delete_inject(inject: Inject, user) -> None:
    _planned(inject.exercise, user)
    inject.delete()
