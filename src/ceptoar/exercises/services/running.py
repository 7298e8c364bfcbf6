"""Running an exercise: starting it, which fixes who it reaches, and ending it, which closes its alerts,
keeps its final measures and flags the contacts it found wanting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.alerts.models import Alert, Status
from ceptoar.escalation import services as escalation
from ceptoar.escalation.models import FollowUp, FollowUpState
from ceptoar.exercises import access, measures, participants
from ceptoar.exercises.models import Exercise, ExerciseStatus, Participant
from ceptoar.exercises.services import findings


@transaction.atomic
def start(exercise: Exercise, user=None, now: datetime | None = None) -> Exercise:
    """Fix who the exercise reaches and open it; injects then go out as their times come (`run_due`).
    `user` is None when the schedule starts it."""
    now = now or timezone.now()
    exercise = Exercise.objects.select_for_update().select_related("organiser").get(pk=exercise.pk)
    if user is not None and not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser starts this exercise."))
    if exercise.status != ExerciseStatus.PLANNED:
        raise ValidationError({"status": _("This exercise has already started.")})
    Participant.objects.bulk_create(
        Participant(exercise=exercise, organisation_id=pk, role=role)
        for pk, role in participants.reach(exercise).items()
    )
    exercise.status, exercise.started_at = ExerciseStatus.RUNNING, now
    exercise.save(update_fields=["status", "started_at"])
    return exercise


@dataclass
class FinishingSummary:
    """What ending the exercise will do, counted for its confirmation page."""

    participants: int
    open_alerts: int
    pending_steps: int
    organisations_chased: int
    injects_unsent: int


def finishing_summary(exercise: Exercise) -> FinishingSummary:
    pending = FollowUp.objects.filter(
        recipient__alert__exercise=exercise,
        recipient__alert__status=Status.PUBLISHED,
        state=FollowUpState.PENDING,
    )
    return FinishingSummary(
        participants=Participant.objects.filter(exercise=exercise).count(),
        open_alerts=Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED).count(),
        pending_steps=pending.count(),
        organisations_chased=pending.values("recipient__organisation_id").distinct().count(),
        injects_unsent=exercise.injects.filter(alert__isnull=True).count(),
    )


@transaction.atomic
def finish(exercise: Exercise, user=None, now: datetime | None = None) -> Exercise:
    """End the exercise: its alerts close (escalation stops), the final measures are kept, and the
    contacts it found wanting are flagged in the registry for verification."""
    now = now or timezone.now()
    exercise = Exercise.objects.select_for_update().select_related("organiser").get(pk=exercise.pk)
    if user is not None and not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser ends this exercise."))
    if exercise.status != ExerciseStatus.RUNNING:
        raise ValidationError({"status": _("Only a running exercise can be ended.")})
    exercise.status, exercise.finished_at = ExerciseStatus.FINISHED, now
    flagged = findings.flag_findings(exercise, now)
    final = measures.compute(exercise, now=now)
    final["flagged_contacts"] = flagged
    exercise.final_measures = final
    exercise.save(update_fields=["status", "finished_at", "final_measures"])
    for alert in Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED):
        escalation.cancel_for_alert(alert)
    Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED).update(
        status=Status.CLOSED, closed_at=now, updated_at=now
    )
    return exercise
