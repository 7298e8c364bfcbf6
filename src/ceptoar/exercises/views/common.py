"""What the organiser's pages share: the exercise or inject of the URL, within what the reader may see or
manage, and the way back while the plan may no longer change."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ceptoar.exercises import access
from ceptoar.exercises.models import Exercise, ExerciseStatus, Inject


def visible_or_404(user, pk: int) -> Exercise:
    exercise = (
        access.visible_exercises(user, Exercise.objects.select_related("organiser", "created_by"))
        .filter(pk=pk)
        .first()
    )
    if exercise is None:
        raise Http404(_("No such exercise, or not one you may see."))
    return exercise


def manageable_or_403(user, pk: int) -> Exercise:
    exercise = visible_or_404(user, pk)
    if not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser's staff who may send alerts run this exercise."))
    return exercise


def inject_or_404(exercise: Exercise, inject_pk: int) -> Inject:
    inject = exercise.injects.filter(pk=inject_pk).first()
    if inject is None:
        raise Http404(_("This exercise has no such inject."))
    return inject


def planned_or_redirect(request, exercise: Exercise):
    """None while the plan may change; otherwise the way back to the exercise, with the reason."""
    if exercise.status == ExerciseStatus.PLANNED:
        return None
    messages.error(request, _("An exercise that has started can no longer be changed."))
    return redirect("exercises:detail", pk=exercise.pk)
