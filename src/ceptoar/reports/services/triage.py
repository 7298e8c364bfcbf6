"""The secretariat's status changes on a submitted report (triaged, more information needed, closed …), with
the comment that goes to the reporter. A refused change leaves everything as it was."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.notifications import events as notify
from ceptoar.reports import access
from ceptoar.reports.models import Report, ReportComment, TriageStatus
from ceptoar.reports.tracking import ALLOWED_TRANSITIONS, COMMENT_MAX_LENGTH


@transaction.atomic
def set_status(user, report: Report, status: str, comment: str = "") -> Report:
    """Move a report through triage. "More information needed" must say what is needed: that comment goes
    to the reporter. Any other comment given goes to the reporter too."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    access.require_triage(user, report)
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
        notify.report_comment(
            ReportComment.objects.create(
                report=report, author=user, organisation_id=user.organisation_id, body=comment, internal=False
            )
        )
    return report
