"""Who may act on incident reports and failure cases. Who may *see* one is `sharing.policy`'s question;
these add what a person may do with what they see. Pages, the API and commands ask here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ceptoar.accounts.access import ceptoars_served_by, is_active_member, serves_a_ceptoar
from ceptoar.accounts.models import Role
from ceptoar.registry.models import Membership, Organisation, OrganisationKind
from ceptoar.reports.models import Case, CaseStatus, Report, TriageStatus

_REPORTER_ROLES = (Role.MEMBER_POC,)
_STATISTICS_ROLES = (Role.SECRETARIAT, Role.COORDINATOR, Role.MINISTRY_LIAISON, Role.HUB_STAFF)
_STATISTICS_KINDS = (OrganisationKind.CEPTOAR, OrganisationKind.MINISTRY, OrganisationKind.HUB)


def ceptoars_reportable_by(user) -> QuerySet[Organisation]:
    """The CEPTOARs this user's organisation may report to: those it is a member of."""
    if not is_active_member(user) or not user.has_role(*_REPORTER_ROLES):
        return Organisation.objects.none()
    return Organisation.objects.ceptoars().filter(
        pk__in=Membership.objects.filter(member_id=user.organisation_id).values("ceptoar_id")
    )


def can_report(user) -> bool:
    """A member's point of contact reports its incidents to a CEPTOAR it belongs to."""
    return ceptoars_reportable_by(user).exists()


def can_edit_report(user, report: Report) -> bool:
    """The reporting organisation's points of contact write its drafts and follow-ups until it is closed."""
    return (
        is_active_member(user)
        and user.has_role(*_REPORTER_ROLES)
        and report.organisation_id == user.organisation_id
        and report.status != TriageStatus.CLOSED
    )


def require_report_editor(user, report: Report) -> None:
    """`can_edit_report`, for the services that change a report: refused with the reason."""
    if not can_edit_report(user, report):
        raise PermissionDenied(_("Only your own organisation's open reports can be changed here."))


def can_triage(user, report: Report) -> bool:
    """The secretariat of the CEPTOAR a report was sent to triages it, comments, forwards and closes it,
    and makes failure cases of it."""
    return (
        report.status != TriageStatus.DRAFT and ceptoars_served_by(user).filter(pk=report.ceptoar_id).exists()
    )


def require_triage(user, report: Report) -> None:
    """`can_triage`, for the services that forward a report or change its status: refused with the reason."""
    if not can_triage(user, report):
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR this report was sent to may do this."))


def reports_triaged_by(user) -> QuerySet[Report]:
    """The triage queue: every submitted report to a CEPTOAR this user serves as secretariat."""
    return Report.objects.exclude(status=TriageStatus.DRAFT).filter(
        ceptoar_id__in=ceptoars_served_by(user).values("pk")
    )


def can_edit_case(user, case: Case) -> bool:
    """The secretariat of the case's CEPTOAR reviews its redactions until it is published."""
    return case.status in (CaseStatus.REVIEW, CaseStatus.CHANGES_REQUESTED) and (
        ceptoars_served_by(user).filter(pk=case.origin_organisation_id).exists()
    )


def can_publish_case(user, case: Case) -> bool:
    """Only after the reporting organisation approved the sanitised text."""
    return (
        case.status == CaseStatus.APPROVED
        and ceptoars_served_by(user).filter(pk=case.origin_organisation_id).exists()
    )


def can_approve_case(user, case: Case) -> bool:
    """A point of contact of the reporting organisation approves (or sends back) the sanitised text."""
    return (
        case.status == CaseStatus.AWAITING_APPROVAL
        and is_active_member(user)
        and user.has_role(*_REPORTER_ROLES)
        and case.report.organisation_id == user.organisation_id
    )


def can_view_statistics(user) -> bool:
    """Secretariats, ministries and the hub: each counts only the reports it may see."""
    if not is_active_member(user) or not user.has_role(*_STATISTICS_ROLES):
        return False
    # A secretariat may be run by an organisation of another kind (全国銀行協会 for the banks' CEPTOAR).
    return user.organisation.kind in _STATISTICS_KINDS or serves_a_ceptoar(user)


# -- analysis partners ------------------------------------------------------------------------------

# A report is forwarded for analysis once the secretariat has looked at it, and while it is open.
FORWARDABLE_FOR_ANALYSIS = (TriageStatus.TRIAGED, TriageStatus.MORE_INFORMATION, TriageStatus.FORWARDED)


def can_forward_for_analysis(user, report: Report) -> bool:
    """The secretariat of the report's CEPTOAR, on a triaged, open report whose reporter consented."""
    return report.analysis_consent and report.status in FORWARDABLE_FOR_ANALYSIS and can_triage(user, report)


def can_analyse(user, forward) -> bool:
    """The people of the partner organisation a report was forwarded to write the analysis of it (who may
    still see the forward is `sharing.policy.visible_forwards`'s question)."""
    return is_active_member(user) and forward.partner_id == user.organisation_id


def can_share_analysis(user, analysis) -> bool:
    """The secretariat of the CEPTOAR an analysis was returned to shares it with its members."""
    return ceptoars_served_by(user).filter(pk=analysis.ceptoar_id).exists()
