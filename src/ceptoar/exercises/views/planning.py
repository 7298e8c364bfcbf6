"""The organiser's planning pages: the exercise list, the exercise's plan and its injects.

Thin: who may open and change an exercise is `exercises.access`, every change is made by
`exercises.services.planning` (whose errors go back onto the form or the page).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.exercises import access
from ceptoar.exercises.forms.exercise import ExerciseForm
from ceptoar.exercises.forms.inject import InjectForm
from ceptoar.exercises.models import MARK, Exercise, Inject
from ceptoar.exercises.report import format_rate
from ceptoar.exercises.services import planning
from ceptoar.exercises.views.common import (
    inject_or_404,
    manageable_or_403,
    planned_or_redirect,
)
from ceptoar.utilities.pagination import paginate
from ceptoar.utilities.refusals import REFUSED, attempt

PAGE_SIZE = 25


# -- the list -------------------------------------------------------------------------------------


def exercise_list(request):
    exercises = access.visible_exercises(request.user, Exercise.objects.select_related("organiser"))
    page = paginate(request, exercises.order_by("-starts_at", "-pk"), PAGE_SIZE)
    for exercise in page.object_list:
        # Kept figures only: computing a running exercise's measures for every row would make the list
        # as slow as all their scoreboards together.
        final = exercise.final_measures or {}
        exercise.member_rate_text = format_rate(final.get("confirmed_rate"))
    context = {"page": page, "can_organise": access.can_organise(request.user), "mark": MARK}
    return render(request, "exercises/list.html", context)


# -- the plan -------------------------------------------------------------------------------------


def exercise_new(request):
    if not access.can_organise(request.user):
        raise PermissionDenied(
            _("Only a CEPTOAR secretariat, a sector ministry or the hub organises exercises.")
        )
    status = 200
    if request.method == "POST":
        form = ExerciseForm(request.POST)
        if form.is_valid():
            exercise = attempt(
                form,
                lambda: planning.create_exercise(request.user, **form.exercise_fields()),
                elsewhere=form.refused_elsewhere,
            )
            if exercise is not REFUSED:
                messages.success(
                    request,
                    _("Exercise “%(name)s” planned. Add its injects: the messages it will send.")
                    % {"name": exercise.name},
                )
                return redirect("exercises:detail", pk=exercise.pk)
        status = 400
    else:
        form = ExerciseForm()
    return render(
        request, "exercises/form.html", {"form": form, "exercise": None, "mark": MARK}, status=status
    )


def exercise_edit(request, pk):
    exercise = manageable_or_403(request.user, pk)
    if (leave := planned_or_redirect(request, exercise)) is not None:
        return leave
    status = 200
    if request.method == "POST":
        form = ExerciseForm(request.POST)
        if form.is_valid():
            saved = attempt(
                form,
                lambda: planning.update_exercise(exercise, request.user, **form.exercise_fields()),
                elsewhere=form.refused_elsewhere,
            )
            if saved is not REFUSED:
                messages.success(request, _("Exercise “%(name)s” saved.") % {"name": saved.name})
                return redirect("exercises:detail", pk=saved.pk)
        status = 400
    else:
        form = ExerciseForm(initial=ExerciseForm.initial_from(exercise))
    return render(
        request, "exercises/form.html", {"form": form, "exercise": exercise, "mark": MARK}, status=status
    )


def _inject_page(request, exercise: Exercise, inject: Inject | None):
    status = 200
    if request.method == "POST":
        form = InjectForm(request.POST)
        if form.is_valid():
            if inject is None:
                saved = attempt(
                    form, lambda: planning.add_inject(exercise, request.user, **form.inject_fields())
                )
            else:
                saved = attempt(
                    form, lambda: planning.update_inject(inject, request.user, **form.inject_fields())
                )
            if saved is not REFUSED:
                messages.success(request, _("Inject “%(title)s” saved.") % {"title": saved.title})
                return redirect("exercises:detail", pk=exercise.pk)
        status = 400
    elif inject is None:
        form = InjectForm(initial={"scheduled_at": exercise.starts_at})
    else:
        form = InjectForm(initial=InjectForm.initial_from(inject))
    context = {"form": form, "exercise": exercise, "inject": inject, "mark": MARK}
    return render(request, "exercises/inject_form.html", context, status=status)


def inject_new(request, pk):
    exercise = manageable_or_403(request.user, pk)
    if (leave := planned_or_redirect(request, exercise)) is not None:
        return leave
    return _inject_page(request, exercise, None)


def inject_edit(request, pk, inject_pk):
    exercise = manageable_or_403(request.user, pk)
    inject = inject_or_404(exercise, inject_pk)
    if (leave := planned_or_redirect(request, exercise)) is not None:
        return leave
    return _inject_page(request, exercise, inject)


@require_POST
def inject_delete(request, pk, inject_pk):
    exercise = manageable_or_403(request.user, pk)
    inject = inject_or_404(exercise, inject_pk)
    if attempt(request, lambda: planning.delete_inject(inject, request.user)) is not REFUSED:
        messages.success(request, _("Inject “%(title)s” deleted.") % {"title": inject.title})
    return redirect("exercises:detail", pk=exercise.pk)
