"""Triage and routing of submitted reports (情報連絡): the secretariat's queue, forwarding within the
reporter's consent, receipt at each hop, status changes, the conversation with the reporter, and the
reporting deadlines.

Who may *see* a report is `sharing.policy.visible_reports` (every list here starts from it); who may triage
is `reports.access`. Each state change is one transaction; errors are ValidationErrors keyed by the form field
concerned, and a refused change leaves everything as it was.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ceptoar.accounts.access import ceptoars_served_by
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

logger = logging.getLogger(__name__)

# The levels the secretariat forwards to; the secretariat's own hop is made by the reporter's submission.
FORWARD_LEVELS = (HopLevel.MINISTRY, HopLevel.HUB)

# Status changes the secretariat may make by hand. NEW is where a submission (or the reporter's answer)
# puts a report; FORWARDED is where `forward` puts it.
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


def _within_consent(level: str, scope: str) -> bool:
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


def _is_person(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "organisation_id", None) is not None
    )


def hops_of(user, report: Report) -> QuerySet[ReportHop]:
    """The report's hops within its consent at which `user` stands (none for the reporter's own people)."""
    if not _is_person(user) or report.organisation_id == user.organisation_id:
        return ReportHop.objects.none()
    return report.hops.filter(policy.at_users_organisation(user), level__in=levels_within(report.scope))


def is_at_hop(user, report: Report) -> bool:
    return hops_of(user, report).exists()


# -- receipt --------------------------------------------------------------------------------------


def record_receipt(user, report) -> None:
    """Record that `user`'s organisation, at one of the report's hops, has received it (first opening).

    One UPDATE, also when the hop was received long ago (then it changes nothing). A failure is logged and
    never breaks the page that called it."""
    if not _is_person(user) or report.pk is None or report.status == TriageStatus.DRAFT:
        return
    if report.organisation_id == user.organisation_id:
        return
    try:
        # Inside a transaction a savepoint keeps a failed UPDATE from spoiling the caller's work.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with guard:
            ReportHop.objects.filter(
                policy.at_users_organisation(user),
                report_id=report.pk,
                received_at=None,
                level__in=levels_within(report.scope),
            ).update(received_at=timezone.now(), received_by=user)
    except DatabaseError:
        logger.exception("Could not record the receipt of report %s by user %s", report.pk, user.pk)


# -- forwarding -----------------------------------------------------------------------------------


def _lock(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


def _require_triage(user, report: Report) -> None:
    if not access.can_triage(user, report):
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR this report was sent to may do this."))


def _names(organisations) -> str:
    return ", ".join(str(organisation) for organisation in organisations)


@transaction.atomic
def forward(user, report: Report, to_levels) -> list[ReportHop]:
    """Send the original on to the sector ministry and/or the national hub, never beyond the reporter's
    consent. Creates one hop per organisation reached and marks the report forwarded."""
    report = _lock(report)
    _require_triage(user, report)
    levels = list(dict.fromkeys(str(level) for level in to_levels or ()))
    if not levels:
        raise ValidationError({"to_levels": _("Choose where to forward the report.")})
    unknown = [level for level in levels if level not in FORWARD_LEVELS]
    if unknown:
        raise ValidationError(
            {
                "to_levels": _(
                    "A report is forwarded to its sector ministry or the national hub, not to: %(value)s"
                )
                % {"value": ", ".join(unknown)}
            }
        )
    if report.status == TriageStatus.CLOSED:
        raise ValidationError(
            {
                "to_levels": _("Report %(reference)s is closed; reopen it before forwarding it.")
                % {"reference": report.reference}
            }
        )
    beyond = [level for level in levels if not _within_consent(level, report.scope)]
    if beyond:
        raise ValidationError(
            {
                "to_levels": _(
                    "The reporter's consent is “%(consent)s”: the report may not be forwarded to %(levels)s."
                )
                % {
                    "consent": ConsentScope(report.scope).label,
                    "levels": ", ".join(str(HopLevel(level).label) for level in beyond),
                }
            }
        )
    already = set(report.hops.values_list("organisation_id", flat=True))
    new_hops: list[ReportHop] = []
    for level in levels:
        targets = list(organisations_at_level(report, level).order_by("code"))
        if not targets:
            raise ValidationError(
                {
                    "to_levels": _("No organisation is registered as %(level)s for %(ceptoar)s.")
                    % {"level": HopLevel(level).label, "ceptoar": report.ceptoar}
                }
            )
        for organisation in targets:
            if organisation.pk not in already:
                already.add(organisation.pk)
                new_hops.append(
                    ReportHop(report=report, organisation=organisation, level=level, sent_by=user)
                )
    if not new_hops:
        reached = Organisation.objects.filter(
            pk__in=report.hops.filter(level__in=levels).values("organisation_id")
        ).order_by("code")
        raise ValidationError(
            {
                "to_levels": _("The report has already been forwarded to %(names)s.")
                % {"names": _names(reached)}
            }
        )
    for hop in new_hops:
        hop.save()
    report.status = TriageStatus.FORWARDED
    report.save(update_fields=["status", "updated_at"])
    return new_hops


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
                "allowed": _within_consent(level, report.scope),
                "organisations": targets,
                "reached": bool(targets) and all(target.pk in reached for target in targets),
            }
        )
    return options


# -- status and conversation ------------------------------------------------------------------------


def next_statuses(report: Report) -> list[tuple[str, str]]:
    return [(status, TriageStatus(status).label) for status in ALLOWED_TRANSITIONS.get(report.status, ())]


@transaction.atomic
def set_status(user, report: Report, status: str, comment: str = "") -> Report:
    """Move a report through triage. "More information needed" must say what is needed: that comment goes
    to the reporter. Any other comment given goes to the reporter too."""
    report = _lock(report)
    _require_triage(user, report)
    comment = (comment or "").strip()
    if status not in TriageStatus.values:
        raise ValidationError({"status": _("Unknown choice: %(value)s") % {"value": status}})
    current = TriageStatus(report.status)
    wanted = TriageStatus(status)
    if wanted == current:
        raise ValidationError({"status": _("The report is already “%(status)s”.") % {"status": wanted.label}})
    if wanted == TriageStatus.FORWARDED:
        raise ValidationError(
            {"status": _("A report becomes “Forwarded” when you forward it to the ministry or the hub.")}
        )
    if wanted not in ALLOWED_TRANSITIONS.get(current, ()):
        raise ValidationError(
            {
                "status": _("A report that is “%(current)s” cannot be set to “%(wanted)s”.")
                % {"current": current.label, "wanted": wanted.label}
            }
        )
    if wanted == TriageStatus.MORE_INFORMATION and not comment:
        raise ValidationError(
            {"comment": _("Say what information you need: the reporter reads this comment.")}
        )
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "comment": _("A comment may be at most %(count)d characters long.")
                % {"count": COMMENT_MAX_LENGTH}
            }
        )
    report.status = wanted
    report.save(update_fields=["status", "updated_at"])
    if comment:
        ReportComment.objects.create(
            report=report, author=user, organisation_id=user.organisation_id, body=comment, internal=False
        )
    return report


def _is_reporter(user, report: Report) -> bool:
    return (
        _is_person(user) and report.organisation_id == user.organisation_id and user.has_role(Role.MEMBER_POC)
    )


def can_comment(user, report: Report) -> bool:
    """The reporting organisation's points of contact, and the staff of the organisations the report reached."""
    if not _is_person(user) or report.status == TriageStatus.DRAFT:
        return False
    if _is_reporter(user, report):
        return True
    return user.has_role(*_HOP_COMMENTER_ROLES) and is_at_hop(user, report) and policy.may_see(user, report)


def can_write_internal(user, report: Report) -> bool:
    """Internal notes are written (and read) at the report's hops, never by the reporter."""
    return can_comment(user, report) and not _is_reporter(user, report)


@transaction.atomic
def add_comment(user, report: Report, body: str, internal: bool = False) -> ReportComment:
    """A message to or from the reporter, or (internal) a note among the organisations the report reached.
    The reporter's comment on a report waiting for more information puts it back in the queue as new."""
    report = _lock(report)
    if not can_comment(user, report):
        raise PermissionDenied(_("You may not comment on this report."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment first.")})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"body": _("A comment may be at most %(count)d characters long.") % {"count": COMMENT_MAX_LENGTH}}
        )
    reporter = _is_reporter(user, report)
    if internal and reporter:
        raise ValidationError(
            {
                "internal": _(
                    "Internal notes are for the organisations the report was sent to; the reporter cannot write one."
                )
            }
        )
    comment = ReportComment.objects.create(
        report=report, author=user, organisation_id=user.organisation_id, body=body, internal=bool(internal)
    )
    if reporter and report.status == TriageStatus.MORE_INFORMATION:
        report.status = TriageStatus.NEW
        report.save(update_fields=["status", "updated_at"])
    return comment


def comments_for(user, report: Report) -> QuerySet[ReportComment]:
    """The comments `user` may read: none unless they may see the report; internal notes only at its hops."""
    if not _is_person(user) or not policy.may_see(user, report):
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


@transaction.atomic
def set_deadlines(user, ceptoar: Organisation, first_hours, details_hours) -> dict[str, int]:
    """The secretariat sets how many hours after detection its CEPTOAR expects each kind of report."""
    if not ceptoars_served_by(user).filter(pk=ceptoar.pk).exists():
        raise PermissionDenied(
            _("Only the secretariat of %(ceptoar)s may set its deadlines.") % {"ceptoar": ceptoar}
        )
    errors: dict[str, list[str]] = {}
    values = {}
    for field, value in (("first_hours", first_hours), ("details_hours", details_hours)):
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors.setdefault(field, []).append(_("Enter a whole number of hours."))
            continue
        if number < 1:
            errors.setdefault(field, []).append(_("The number of hours must be at least 1."))
        elif number > MAX_DEADLINE_HOURS:
            errors.setdefault(field, []).append(
                _("The number of hours may be at most %(count)d.") % {"count": MAX_DEADLINE_HOURS}
            )
        values[field] = number
    if not errors and values["details_hours"] < values["first_hours"]:
        errors["details_hours"] = [
            _("The detailed report cannot be due before the first report (%(hours)d hours).")
            % {"hours": values["first_hours"]}
        ]
    if errors:
        raise ValidationError(errors)
    for kind, field in ((DeadlineKind.FIRST, "first_hours"), (DeadlineKind.DETAILS, "details_hours")):
        ReportingDeadline.objects.update_or_create(
            ceptoar=ceptoar, kind=kind, defaults={"hours_after_detection": values[field]}
        )
    return {DeadlineKind.FIRST: values["first_hours"], DeadlineKind.DETAILS: values["details_hours"]}


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
    ceptoar_ids = list(ceptoars_served_by(user).values_list("pk", flat=True))
    hours = deadline_hours_by_ceptoar(ceptoar_ids)
    due = [
        When(ceptoar_id=ceptoar_id, then=F("detected_at") + timedelta(hours=row[DeadlineKind.DETAILS]))
        for ceptoar_id, row in hours.items()
    ]
    next_due = Case(
        When(status=TriageStatus.CLOSED, then=Value(None)),
        When(has_final=True, then=Value(None)),
        When(detected_at=None, then=Value(None)),
        *due,
        default=Value(None),
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
