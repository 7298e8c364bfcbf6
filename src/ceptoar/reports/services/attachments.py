"""Files attached to a report's draft: adding one (checked like an alert's) and removing one before the
version is sent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.attachments import check_attachment
from ceptoar.reports import access
from ceptoar.reports.models import Report, ReportAttachment, ReportVersion


@transaction.atomic
def add_attachment(user: User, version: ReportVersion, name: str, content: bytes) -> ReportAttachment:
    """Attach a file to the draft being written; refused (with the file named) if too large or of a type
    that may not be attached."""
    report = Report.objects.select_for_update().get(pk=version.report_id)
    access.require_report_editor(user, report)
    if not ReportVersion.objects.filter(pk=version.pk, submitted_at=None).exists():
        raise ValidationError(
            {"attachment": _("Files are added to the draft, not to a version already sent.")}
        )
    try:
        checked = check_attachment(name, content)
    except ValidationError as error:
        raise ValidationError({"attachment": error.messages}) from error
    attachment = ReportAttachment(
        report=report,
        version=version,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user,
    )
    attachment.file.save(checked.name, ContentFile(content), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def remove_attachment(user: User, attachment: ReportAttachment) -> None:
    """Only from the draft it was added with; a sent version keeps its files."""
    # Read again under the report's lock: the caller's objects may be older than a submission just made.
    report = Report.objects.select_for_update().get(pk=attachment.report_id)
    access.require_report_editor(user, report)
    attachment = ReportAttachment.objects.select_related("version").get(pk=attachment.pk)
    if attachment.version.submitted_at is not None:
        raise ValidationError(
            _("%(name)s was sent with version %(number)s and stays with it.")
            % {"name": attachment.name, "number": attachment.version.number}
        )
    storage, stored_name = attachment.file.storage, attachment.file.name
    attachment.delete()
    # The file goes only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(stored_name))
