"""Each recipient organisation's receipt status, in the words people use (確認済み, 確認済み（遅延）, 未確認,
連絡不能), computed by the database so that a page over 5,700 members stays one query."""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.models import AcknowledgementVia, Recipient
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.escalation.models import Call, CallOutcome, default_plan


class ReceiptStatus:
    CONFIRMED = "confirmed"
    CONFIRMED_LATE = "confirmed_late"
    NOT_CONFIRMED = "not_confirmed"
    UNREACHABLE = "unreachable"

    choices = [
        (CONFIRMED, _("Confirmed")),
        (CONFIRMED_LATE, _("Confirmed late")),
        (NOT_CONFIRMED, _("Not confirmed")),
        (UNREACHABLE, _("Unreachable")),
    ]
    labels = dict(choices)
    values = [value for value, _label in choices]


def with_status(recipients: QuerySet[Recipient]) -> QuerySet[Recipient]:
    """Annotate `receipt_status` on Recipient rows.

    Confirmed: receipt confirmed before the first escalation step was due (T1).
    Confirmed late: confirmed after T1, or only when the secretariat phoned.
    Unreachable: not confirmed, and the last call failed (no answer, wrong number), or every message sent
    to it failed for good.
    Not confirmed: anything else — still within the plan, or waiting on escalation.
    """
    deadline = ExpressionWrapper(
        F("alert__published_at")
        + Coalesce(F("alert__escalation__backup_after"), Value(default_plan()["backup_after"])),
        output_field=DateTimeField(),
    )
    last_call = Subquery(
        Call.objects.filter(recipient=OuterRef("pk")).order_by("-called_at", "-pk").values("outcome")[:1]
    )
    messages = Delivery.objects.filter(recipient=OuterRef("pk"))
    all_failed = Exists(messages.filter(status=DeliveryStatus.FAILED_PERMANENT)) & ~Exists(
        messages.exclude(status=DeliveryStatus.FAILED_PERMANENT)
    )
    return recipients.alias(last_call_outcome=last_call).annotate(
        receipt_status=Case(
            When(acknowledgement__via=AcknowledgementVia.PHONE, then=Value(ReceiptStatus.CONFIRMED_LATE)),
            When(acknowledgement__acknowledged_at__gt=deadline, then=Value(ReceiptStatus.CONFIRMED_LATE)),
            When(acknowledgement__isnull=False, then=Value(ReceiptStatus.CONFIRMED)),
            When(
                Q(last_call_outcome__in=[CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER]) | Q(all_failed),
                then=Value(ReceiptStatus.UNREACHABLE),
            ),
            default=Value(ReceiptStatus.NOT_CONFIRMED),
            output_field=CharField(),
        )
    )
