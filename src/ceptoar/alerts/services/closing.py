"""Closing a published alert, which cancels the escalation still pending for it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.models import Alert, Status
from ceptoar.alerts.services.drafts import require_own_draft
from ceptoar.escalation import services as escalation


@transaction.atomic
def close(alert: Alert, user: User) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    require_own_draft(alert, user)
    if alert.status != Status.PUBLISHED:
        raise ValidationError({"status": _("Only a published alert can be closed.")})
    alert.status, alert.closed_at = Status.CLOSED, timezone.now()
    alert.save(update_fields=["status", "closed_at", "updated_at"])
    escalation.cancel_for_alert(alert)
    return alert
