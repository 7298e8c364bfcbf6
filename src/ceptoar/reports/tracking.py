"""What triage reads of a submitted report (情報連絡): where the reporter's consent lets it go and which hops
it reached, the secretariat's status choices and queue, who may read and write its conversation, and the
reporting deadlines. Every change is made in `reports.services` (routing, receipts, triage, comments,
deadlines).

Who may *see* a report is `sharing.policy.visible_reports` (every list here starts from it); who may triage
is `reports.access`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ceptoar.accounts.access import ceptoars_served_by, is_active_member
from ceptoar.accounts.models import Role
from ceptoar.registry.models import Organisation, OrganisationKind, Oversight
from ceptoar.reports import access
from ceptoar.reports.models import (
    SCOPE_RANK,
    ConsentScope,
    DeadlineKind,
    HopLevel,
    Report,
    ReportComment,
    ReportHop,
    ReportingDeadline,
    ReportVersion,
    Stage,
    TriageStatus,
)
from ceptoar.sharing import policy

# The levels the secretariat forwards to; the secretariat's own hop is made by the reporter's submission.
FORWARD_LEVELS = (HopLevel.MINISTRY, HopLevel.HUB)

# Status changes the secretariat may make by hand. NEW is where a submission (or the reporter's answer)
# puts a report; FORWARDED is where `services.routing.forward` puts it.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TriageStatus.NEW: (TriageStatus.TRIAGED, TriageStatus.MORE_INFORMATION, TriageStatus.CLOSED),
    TriageStatus.TRIAGED: (TriageStatus.MORE_INFORMATION, TriageStatus.CLOSED),
    TriageStatus.MORE_INFORMATION: (TriageStatus.TRIAGED, TriageStatus.CLOSED),
    TriageStatus.FORWARDED: (TriageStatus.MORE_INFORMATION, TriageStatus.CLOSED),
    TriageStatus.CLOSED: (TriageStatus.TRIAGED,),
}
QUEUE_STATUSES = (
    TriageStatus.NEW,
    TriageStatus.TRIAGED,
    TriageStatus.MORE_INFORMATION,
    TriageStatus.FORWARDED,
    TriageStatus.CLOSED,
)
# People at a hop who may write in a report's conversation (auditors read only).
_HOP_COMMENTER_ROLES = (Role.SECRETARIAT, Role.COORDINATOR, Role.MINISTRY_LIAISON, Role.HUB_STAFF)
COMMENT_MAX_LENGTH = 10_000


# -- consent --------------------------------------------------------------------------------------


def levels_within(scope: str) -> list[str]:
    """The hop levels the reporter's consent reaches (secretariat ≤ ministry ≤ hub)."""
    rank = SCOPE_RANK[ConsentScope(scope)]
    return [level for level in HopLevel.values if SCOPE_RANK[ConsentScope(level)] <= rank]


def within_consent(level: str, scope: str) -> bool:
    return level in levels_within(scope)


def organisations_at_level(report: Report, level: str) -> QuerySet[Organisation]:
    """Where a hop of this level goes: the report's CEPTOAR, the ministries overseeing it, or the hub."""
    if level == HopLevel.SECRETARIAT:
        return Organisation.objects.filter(pk=report.ceptoar_id)
    if level == HopLevel.MINISTRY:
        return Organisation.objects.filter(
            pk__in=Oversight.objects.filter(ceptoar_id=report.ceptoar_id).values("ministry_id")
        )
    if level == HopLevel.HUB:
        return Organisation.objects.filter(kind=OrganisationKind.HUB)
    return Organisation.objects.none()


def hops_of(user, report: Report) -> QuerySet[ReportHop]:
    """The report's hops within its consent at which `user` stands (none for the reporter's own people)."""
    if not is_active_member(user) or report.organisation_id == user.organisation_id:
        return ReportHop.objects.none()
    return report.hops.filter(policy.at_users_organisation(user), level__in=levels_within(report.scope))


def is_at_hop(user, report: Report) -> bool:
    return hops_of(user, report).exists()


# -- forwarding -----------------------------------------------------------------------------------


def forward_options(report: Report) -> list[dict]:
    """For the forward form: each level, whether the consent allows it, where it would go, and whether it
    has been reached already."""
    reached = set(report.hops.values_list("organisation_id", flat=True))
    options = []
    for level in FORWARD_LEVELS:
        targets = list(organisations_at_level(report, level).order_by("code"))
        options.append(
            {
                "level": str(level),
                "label": HopLevel(level).label,
                "allowed": within_consent(level, report.scope),
                "organisations": targets,
                "reached": bool(targets) and all(target.pk in reached for target in targets),
            }
        )
    return options


# -- status and conversation ------------------------------------------------------------------------


def next_statuses(report: Report) -> list[tuple[str, str]]:
    return [(status, TriageStatus(status).label) for status in ALLOWED_TRANSITIONS.get(report.status, ())]


def is_reporter(user, report: Report) -> bool:
    """A point of contact of the organisation that wrote the report."""
    return (
        is_active_member(user)
        and report.organisation_id == user.organisation_id
        and user.has_role(Role.MEMBER_POC)
    )


def can_comment(user, report: Report) -> bool:
    """The reporting organisation's points of contact, and the staff of the organisations the report reached."""
    if not is_active_member(user) or report.status == TriageStatus.DRAFT:
        return False
    if is_reporter(user, report):
        return True
    return (
        user.has_role(*_HOP_COMMENTER_ROLES) and is_at_hop(user, report) and policy.holds_report(user, report)
    )


def can_write_internal(user, report: Report) -> bool:
    """Internal notes are written (and read) at the report's hops, never by the reporter."""
    return can_comment(user, report) and not is_reporter(user, report)


def comments_for(user, report: Report) -> QuerySet[ReportComment]:
    """The comments `user` may read: none unless they may see the report; internal notes only at its hops."""
    if not is_active_member(user) or not policy.holds_report(user, report):
        return ReportComment.objects.none()
    comments = report.comments.select_related("author", "organisation").order_by("created_at", "id")
    if not is_at_hop(user, report):
        comments = comments.filter(internal=False)
    return comments


# -- deadlines ------------------------------------------------------------------------------------


class DeadlineState:
    MET = "met"
    MET_LATE = "met_late"
    DUE = "due"
    OVERDUE = "overdue"
    UNKNOWN = "unknown"


STATE_LABELS = {
    DeadlineState.MET: gettext_lazy("Met"),
    DeadlineState.MET_LATE: gettext_lazy("Met late"),
    DeadlineState.DUE: gettext_lazy("Due"),
    DeadlineState.OVERDUE: gettext_lazy("Overdue"),
    DeadlineState.UNKNOWN: gettext_lazy("No detection time yet"),
}


@dataclass(frozen=True)
class Deadline:
    kind: str
    hours: int
    due_at: datetime | None
    met_at: datetime | None
    state: str
    # Time left (due), how late (overdue, met late), or the margin kept (met).
    delta: timedelta | None

    @property
    def label(self) -> str:
        return DeadlineKind(self.kind).label

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def is_open(self) -> bool:
        return self.state in (DeadlineState.DUE, DeadlineState.OVERDUE)


def default_deadline_hours() -> dict[str, int]:
    configured = getattr(settings, "CEPTOAR_REPORTING_DEADLINES", {}) or {}
    return {
        DeadlineKind.FIRST: int(configured.get("first", 24)),
        DeadlineKind.DETAILS: int(configured.get("details", 72)),
    }


def deadline_hours_by_ceptoar(ceptoar_ids) -> dict[int, dict[str, int]]:
    """Each CEPTOAR's hours per kind of report (its own rows, else the defaults), in one query."""
    ids = list(ceptoar_ids)
    result = {ceptoar_id: default_deadline_hours() for ceptoar_id in ids}
    for row in ReportingDeadline.objects.filter(ceptoar_id__in=ids).values(
        "ceptoar_id", "kind", "hours_after_detection"
    ):
        result[row["ceptoar_id"]][row["kind"]] = row["hours_after_detection"]
    return result


def deadline_hours(ceptoar) -> dict[str, int]:
    ceptoar_id = getattr(ceptoar, "pk", ceptoar)
    return deadline_hours_by_ceptoar([ceptoar_id])[ceptoar_id]


_NOT_LOADED = object()


def _final_submitted_at(report: Report) -> datetime | None:
    annotated = getattr(report, "final_submitted_at", _NOT_LOADED)
    if annotated is not _NOT_LOADED:
        return annotated
    if not report.has_final:
        return None
    return (
        ReportVersion.objects.filter(report_id=report.pk, stage=Stage.FINAL)
        .exclude(submitted_at=None)
        .order_by("submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )


def _state(due_at: datetime | None, met_at: datetime | None, now: datetime) -> tuple[str, timedelta | None]:
    if due_at is None:
        return DeadlineState.UNKNOWN, None
    if met_at is not None:
        if met_at <= due_at:
            return DeadlineState.MET, due_at - met_at
        return DeadlineState.MET_LATE, met_at - due_at
    if now <= due_at:
        return DeadlineState.DUE, due_at - now
    return DeadlineState.OVERDUE, now - due_at


def deadlines(
    report: Report, now: datetime | None = None, hours: dict[str, int] | None = None
) -> list[Deadline]:
    """The first report's and the detailed (final) report's deadline: due at detection + the CEPTOAR's hours,
    met when the first report, resp. the first final version, was submitted."""
    now = now or timezone.now()
    hours = hours or deadline_hours(report.ceptoar_id)
    met = {
        DeadlineKind.FIRST: report.first_submitted_at,
        DeadlineKind.DETAILS: _final_submitted_at(report),
    }
    result = []
    for kind in (DeadlineKind.FIRST, DeadlineKind.DETAILS):
        due_at = report.detected_at + timedelta(hours=hours[kind]) if report.detected_at else None
        state, delta = _state(due_at, met[kind], now)
        result.append(
            Deadline(
                kind=str(kind), hours=hours[kind], due_at=due_at, met_at=met[kind], state=state, delta=delta
            )
        )
    return result


# A year: anything longer is a typing mistake, not a deadline.
MAX_DEADLINE_HOURS = 24 * 366


# -- the queue ------------------------------------------------------------------------------------


def queue_reports(user) -> QuerySet[Report]:
    """Every submitted report to a CEPTOAR `user` serves as secretariat, as the policy lets them see it."""
    return policy.visible_reports(user, access.reports_triaged_by(user))


def triage_queue(user) -> QuerySet[Report]:
    """`queue_reports` with `next_due_at` (the detailed report's deadline while it is open) and
    `final_submitted_at`, sorted by urgency: overdue first, then due soonest, then newest."""
    queryset = queue_reports(user)
    # The served CEPTOARs' own hours in one query; every report of the queue is to a served CEPTOAR, so one
    # without its own row has the default hours (the header's to-do counts the overdue on every page).
    own_hours = ReportingDeadline.objects.filter(
        ceptoar_id__in=ceptoars_served_by(user).values("pk"), kind=DeadlineKind.DETAILS
    ).values_list("ceptoar_id", "hours_after_detection")
    due = [
        When(ceptoar_id=ceptoar_id, then=F("detected_at") + timedelta(hours=hours))
        for ceptoar_id, hours in own_hours
    ]
    default_hours = default_deadline_hours()[DeadlineKind.DETAILS]
    next_due = Case(
        When(status=TriageStatus.CLOSED, then=Value(None)),
        When(has_final=True, then=Value(None)),
        When(detected_at=None, then=Value(None)),
        *due,
        default=F("detected_at") + timedelta(hours=default_hours),
        output_field=DateTimeField(),
    )
    final = (
        ReportVersion.objects.filter(report_id=OuterRef("pk"), stage=Stage.FINAL)
        .exclude(submitted_at=None)
        .order_by("submitted_at")
        .values("submitted_at")[:1]
    )
    return (
        queryset.select_related("organisation", "ceptoar")
        .annotate(next_due_at=next_due, final_submitted_at=Subquery(final))
        .order_by(
            F("next_due_at").asc(nulls_last=True),
            F("first_submitted_at").desc(nulls_last=True),
            "-id",
        )
    )


def search_reports(queryset: QuerySet[Report], text: str) -> QuerySet[Report]:
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(Q(reference__icontains=text) | Q(title__icontains=text))
