"""Escalation steps: backup contacts after T1, the head after T2, the call list after T3; a receipt
cancels whatever is pending, and a step never runs twice."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from ceptoar.alerts.models import AcknowledgementVia, Recipient
from ceptoar.alerts.services import acknowledgements, closing
from ceptoar.channels.models import Delivery, DeliveryKind, DeliveryStatus
from ceptoar.escalation import calls, services
from ceptoar.escalation.models import FollowUp, FollowUpState, Step
from ceptoar.registry.models import ContactRole
from tests.escalation.helpers import after, banks_alert, recipient

pytestmark = pytest.mark.django_db


def test_nothing_runs_before_t1(demo_user):
    alert = banks_alert(demo_user)
    assert services.run_due_follow_ups(now=after(alert, 29)) == 0
    assert not Delivery.objects.filter(alert=alert).exclude(escalation_step="").exists()


def test_t1_sends_to_backup_contacts_of_the_unconfirmed_only(demo_user):
    alert = banks_alert(demo_user)
    confirmed = recipient(alert, "banks-0001")
    acknowledgements.acknowledge(confirmed, via=AcknowledgementVia.PORTAL, by_user=demo_user("demo-member"))
    assert FollowUp.objects.get(recipient=confirmed).state == FollowUpState.CANCELLED
    tasks_before = DBTaskResult.objects.count()

    ran = services.run_due_follow_ups(now=after(alert, 31))

    recipients = Recipient.objects.filter(alert=alert).count()
    assert ran == recipients - 1
    step_deliveries = Delivery.objects.filter(alert=alert, escalation_step=Step.BACKUP)
    assert step_deliveries.exists()
    assert set(step_deliveries.values_list("contact__role", flat=True)) == {ContactRole.BACKUP}
    assert set(step_deliveries.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert not step_deliveries.filter(recipient=confirmed).exists()
    # Every unconfirmed member has a backup contact with e-mail in the demo: each was reached.
    assert step_deliveries.filter(kind=DeliveryKind.EMAIL).values("recipient").distinct().count() == ran
    assert DBTaskResult.objects.count() > tasks_before
    heads = FollowUp.objects.filter(recipient__alert=alert, step=Step.HEAD)
    assert heads.count() == ran
    assert {f.due_at for f in heads} == {after(alert, 60)}


def test_running_again_does_nothing_twice(demo_user):
    alert = banks_alert(demo_user)
    first = services.run_due_follow_ups(now=after(alert, 31))
    deliveries = Delivery.objects.filter(alert=alert).count()
    assert first > 0
    assert services.run_due_follow_ups(now=after(alert, 31)) == 0
    assert Delivery.objects.filter(alert=alert).count() == deliveries


def test_the_whole_plan_ends_on_the_call_list(demo_user):
    secretariat = demo_user("demo-secretariat")
    alert = banks_alert(demo_user)
    target = recipient(alert, "banks-0002")
    services.run_due_follow_ups(now=after(alert, 31))
    services.run_due_follow_ups(now=after(alert, 61))
    # Members have no head contact in the demo: the step is recorded as reaching nobody.
    head = FollowUp.objects.get(recipient=target, step=Step.HEAD)
    assert head.state == FollowUpState.DONE
    assert "no contact" in head.outcome
    assert not calls.call_list(secretariat).exists()
    services.run_due_follow_ups(now=after(alert, 121))
    on_list = calls.call_list(secretariat)
    assert on_list.filter(pk=target.pk).exists()
    assert on_list.count() == Recipient.objects.filter(alert=alert).count()
    # Only the sender's secretariat works this list.
    assert not calls.call_list(demo_user("demo-coordinator")).exists()
    assert not calls.call_list(demo_user("demo-member")).exists()


def test_a_receipt_between_steps_cancels_what_is_pending(demo_user):
    alert = banks_alert(demo_user)
    target = recipient(alert, "banks-0002")
    services.run_due_follow_ups(now=after(alert, 31))
    acknowledgements.acknowledge(target, via=AcknowledgementVia.PORTAL, by_user=demo_user("demo-member2"))
    assert FollowUp.objects.get(recipient=target, step=Step.HEAD).state == FollowUpState.CANCELLED
    services.run_due_follow_ups(now=after(alert, 200))
    assert not FollowUp.objects.filter(recipient=target, step=Step.CALL_LIST).exists()
    assert not calls.call_list(demo_user("demo-secretariat")).filter(pk=target.pk).exists()


def test_closing_the_alert_stops_its_escalation(demo_user):
    secretariat = demo_user("demo-secretariat")
    alert = banks_alert(demo_user)
    closing.close(alert, secretariat)
    assert services.run_due_follow_ups(now=after(alert, 31)) == 0
    assert not FollowUp.objects.filter(recipient__alert=alert, state=FollowUpState.PENDING).exists()
    assert not Delivery.objects.filter(alert=alert).exclude(escalation_step="").exists()


def test_a_receipt_that_lands_while_a_step_is_due_wins(demo_user):
    """The step's claim is a conditional update: a cancelled follow-up is never carried out."""
    alert = banks_alert(demo_user)
    target = recipient(alert, "banks-0002")
    follow_up = FollowUp.objects.get(recipient=target)
    acknowledgements.acknowledge(target, via=AcknowledgementVia.EMAIL_LINK)
    services._run_steps([follow_up.pk], after(alert, 31))
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.CANCELLED
    assert not Delivery.objects.filter(recipient=target).exclude(escalation_step="").exists()
