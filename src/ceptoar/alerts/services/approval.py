"""The second person's approval, which publishes an alert that asked for it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.models import Alert, Status
from ceptoar.alerts.preview import require_preview
from ceptoar.alerts.services.drafts import require_own_draft
from ceptoar.alerts.services.publication import _publish


@transaction.atomic
def approve(alert: Alert, approver: User, *, confirm: str | None = None) -> Alert:
    """Publish an alert awaiting approval; `confirm` as in `publication.submit` (the approver's preview)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    require_own_draft(alert, approver)
    if alert.status != Status.AWAITING_APPROVAL:
        raise ValidationError({"status": _("This alert is not awaiting approval.")})
    if approver.pk == alert.author_id:
        raise ValidationError({"approved_by": _("A second person must approve: the author cannot.")})
    require_preview(alert, confirm)
    alert.approved_by, alert.approved_at = approver, timezone.now()
    return _publish(alert)
