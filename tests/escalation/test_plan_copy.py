"""Each alert carries a copy of its sender's escalation plan, made at publication."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ceptoar.alerts.models import Recipient
from ceptoar.escalation import services
from ceptoar.escalation.models import AlertEscalation, EscalationPlan, FollowUp, FollowUpState, Step
from tests.channels.helpers import publish
from tests.escalation.helpers import banks_alert

pytestmark = pytest.mark.django_db


def test_default_plan_is_copied_and_first_step_scheduled_for_every_recipient(demo_user, settings):
    alert = banks_alert(demo_user)
    plan = AlertEscalation.objects.get(alert=alert)
    assert plan.copied_from is None
    assert plan.backup_after == timedelta(minutes=settings.CEPTOAR_ESCALATION_BACKUP_AFTER_MIN)
    assert plan.call_list_after == timedelta(minutes=settings.CEPTOAR_ESCALATION_CALL_LIST_AFTER_MIN)
    recipients = Recipient.objects.filter(alert=alert).count()
    follow_ups = FollowUp.objects.filter(recipient__alert=alert)
    assert recipients > 100
    assert follow_ups.count() == recipients
    assert set(follow_ups.values_list("step", "state", "due_at").distinct()) == {
        (Step.BACKUP, FollowUpState.PENDING, alert.published_at + plan.backup_after)
    }
    assert follow_ups.values("token").distinct().count() == recipients


def test_the_senders_plan_is_copied_and_later_edits_do_not_change_it(demo_user):
    secretariat = demo_user("demo-secretariat")
    own = services.save_plan(
        secretariat.organisation,
        EscalationPlan(
            backup_after=timedelta(minutes=5),
            head_after=timedelta(minutes=10),
            call_list_after=timedelta(minutes=20),
        ),
    )
    alert = banks_alert(demo_user)
    own.backup_after = timedelta(minutes=7)
    services.save_plan(secretariat.organisation, own)
    copy = AlertEscalation.objects.get(alert=alert)
    assert copy.copied_from == own
    assert copy.backup_after == timedelta(minutes=5)
    assert FollowUp.objects.filter(recipient__alert=alert).first().due_at == alert.published_at + timedelta(
        minutes=5
    )


@pytest.mark.parametrize(
    ("backup", "head", "call_list"),
    [(10, 10, 20), (30, 20, 60), (0, 10, 20), (10, 20, 15)],
)
def test_a_plan_whose_times_do_not_grow_is_refused(demo_user, backup, head, call_list):
    organisation = demo_user("demo-secretariat").organisation
    with pytest.raises(ValidationError):
        services.save_plan(
            organisation,
            EscalationPlan(
                backup_after=timedelta(minutes=backup),
                head_after=timedelta(minutes=head),
                call_list_after=timedelta(minutes=call_list),
            ),
        )
    assert not EscalationPlan.objects.filter(organisation=organisation).exists()


def test_red_alerts_to_named_people_have_no_escalation(demo_user):
    alert = publish(demo_user("demo-hub"), tlp="red", people=["demo-ministry"])
    assert not AlertEscalation.objects.filter(alert=alert).exists()
    assert not FollowUp.objects.filter(recipient__alert=alert).exists()
