"""The organiser's buttons that run an exercise: start it, send an inject now, end it (behind a page that
says what ending stops). Each is a service action (`exercises.services`); a refusal comes back as a
message on the exercise page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.exercises.models import ExerciseStatus
from ceptoar.exercises.services import injects, running
from ceptoar.exercises.views.common import inject_or_404, manageable_or_403
from ceptoar.utilities.refusals import REFUSED, attempt


@require_POST
def exercise_start(request, pk):
    exercise = manageable_or_403(request.user, pk)
    if attempt(request, lambda: running.start(exercise, request.user)) is not REFUSED:
        messages.success(
            request,
            _("The exercise has started: its injects go out at their times, or when you send them now."),
        )
    return redirect("exercises:detail", pk=exercise.pk)


def exercise_finish(request, pk):
    """Ending cannot be undone: a page first says what it stops (counts), and only its button ends it."""
    exercise = manageable_or_403(request.user, pk)
    if request.method == "POST" and request.POST.get("confirm") == "finish":
        if attempt(request, lambda: running.finish(exercise, request.user)) is not REFUSED:
            messages.success(
                request,
                _("The exercise has ended: escalation stopped and the final figures are kept below."),
            )
        return redirect("exercises:detail", pk=exercise.pk)
    if exercise.status != ExerciseStatus.RUNNING:
        messages.info(request, _("Only a running exercise can be ended."))
        return redirect("exercises:detail", pk=exercise.pk)
    context = {"exercise": exercise, "summary": running.finishing_summary(exercise)}
    return render(request, "exercises/confirm_finish.html", context)


@require_POST
def inject_send(request, pk, inject_pk):
    exercise = manageable_or_403(request.user, pk)
    inject = inject_or_404(exercise, inject_pk)
    sent = attempt(request, lambda: injects.send_inject(inject, request.user))
    if sent is not REFUSED:
        # The service records a failed send on the inject rather than refusing.
        if sent.alert_id is None:
            messages.error(
                request,
                _("“%(title)s” could not be sent: %(error)s") % {"title": sent.title, "error": sent.error},
            )
        else:
            messages.success(request, _("“%(title)s” has been sent.") % {"title": sent.title})
    return redirect("exercises:detail", pk=exercise.pk)
