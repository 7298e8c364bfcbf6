"""Composing an alert: the draft with its audience and attachments, and who may change a draft."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.accounts.models import User
from ceptoar.alerts.attachments import check_attachment
from ceptoar.alerts.models import Alert, AlertAttachment, Status
from ceptoar.alerts.services import councils
from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.sharing.models import AuditEntry


@transaction.atomic
def create_draft(
    author: User,
    *,
    title: str,
    body: str,
    category: str,
    severity: str,
    tlp: str,
    audience: AudienceSpec,
    no_onward_relay: bool = False,
    relay_needs_originator_approval: bool = False,
    references: list[str] | None = None,
    requires_approval: bool = False,
    attachments: list[tuple[str, bytes]] | None = None,
    exercise=None,
) -> Alert:
    access.require_sender(author)
    checked = [(check_attachment(name, content), content) for name, content in attachments or []]
    built = build_audience(audience, tlp)
    if councils.check_council_post(author.organisation, tlp, built):
        # A council post stays with the seats (`alerts.services.councils`).
        no_onward_relay = True
    alert = Alert(
        title=title,
        body=body,
        category=category,
        severity=severity,
        tlp=tlp,
        audience=built,
        no_onward_relay=no_onward_relay,
        relay_needs_originator_approval=relay_needs_originator_approval,
        references=references or [],
        requires_approval=requires_approval,
        origin_organisation=author.organisation,
        author=author,
        exercise=exercise,
    )
    alert.full_clean()
    alert.save()
    _store_attachments(alert, checked)
    return alert


def add_attachments(alert: Alert, files: list[tuple[str, bytes]]) -> None:
    """Attach `files` to a draft just written: for a sender that previews its draft without them (a preview
    is rolled back, and the files it stored would stay on disk) and attaches them once confirmed."""
    _store_attachments(alert, [(check_attachment(name, content), content) for name, content in files])


def _store_attachments(alert: Alert, checked) -> None:
    for info, content in checked:
        AlertAttachment.objects.create(
            alert=alert,
            file=ContentFile(content, name=info.name),
            name=info.name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
        )


def require_own_draft(alert: Alert, user: User) -> None:
    """Submitting, approving and closing are for the sending organisation's senders only."""
    if alert.origin_organisation_id != user.organisation_id or not access.can_send_alerts(user):
        raise PermissionDenied(_("Only the sending organisation may change this alert."))


@transaction.atomic
def withdraw(alert: Alert, user: User) -> Alert:
    """The author takes a draft back from approval: it is a draft again, nobody can approve it until it is
    sent again, and the audit log keeps who withdrew it and when."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    require_own_draft(alert, user)
    if alert.author_id != user.pk:
        raise PermissionDenied(_("Only the author may withdraw this alert from approval."))
    if alert.status != Status.AWAITING_APPROVAL:
        raise ValidationError({"status": _("Only an alert awaiting approval can be withdrawn.")})
    alert.status = Status.DRAFT
    alert.save(update_fields=["status", "updated_at"])
    AuditEntry.objects.create(
        user=user,
        organisation_id=user.organisation_id,
        action="withdrawn_from_approval",
        item_type=alert._meta.label_lower,
        item_id=alert.pk,
        tlp=alert.tlp,
    )
    return alert
