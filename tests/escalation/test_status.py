"""Receipt status per organisation: Confirmed, Confirmed late, Not confirmed, Unreachable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Recipient
from ceptoar.alerts.services import acknowledgements
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.escalation import calls, services
from ceptoar.escalation.models import Call, CallOutcome
from ceptoar.escalation.status import ReceiptStatus, with_status
from tests.escalation.helpers import after, banks_alert, recipient

pytestmark = pytest.mark.django_db


def statuses(alert) -> dict[str, str]:
    return dict(
        with_status(Recipient.objects.filter(alert=alert)).values_list("organisation__code", "receipt_status")
    )


def test_the_four_statuses(demo_user):
    secretariat = demo_user("demo-secretariat")
    alert = banks_alert(demo_user)
    on_time, late, phoned, no_answer, failed = (recipient(alert, f"banks-000{n}") for n in range(1, 6))
    acknowledgements.acknowledge(on_time, via=AcknowledgementVia.PORTAL)
    acknowledgements.acknowledge(late, via=AcknowledgementVia.EMAIL_LINK)
    Acknowledgement.objects.filter(recipient=late).update(acknowledged_at=after(alert, 45))
    for minutes in (31, 61, 121):
        services.run_due_follow_ups(now=after(alert, minutes))
    calls.log_call(secretariat, phoned.pk, None, "03-0000-0000", CallOutcome.REACHED)
    calls.log_call(secretariat, no_answer.pk, None, "03-0000-0001", CallOutcome.NO_ANSWER)
    Delivery.objects.filter(recipient=failed).update(status=DeliveryStatus.FAILED_PERMANENT)

    result = statuses(alert)

    assert result["banks-0001"] == ReceiptStatus.CONFIRMED
    assert result["banks-0002"] == ReceiptStatus.CONFIRMED_LATE
    assert result["banks-0003"] == ReceiptStatus.CONFIRMED_LATE  # only by phone
    assert result["banks-0004"] == ReceiptStatus.UNREACHABLE
    assert result["banks-0005"] == ReceiptStatus.UNREACHABLE
    assert result["banks-0006"] == ReceiptStatus.NOT_CONFIRMED
    assert set(result.values()) == set(ReceiptStatus.values)


def test_a_later_successful_call_makes_an_unreachable_organisation_confirmed_late(demo_user):
    secretariat = demo_user("demo-secretariat")
    alert = banks_alert(demo_user)
    target = recipient(alert, "banks-0004")
    for minutes in (31, 61, 121):
        services.run_due_follow_ups(now=after(alert, minutes))
    calls.log_call(secretariat, target.pk, None, "03-0000-0001", CallOutcome.NO_ANSWER)
    assert statuses(alert)["banks-0004"] == ReceiptStatus.UNREACHABLE
    Call.objects.update(called_at=after(alert, 130))
    calls.log_call(secretariat, target.pk, None, "03-0000-0001", CallOutcome.REACHED)
    assert statuses(alert)["banks-0004"] == ReceiptStatus.CONFIRMED_LATE


def test_pending_deliveries_are_not_unreachable(demo_user):
    alert = banks_alert(demo_user)
    target = recipient(alert, "banks-0005")
    messages = Delivery.objects.filter(recipient=target)
    first = messages.order_by("pk").first()
    messages.exclude(pk=first.pk).update(status=DeliveryStatus.FAILED_PERMANENT)
    assert statuses(alert)["banks-0005"] == ReceiptStatus.NOT_CONFIRMED


def test_the_deadline_is_the_alerts_own_t1(demo_user):
    alert = banks_alert(demo_user)
    alert.escalation.backup_after = timedelta(minutes=5)
    alert.escalation.save()
    target = recipient(alert, "banks-0001")
    acknowledgements.acknowledge(target, via=AcknowledgementVia.PORTAL)
    Acknowledgement.objects.filter(recipient=target).update(acknowledged_at=after(alert, 6))
    assert statuses(alert)["banks-0001"] == ReceiptStatus.CONFIRMED_LATE
