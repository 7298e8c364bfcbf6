"""The conversation on a report: messages between the reporter and the organisations the report reached,
and internal notes among those organisations."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.notifications import events as notify
from ceptoar.reports.models import Report, ReportComment, TriageStatus
from ceptoar.reports.tracking import COMMENT_MAX_LENGTH, can_comment, is_reporter


@transaction.atomic
def add_comment(user, report: Report, body: str, internal: bool = False) -> ReportComment:
    """A message to or from the reporter, or (internal) a note among the organisations the report reached.
    The reporter's comment on a report waiting for more information puts it back in the queue as new."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not can_comment(user, report):
        raise PermissionDenied(_("You may not comment on this report."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment first.")})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"body": _("A comment may be at most %(count)d characters long.") % {"count": COMMENT_MAX_LENGTH}}
        )
    reporter = is_reporter(user, report)
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
    notify.report_comment(comment)
    return comment
