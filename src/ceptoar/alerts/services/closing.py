"""Closing a published alert, which cancels the escalation still pending for it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.models import Acknowledgement, Alert, Recipient, Status
from ceptoar.alerts.services.drafts import require_own_draft
from ceptoar.escalation import services as escalation
from ceptoar.escalation.models import FollowUp, FollowUpState


@dataclass
class ClosingSummary:
    """What closing will do, for the confirmation page: said in counts before the click."""

    recipients: int
    acknowledged: int
    pending_steps: int
    organisations_chased: int

    @property
    def unacknowledged(self) -> int:
        return self.recipients - self.acknowledged


def closing_summary(alert: Alert) -> ClosingSummary:
    pending = FollowUp.objects.filter(recipient__alert=alert, state=FollowUpState.PENDING)
    return ClosingSummary(
        recipients=Recipient.objects.filter(alert=alert).count(),
        acknowledged=Acknowledgement.objects.filter(recipient__alert=alert).count(),
        pending_steps=pending.count(),
        organisations_chased=pending.values("recipient_id").distinct().count(),
    )


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
