"""What the after-action report (事後評価報告) shows, built once from an exercise's measures and read by
both the page and the PDF, so the two never disagree.

A finished exercise is reported from the measures kept when it ended (`Exercise.final_measures`); a
running one gets an interim report computed now. The comparison reads the previous finished exercise with
the same participants (`participants.previous_exercise`) from its kept measures too, so a later registry edit
changes neither side. Every figure comes with the words to show it (labels, formatted values, the verdict
of a change), in the language active when `build` is called.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ceptoar.alerts.templatetags.alert_tags import duration
from ceptoar.alerts.tracking import GROUP_NAMES
from ceptoar.channels.models import DeliveryKind, DeliveryStatus, FailureCause
from ceptoar.escalation.models import CallOutcome, Step
from ceptoar.escalation.status import ReceiptStatus
from ceptoar.exercises import measures as exercise_measures
from ceptoar.exercises import participants
from ceptoar.exercises.models import MARK, Exercise, ExerciseStatus
from ceptoar.registry.models import ChannelKind, ContactRole

# Verdicts of a change between two exercises. A reader must not need colour to tell them apart: each has
# its word and the change its arrow and sign.
IMPROVED, WORSE, UNCHANGED, NOT_COMPARABLE = "improved", "worse", "unchanged", "not_comparable"
ARROW_UP, ARROW_DOWN, ARROW_FLAT = "↑", "↓", "→"


# -- formatting -----------------------------------------------------------------------------------


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def format_duration(seconds: float | None) -> str:
    """The tracking page's durations (`alert_tags.duration`), from the measures' seconds."""
    return duration(None if seconds is None else timedelta(seconds=round(seconds)))


def hop_label(source: str, target: str) -> str:
    return f"{GROUP_NAMES.get(source, source)} → {GROUP_NAMES.get(target, target)}"


def _signed(value: float, text: str) -> str:
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


def _change_text(kind: str, change: float) -> str:
    size = abs(change)
    if kind == "rate":
        return _signed(change, _("%(points)s pt") % {"points": f"{size * 100:.1f}"})
    if kind == "seconds":
        return _signed(change, format_duration(size))
    return _signed(change, str(int(size)))


def _display(kind: str, value) -> str:
    if kind == "rate":
        return format_rate(value)
    if kind == "seconds":
        return format_duration(value)
    return "—" if value is None else str(value)


VERDICT_LABELS = {
    IMPROVED: lambda: _("Improved"),
    WORSE: lambda: _("Worse"),
    UNCHANGED: lambda: _("No change"),
    NOT_COMPARABLE: lambda: _("Not comparable"),
}


def compare_value(key: str, label: str, kind: str, previous, now, higher_is_better: bool) -> dict:
    """One row of the comparison: both values, the change (now − previous) and whether it is better."""
    if previous is None or now is None:
        change, verdict, arrow = None, NOT_COMPARABLE, ""
    else:
        change = round(now - previous, 4) if kind == "rate" else round(now - previous, 1)
        if change == 0:
            verdict, arrow = UNCHANGED, ARROW_FLAT
        else:
            arrow = ARROW_UP if change > 0 else ARROW_DOWN
            verdict = IMPROVED if (change > 0) == higher_is_better else WORSE
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "previous": previous,
        "now": now,
        "change": change,
        "previous_display": _display(kind, previous),
        "now_display": _display(kind, now),
        "change_display": "—" if change is None else _change_text(kind, change),
        "arrow": arrow,
        "verdict": verdict,
        "verdict_label": VERDICT_LABELS[verdict](),
    }


# -- the parts of the report ----------------------------------------------------------------------


def _statuses(counts: dict) -> list[dict]:
    return [
        {"code": code, "label": str(ReceiptStatus.labels[code]), "count": counts.get(code, 0)}
        for code in ReceiptStatus.values
    ]


def _group_rows(groups: list[dict], labelled) -> list[dict]:
    return [
        {
            "key": group["key"],
            "label": labelled(group),
            "total": group["total"],
            "acknowledged": group["acknowledged"],
            "confirmed_rate": group["confirmed_rate"],
            "rate_display": format_rate(group["confirmed_rate"]),
            "statuses": _statuses(group["statuses"]),
        }
        for group in groups
    ]


def _time_rows(figures: dict) -> list[dict]:
    rows = []
    for key, label in (
        ("delivery_time", _("Time to first delivery")),
        ("ack_time", _("Time to confirmed receipt")),
    ):
        distribution = figures.get(key) or exercise_measures.distribution([])
        rows.append(
            {
                "key": key,
                "label": label,
                "count": distribution["count"],
                "never": distribution["never"],
                "median_s": distribution["median_s"],
                "p90_s": distribution["p90_s"],
                "max_s": distribution["max_s"],
                "median_display": format_duration(distribution["median_s"]),
                "p90_display": format_duration(distribution["p90_s"]),
                "max_display": format_duration(distribution["max_s"]),
            }
        )
    return rows


def nothing_sent_text(final: bool) -> str:
    """What a report or scoreboard says where a rate would be 0 of 0: nothing was sent, which is not the
    same as everyone having confirmed."""
    if final:
        return _("No inject was sent in this exercise.")
    return _("No inject has been sent yet.")


def actual_times(exercise: dict) -> list[dict]:
    """When the exercise really started and ended (label, time, the words when there is none yet), shown
    beside its planned window: a drill started late or ended early is read against what really happened."""
    return [
        {"key": key, "label": label, "at": exercise[key], "missing": missing}
        for key, label, missing in (
            ("started_at", _("Started at (actual)"), _("Not started yet")),
            ("finished_at", _("Ended at (actual)"), _("Not ended yet (running)")),
        )
    ]


def choice_label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def cause_label(entry: dict) -> str:
    """The words for a failure kept in the measures. Measures kept before causes were (with the technical
    "error" or "reason" text instead) show none: that text is not for everyone who reads a report."""
    cause = entry.get("cause")
    return choice_label(FailureCause, cause) if cause else ""


def wrong_contacts(entries: list[dict]) -> list[dict]:
    return [
        {
            **entry,
            "channel_label": choice_label(ChannelKind, entry["channel"]),
            "cause_label": cause_label(entry),
        }
        for entry in entries
    ]


def unreached(entries: list[dict]) -> list[dict]:
    """The organisations not reached, with the words for what tried them (scoreboard and report)."""
    return [
        {
            **entry,
            "hop": hop_label(entry["hop_from"], entry["hop_to"]),
            "status_label": str(ReceiptStatus.labels.get(entry["status"], entry["status"])),
            "contacts": [
                {
                    **tried,
                    "role_label": choice_label(ContactRole, tried["role"]) if tried["role"] else "",
                    "channel_label": choice_label(DeliveryKind, tried["channel"]),
                    "step_label": choice_label(Step, tried["step"]) if tried["step"] else _("First message"),
                    "result_label": choice_label(DeliveryStatus, tried["result"]),
                    "cause_label": cause_label(tried),
                }
                for tried in entry["contacts"]
            ],
            "calls": [
                {**call, "outcome_label": choice_label(CallOutcome, call["outcome"])}
                for call in entry["calls"]
            ],
        }
        for entry in entries
    ]


def _charts(figures: dict, hops: list[dict], sectors: list[dict]) -> dict:
    curve = [
        {"minute": point["minute"], "acknowledged": point["acknowledged"], "rate": point["rate"] or 0.0}
        for point in figures.get("ack_curve", [])
    ]
    rates = [
        {
            "group": group,
            "key": row["key"],
            "label": row["label"],
            "rate": row["confirmed_rate"] or 0.0,
            "display": row["rate_display"],
            "acknowledged": row["acknowledged"],
            "total": row["total"],
        }
        for group, rows in (("hop", hops), ("sector", sectors))
        for row in rows
    ]
    slowest = [
        {
            "code": entry["code"],
            "label": entry["organisation"],
            "hop": hop_label(entry["hop_from"], entry["hop_to"]),
            "seconds": entry["ack_s"],
            "display": format_duration(entry["ack_s"]),
        }
        for entry in figures.get("slowest", [])
    ]
    return {
        "ack_curve": {"points": curve, "total": figures.get("recipients", 0)},
        "rates": rates,
        "slowest": slowest,
    }


def _member_hop_rates(figures: dict) -> dict[str, float | None]:
    return {hop["key"]: hop["confirmed_rate"] for hop in figures.get("hops", [])}


def compare(previous: dict, now: dict) -> list[dict]:
    """The rows comparing two exercises' measures: receipt rates (higher is better), the median time to
    confirm, the organisations not reached and the contacts found wrong (lower is better)."""
    rows = [
        compare_value(
            "confirmed_rate",
            _("Confirmed-receipt rate (members)"),
            "rate",
            previous.get("confirmed_rate"),
            now.get("confirmed_rate"),
            True,
        ),
        compare_value(
            "overall_rate",
            _("Confirmed-receipt rate (all recipients)"),
            "rate",
            previous.get("overall_rate"),
            now.get("overall_rate"),
            True,
        ),
    ]
    before, after = _member_hop_rates(previous), _member_hop_rates(now)
    names = {
        hop["key"]: (hop["from"], hop["to"]) for hop in [*previous.get("hops", []), *now.get("hops", [])]
    }
    for key in [*after, *(key for key in before if key not in after)]:
        rows.append(
            compare_value(
                f"hop:{key}",
                _("Confirmed-receipt rate: %(hop)s") % {"hop": hop_label(*names[key])},
                "rate",
                before.get(key),
                after.get(key),
                True,
            )
        )
    rows += [
        compare_value(
            "median_ack_s",
            _("Median time to confirmed receipt"),
            "seconds",
            (previous.get("ack_time") or {}).get("median_s"),
            (now.get("ack_time") or {}).get("median_s"),
            False,
        ),
        compare_value(
            "unreached",
            _("Organisations not reached"),
            "count",
            previous.get("unreached_total"),
            now.get("unreached_total"),
            False,
        ),
        compare_value(
            "wrong_contacts",
            _("Contacts found wrong"),
            "count",
            None if "wrong_contacts" not in previous else len(previous["wrong_contacts"]),
            None if "wrong_contacts" not in now else len(now["wrong_contacts"]),
            False,
        ),
    ]
    return rows


def _comparison(exercise: Exercise, figures: dict) -> dict | None:
    previous = participants.previous_exercise(exercise)
    if previous is None or not previous.final_measures:
        return None
    return {
        "exercise": {
            "id": previous.pk,
            "name": previous.name,
            "starts_at": previous.starts_at,
            "finished_at": previous.finished_at,
        },
        "rows": compare(previous.final_measures, figures),
    }


def figures_of(exercise: Exercise, now: datetime | None = None) -> tuple[dict, bool]:
    """(measures, final): the kept measures of a finished exercise, else an interim computation."""
    if exercise.status == ExerciseStatus.FINISHED and exercise.final_measures:
        return exercise.final_measures, True
    return exercise_measures.compute(exercise, now=now), False


def build(exercise: Exercise, now: datetime | None = None) -> dict:
    """Everything the report shows, as plain values (see the module docstring)."""
    figures, final = figures_of(exercise, now)
    hops = _group_rows(figures.get("hops", []), lambda group: hop_label(group["from"], group["to"]))
    sectors = _group_rows(figures.get("by_sector", []), lambda group: group["name"])
    ceptoars = _group_rows(figures.get("by_ceptoar", []), lambda group: group["name"])
    generated = parse_datetime(figures["generated_at"]) if figures.get("generated_at") else timezone.now()
    about = {
        "id": exercise.pk,
        "name": exercise.name,
        "kind": exercise.kind,
        "kind_label": exercise.get_kind_display(),
        "organiser": exercise.organiser.name,
        "starts_at": exercise.starts_at,
        "ends_at": exercise.ends_at,
        "started_at": exercise.started_at,
        "finished_at": exercise.finished_at,
        "status": exercise.status,
        "status_label": exercise.get_status_display(),
    }
    return {
        "mark": MARK,
        "exercise": about,
        "actual_times": actual_times(about),
        "final": final,
        "generated_at": generated,
        # 0 of 0 recipients: the page and the PDF say nothing was sent instead of "all confirmed".
        "nothing_sent": not figures.get("recipients"),
        "nothing_sent_text": nothing_sent_text(final or exercise.status == ExerciseStatus.FINISHED),
        "headline": {
            "confirmed_rate": figures.get("confirmed_rate"),
            "confirmed_rate_display": format_rate(figures.get("confirmed_rate")),
            "overall_rate": figures.get("overall_rate"),
            "overall_rate_display": format_rate(figures.get("overall_rate")),
            "recipients": figures.get("recipients", 0),
            "acknowledged": figures.get("acknowledged", 0),
            "organisations": figures.get("organisations", 0),
        },
        "statuses": _statuses(figures.get("statuses", {})),
        "injects": [
            {**inject, "sent_at": parse_datetime(inject["sent_at"]) if inject.get("sent_at") else None}
            for inject in figures.get("injects", [])
        ],
        "hops": hops,
        "sectors": sectors,
        "ceptoars": ceptoars,
        "times": _time_rows(figures),
        "escalations": [
            {
                "step": step,
                "label": str(Step(step).label),
                "count": figures.get("escalations", {}).get(step, 0),
            }
            for step in Step.values
        ],
        "calls": {
            "total": figures.get("calls", {}).get("total", 0),
            "outcomes": [
                {
                    "outcome": outcome,
                    "label": str(CallOutcome(outcome).label),
                    "count": figures.get("calls", {}).get(outcome, 0),
                }
                for outcome in CallOutcome.values
            ],
        },
        "unreached": unreached(figures.get("unreached", [])),
        "unreached_total": figures.get("unreached_total", 0),
        "wrong_contacts": wrong_contacts(figures.get("wrong_contacts", [])),
        # Counted when the exercise ends; an interim report has none yet.
        "flagged_contacts": figures.get("flagged_contacts"),
        "charts": _charts(figures, hops, sectors),
        "comparison": _comparison(exercise, figures),
    }
