"""The exercise page and its live scoreboard.

Thin: who may open an exercise is `exercises.access`, and every figure comes from `exercises.measures` —
live while the exercise runs, as kept when it ended. Someone who may not see an exercise gets the same 404
as for one that does not exist.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count
from django.shortcuts import render
from django.utils.translation import gettext as _

from ceptoar.alerts import tracking
from ceptoar.escalation.models import CallOutcome, Step
from ceptoar.escalation.status import ReceiptStatus
from ceptoar.exercises import access, measures, participants
from ceptoar.exercises.models import (
    MARK,
    Exercise,
    ExerciseStatus,
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
from ceptoar.exercises.views.common import visible_or_404

UNREACHED_SHOWN = 20
PARTICIPANT_NAMES_SHOWN = 20
# Seconds between two refreshes of the scoreboard while the exercise runs: live enough for the organiser,
# and one measures.compute per open page each time.
SCOREBOARD_REFRESH_S = 15


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


def _relay_hubs(figures: dict) -> list[dict]:
    """Each sub-group or relay hub: its receipt, how long it took to relay, its members' receipts. (An
    exercise finished before hubs were hops kept no such figures.)"""
    labels = dict(ReceiptStatus.choices)
    return [
        {
            **hub,
            "status_label": labels.get(hub["status"], hub["status"]),
            "ack": format_duration(hub["ack_s"]),
            "relay": format_duration(hub["relay_s"]),
            "members_rate": format_rate(hub["members_confirmed_rate"]),
        }
        for hub in figures.get("relay_hubs", [])
    ]


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
        "relay_hubs": _relay_hubs(figures),
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


# -- the exercise page and its live scoreboard -----------------------------------------------------


def _participant_counts(exercise: Exercise) -> list[dict]:
    """How many organisations take part, by role: fixed at the start, a preview from the registry before."""
    if exercise.status == ExerciseStatus.PLANNED:
        counts = Counter(participants.reach(exercise).values())
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
    exercise = visible_or_404(request.user, pk)
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
    exercise = visible_or_404(request.user, pk)
    response = render(request, "exercises/_scoreboard.html", _scoreboard_context(exercise))
    response["Cache-Control"] = "no-store"
    return response
