"""The organiser's pages: the exercise list, the plan (exercise and injects), and the live scoreboard.

Thin: who may open and change an exercise is `exercises.access`, every change is made by
`exercises.services` (whose errors go back onto the form or the page), and every figure comes from
`exercises.measures` — live while the exercise runs, as kept when it ended. Someone who may not see an
exercise gets the same 404 as for one that does not exist.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.alerts import tracking
from ceptoar.core.pagination import paginate
from ceptoar.escalation.models import CallOutcome, Step
from ceptoar.escalation.status import ReceiptStatus
from ceptoar.exercises import access, measures, services
from ceptoar.exercises.forms import ExerciseForm, InjectForm, show_service_errors
from ceptoar.exercises.models import (
    MARK,
    Exercise,
    ExerciseStatus,
    Inject,
    Participant,
    ParticipantRole,
)
from ceptoar.exercises.report import (
    format_duration,
    format_rate,
    hop_label,
    unreached,
    wrong_contacts,
)

PAGE_SIZE = 25
UNREACHED_SHOWN = 20
PARTICIPANT_NAMES_SHOWN = 20
# Seconds between two refreshes of the scoreboard while the exercise runs: live enough for the organiser,
# and one measures.compute per open page each time.
SCOREBOARD_REFRESH_S = 15


# -- access ---------------------------------------------------------------------------------------


def _visible_or_404(user, pk: int) -> Exercise:
    exercise = (
        access.visible_exercises(user, Exercise.objects.select_related("organiser", "created_by"))
        .filter(pk=pk)
        .first()
    )
    if exercise is None:
        raise Http404(_("No such exercise, or not one you may see."))
    return exercise


def _manageable_or_403(user, pk: int) -> Exercise:
    exercise = _visible_or_404(user, pk)
    if not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser's staff who may send alerts run this exercise."))
    return exercise


def _inject_or_404(exercise: Exercise, inject_pk: int) -> Inject:
    inject = exercise.injects.filter(pk=inject_pk).first()
    if inject is None:
        raise Http404(_("This exercise has no such inject."))
    return inject


def _planned_or_redirect(request, exercise: Exercise):
    """None while the plan may change; otherwise the way back to the exercise, with the reason."""
    if exercise.status == ExerciseStatus.PLANNED:
        return None
    messages.error(request, _("An exercise that has started can no longer be changed."))
    return redirect("exercises:detail", pk=exercise.pk)


def _show_errors_as_messages(request, error: ValidationError | PermissionDenied) -> None:
    for message in error.messages if isinstance(error, ValidationError) else [str(error)]:
        messages.error(request, message)


_REFUSED = object()


def _carry_out(request, action):
    """Run a service action from a button: what it returns, or _REFUSED, its refusal shown as messages on
    the page the button returns to."""
    try:
        return action()
    except ValidationError as error:
        _show_errors_as_messages(request, error)
        return _REFUSED


# -- the scoreboard, in the words and shapes the page shows -----------------------------------------


def _bound_text(seconds: int) -> str:
    if seconds % 3600 == 0:
        return _("%(hours)d h") % {"hours": seconds // 3600}
    if seconds % 60 == 0:
        return _("%(minutes)d min") % {"minutes": seconds // 60}
    return _("%(seconds)d s") % {"seconds": seconds}


def _bin_label(lower: int, upper: int | None) -> str:
    if upper is None:
        return _("%(lower)s or more") % {"lower": _bound_text(lower)}
    if not lower:
        return _("under %(upper)s") % {"upper": _bound_text(upper)}
    return _("%(lower)s to %(upper)s") % {"lower": _bound_text(lower), "upper": _bound_text(upper)}


@dataclass
class Row:
    """One group of recipients (a hop, a sector, a CEPTOAR's members) with its receipt statuses."""

    key: str
    label: str
    total: int
    acknowledged: int
    rate: float | None
    statuses: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, group: dict, label: str) -> Row:
        return cls(
            group["key"],
            label,
            group["total"],
            group["acknowledged"],
            group["confirmed_rate"],
            dict(group["statuses"]),
        )

    @property
    def rate_text(self) -> str:
        return format_rate(self.rate)

    @property
    def not_confirmed(self) -> int:
        return self.statuses.get(ReceiptStatus.NOT_CONFIRMED, 0)

    @property
    def unreachable(self) -> int:
        return self.statuses.get(ReceiptStatus.UNREACHABLE, 0)

    @property
    def segments(self) -> list[tracking.Segment]:
        # The tracking page's bar, so that the two pages draw the same statuses alike.
        return tracking.Progress(self.key, self.label, dict(self.statuses)).segments

    @property
    def description(self) -> str:
        return ", ".join(f"{segment.label} {segment.count}" for segment in self.segments)


def _distribution(figures: dict) -> dict:
    tallest = max((item["count"] for item in figures["histogram"]), default=0) or 1
    return {
        "count": figures["count"],
        "never": figures["never"],
        "median": format_duration(figures["median_s"]),
        "p90": format_duration(figures["p90_s"]),
        "max": format_duration(figures["max_s"]),
        "bins": [
            {
                "label": _bin_label(item["from_s"], item["to_s"]),
                "count": item["count"],
                "width": f"{100.0 * item['count'] / tallest:.1f}%",
            }
            for item in figures["histogram"]
        ],
    }


def scoreboard(exercise: Exercise) -> dict | None:
    """The scoreboard's figures, ready for the template; None before the exercise starts."""
    if exercise.status == ExerciseStatus.PLANNED:
        return None
    figures = exercise.final_measures if exercise.status == ExerciseStatus.FINISHED else None
    if figures is None:
        figures = measures.compute(exercise)
    member_hops = [hop for hop in figures["hops"] if hop["to"] == measures.MEMBER_GROUP]
    calls = figures["calls"]
    return {
        "figures": figures,
        "generated_at": datetime.fromisoformat(figures["generated_at"]),
        "final": exercise.status == ExerciseStatus.FINISHED,
        "live": exercise.status == ExerciseStatus.RUNNING,
        "member_rate": format_rate(figures["confirmed_rate"]),
        "member_total": sum(hop["total"] for hop in member_hops),
        "member_acknowledged": sum(hop["acknowledged"] for hop in member_hops),
        "overall_rate": format_rate(figures["overall_rate"]),
        "statuses": [
            {"status": status, "label": label, "count": figures["statuses"].get(status, 0)}
            for status, label in ReceiptStatus.choices
        ],
        "hops": [Row.of(hop, hop_label(hop["from"], hop["to"])) for hop in figures["hops"]],
        "sectors": [Row.of(group, group["name"]) for group in figures["by_sector"]],
        "ceptoars": [Row.of(group, group["name"]) for group in figures["by_ceptoar"]],
        "delivery_time": _distribution(figures["delivery_time"]),
        "ack_time": _distribution(figures["ack_time"]),
        "escalations": [
            {"step": step, "label": label, "count": figures["escalations"].get(step, 0)}
            for step, label in Step.choices
        ],
        "escalations_total": sum(figures["escalations"].values()),
        "calls_total": calls["total"],
        "calls": [
            {"outcome": outcome, "label": label, "count": calls.get(outcome, 0)}
            for outcome, label in CallOutcome.choices
        ],
        "unreached": unreached(figures["unreached"][:UNREACHED_SHOWN]),
        "unreached_total": figures["unreached_total"],
        "wrong_contacts": wrong_contacts(figures["wrong_contacts"]),
        "flagged_contacts": figures.get("flagged_contacts"),
        "injects": {entry["id"]: entry for entry in figures["injects"]},
    }


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
            try:
                exercise = services.create_exercise(request.user, **form.exercise_fields())
            except ValidationError as error:
                show_service_errors(form, error)
            else:
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
    exercise = _manageable_or_403(request.user, pk)
    if (leave := _planned_or_redirect(request, exercise)) is not None:
        return leave
    status = 200
    if request.method == "POST":
        form = ExerciseForm(request.POST)
        if form.is_valid():
            try:
                exercise = services.update_exercise(exercise, request.user, **form.exercise_fields())
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(request, _("Exercise “%(name)s” saved.") % {"name": exercise.name})
                return redirect("exercises:detail", pk=exercise.pk)
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
            try:
                if inject is None:
                    inject = services.add_inject(exercise, request.user, **form.inject_fields())
                else:
                    inject = services.update_inject(inject, request.user, **form.inject_fields())
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(request, _("Inject “%(title)s” saved.") % {"title": inject.title})
                return redirect("exercises:detail", pk=exercise.pk)
        status = 400
    elif inject is None:
        form = InjectForm(initial={"scheduled_at": exercise.starts_at})
    else:
        form = InjectForm(initial=InjectForm.initial_from(inject))
    context = {"form": form, "exercise": exercise, "inject": inject, "mark": MARK}
    return render(request, "exercises/inject_form.html", context, status=status)


def inject_new(request, pk):
    exercise = _manageable_or_403(request.user, pk)
    if (leave := _planned_or_redirect(request, exercise)) is not None:
        return leave
    return _inject_page(request, exercise, None)


def inject_edit(request, pk, inject_pk):
    exercise = _manageable_or_403(request.user, pk)
    inject = _inject_or_404(exercise, inject_pk)
    if (leave := _planned_or_redirect(request, exercise)) is not None:
        return leave
    return _inject_page(request, exercise, inject)


@require_POST
def inject_delete(request, pk, inject_pk):
    exercise = _manageable_or_403(request.user, pk)
    inject = _inject_or_404(exercise, inject_pk)
    if _carry_out(request, lambda: services.delete_inject(inject, request.user)) is not _REFUSED:
        messages.success(request, _("Inject “%(title)s” deleted.") % {"title": inject.title})
    return redirect("exercises:detail", pk=exercise.pk)


# -- running --------------------------------------------------------------------------------------


@require_POST
def exercise_start(request, pk):
    exercise = _manageable_or_403(request.user, pk)
    if _carry_out(request, lambda: services.start(exercise, request.user)) is not _REFUSED:
        messages.success(
            request,
            _("The exercise has started: its injects go out at their times, or when you send them now."),
        )
    return redirect("exercises:detail", pk=exercise.pk)


@require_POST
def exercise_finish(request, pk):
    exercise = _manageable_or_403(request.user, pk)
    if _carry_out(request, lambda: services.finish(exercise, request.user)) is not _REFUSED:
        messages.success(
            request,
            _("The exercise has ended: escalation stopped and the final figures are kept below."),
        )
    return redirect("exercises:detail", pk=exercise.pk)


@require_POST
def inject_send(request, pk, inject_pk):
    exercise = _manageable_or_403(request.user, pk)
    inject = _inject_or_404(exercise, inject_pk)
    sent = _carry_out(request, lambda: services.send_inject(inject, request.user))
    if sent is not _REFUSED:
        # The service records a failed send on the inject rather than refusing.
        if sent.alert_id is None:
            messages.error(
                request,
                _("“%(title)s” could not be sent: %(error)s") % {"title": sent.title, "error": sent.error},
            )
        else:
            messages.success(request, _("“%(title)s” has been sent.") % {"title": sent.title})
    return redirect("exercises:detail", pk=exercise.pk)


# -- the exercise page and its live scoreboard -----------------------------------------------------


def _participant_counts(exercise: Exercise) -> list[dict]:
    """How many organisations take part, by role: fixed at the start, a preview from the registry before."""
    if exercise.status == ExerciseStatus.PLANNED:
        counts = Counter(services.reach(exercise).values())
    else:
        counts = Counter(
            dict(
                Participant.objects.filter(exercise=exercise)
                .order_by()
                .values("role")
                .annotate(n=Count("pk"))
                .values_list("role", "n")
            )
        )
    return [
        {"role": role, "label": label, "count": counts.get(role, 0)}
        for role, label in ParticipantRole.choices
    ]


def _named_participants(exercise: Exercise) -> dict:
    audience = exercise.participants
    organisations = audience.organisations.order_by("code")
    return {
        "sectors": list(audience.sectors.all()),
        "ceptoars": list(audience.ceptoars.order_by("code")),
        "organisations": list(organisations[:PARTICIPANT_NAMES_SHOWN]),
        "organisations_more": max(0, organisations.count() - PARTICIPANT_NAMES_SHOWN),
    }


def _scoreboard_context(exercise: Exercise) -> dict:
    return {
        "exercise": exercise,
        "board": scoreboard(exercise),
        "refresh_s": SCOREBOARD_REFRESH_S,
        "unreached_shown": UNREACHED_SHOWN,
    }


def exercise_detail(request, pk):
    exercise = _visible_or_404(request.user, pk)
    context = _scoreboard_context(exercise)
    board = context["board"]
    injects = list(exercise.injects.select_related("alert"))
    for inject in injects:
        inject.figures = board["injects"].get(inject.pk) if board else None
        if inject.figures:
            inject.rate_text = format_rate(inject.figures["confirmed_rate"])
    context |= {
        "mark": MARK,
        "can_manage": access.can_manage(request.user, exercise),
        "planned": exercise.status == ExerciseStatus.PLANNED,
        "running": exercise.status == ExerciseStatus.RUNNING,
        "finished": exercise.status == ExerciseStatus.FINISHED,
        "injects": injects,
        "participant_counts": _participant_counts(exercise),
        "named": _named_participants(exercise),
    }
    return render(request, "exercises/detail.html", context)


def exercise_scoreboard(request, pk):
    """The scoreboard alone, which the exercise page fetches (htmx) while the exercise runs."""
    exercise = _visible_or_404(request.user, pk)
    response = render(request, "exercises/_scoreboard.html", _scoreboard_context(exercise))
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("", exercise_list, name="list"),
    path("new/", exercise_new, name="new"),
    path("<int:pk>/", exercise_detail, name="detail"),
    path("<int:pk>/edit/", exercise_edit, name="edit"),
    path("<int:pk>/scoreboard/", exercise_scoreboard, name="scoreboard"),
    path("<int:pk>/start/", exercise_start, name="start"),
    path("<int:pk>/finish/", exercise_finish, name="finish"),
    path("<int:pk>/injects/new/", inject_new, name="inject_new"),
    path("<int:pk>/injects/<int:inject_pk>/edit/", inject_edit, name="inject_edit"),
    path("<int:pk>/injects/<int:inject_pk>/delete/", inject_delete, name="inject_delete"),
    path("<int:pk>/injects/<int:inject_pk>/send/", inject_send, name="inject_send"),
]
