"""Escalation operations: copy the plan at publication, run due steps, stop when the alert closes, log calls.

`run_due_follow_ups` and `audit_overdue` are periodic jobs of `ceptoar worker`. A step runs only if its
row is still pending when the job claims it (a conditional update on the token's row): an
acknowledgement that cancelled it first wins (`FollowUp.objects.cancel_on_receipt`, called by whatever
confirms receipt), and two workers never run one step twice.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Value
from django.utils import timezone

from ceptoar.agreements import flows
from ceptoar.agreements.models import FlowKind
from ceptoar.alerts.models import Acknowledgement, Alert, Recipient, Status
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.channels.services.fanout import create_contact_deliveries
from ceptoar.channels.services.queue import enqueue_sends
from ceptoar.escalation.models import (
    AlertEscalation,
    Call,
    EscalationPlan,
    FollowUp,
    FollowUpState,
    OverdueReport,
    Step,
    default_plan,
)
from ceptoar.registry.models import ChannelKind, ContactRole, Membership
from ceptoar.utilities.bulk import RandomUuid, insert_from_select

logger = logging.getLogger(__name__)

PHONE_KINDS = (ChannelKind.PHONE, ChannelKind.MOBILE, ChannelKind.SATELLITE_PHONE)
# Whom each step reaches, and the step that follows it.
STEP_ROLES = {Step.BACKUP: (ContactRole.BACKUP,), Step.HEAD: (ContactRole.HEAD,)}
NEXT_STEP = {Step.BACKUP: Step.HEAD, Step.HEAD: Step.CALL_LIST}
STEP_TIME_FIELD = {Step.BACKUP: "backup_after", Step.HEAD: "head_after", Step.CALL_LIST: "call_list_after"}
CLAIM_BATCH = 500


def start(alert: Alert) -> AlertEscalation | None:
    """Copy the sender's plan onto a just-published alert and schedule each recipient's first step.

    Runs inside the publication's transaction. RED alerts go to named people, not organisations: nothing
    to escalate.
    """
    recipients = Recipient.objects.filter(alert=alert)
    if not recipients.exists():
        return None
    plan = EscalationPlan.objects.filter(organisation_id=alert.origin_organisation_id).first()
    times = {name: getattr(plan, name) for name in default_plan()} if plan is not None else default_plan()
    copy = AlertEscalation.objects.create(alert=alert, copied_from=plan, **times)
    due = alert.published_at + copy.backup_after
    insert_from_select(
        FollowUp,
        recipients.order_by("pk"),
        {
            "recipient": F("pk"),
            "step": Value(Step.BACKUP),
            "due_at": Value(due, output_field=DateTimeField()),
            "token": RandomUuid(),
        },
    )
    return copy


def cancel_for_alert(alert: Alert) -> int:
    """The alert is closed: its escalation stops."""
    return FollowUp.objects.filter(recipient__alert=alert).cancel_pending("alert closed")


def run_due_follow_ups(now=None) -> int:
    """Carry out every escalation step that is due; returns how many ran. Safe to run from many workers."""
    now = now or timezone.now()
    ran = 0
    while True:
        with transaction.atomic():
            due = list(
                FollowUp.objects.filter(state=FollowUpState.PENDING, due_at__lte=now)
                .order_by("due_at", "pk")
                .values_list("pk", flat=True)[:CLAIM_BATCH]
            )
            if not due:
                return ran
            ran += _run_steps(due, now)


def _run_steps(follow_up_ids: list[int], now) -> int:
    acknowledged = Acknowledgement.objects.filter(recipient=OuterRef("recipient_id"))
    stale = FollowUp.objects.filter(pk__in=follow_up_ids, state=FollowUpState.PENDING).filter(
        Exists(acknowledged)
        | ~Exists(Alert.objects.filter(pk=OuterRef("recipient__alert_id"), status=Status.PUBLISHED))
    )
    stale.update(state=FollowUpState.CANCELLED, done_at=now, outcome="receipt confirmed or alert closed")
    _cancel_beyond_agreements(follow_up_ids, now)
    # The claim: one conditional update. A row another worker or a receipt changed first is not ours.
    run_id = uuid.uuid4().hex
    FollowUp.objects.filter(pk__in=follow_up_ids, state=FollowUpState.PENDING).update(
        state=FollowUpState.DONE, done_at=now, run_id=run_id
    )
    steps = list(
        FollowUp.objects.filter(run_id=run_id).select_related("recipient__alert__escalation").order_by("pk")
    )
    by_step: dict[str, list[FollowUp]] = defaultdict(list)
    for follow_up in steps:
        by_step[follow_up.step].append(follow_up)
    next_rows = []
    for step, follow_ups in by_step.items():
        if step in STEP_ROLES:
            _send_step(step, follow_ups)
        else:
            FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups]).update(
                outcome="placed on the secretariat's call list"
            )
        if step in NEXT_STEP:
            following = NEXT_STEP[step]
            for follow_up in follow_ups:
                alert = follow_up.recipient.alert
                plan = getattr(alert, "escalation", None)
                name = STEP_TIME_FIELD[following]
                after = getattr(plan, name) if plan else default_plan()[name]
                next_rows.append(
                    FollowUp(
                        recipient_id=follow_up.recipient_id, step=following, due_at=alert.published_at + after
                    )
                )
    FollowUp.objects.bulk_create(next_rows, ignore_conflicts=True)
    return len(steps)


def _cancel_beyond_agreements(follow_up_ids: list[int], now) -> int:
    """Cancel, with the reason recorded, the steps for lateral recipients (a party beyond the sender's chain,
    `alerts.lateral`) whose agreement no longer covers the alert: suspended, revoked, past its end date or
    narrowed. Asked when the step is due, so that ending an agreement stops its escalation at once."""
    sender = "recipient__alert__origin_organisation_id"
    in_chain = Exists(
        Membership.objects.filter(
            ceptoar_id=OuterRef(sender), member_id=OuterRef("recipient__organisation_id")
        )
    )
    rows = list(
        FollowUp.objects.filter(
            pk__in=follow_up_ids,
            state=FollowUpState.PENDING,
            recipient__alert__origin_organisation__kind__in=flows.LATERAL_SENDER_KINDS,
        )
        .exclude(in_chain)
        .exclude(recipient__organisation_id=F(sender))
        .exclude(recipient__organisation__parent_id=F(sender))
        .values_list(
            "pk", sender, "recipient__organisation_id", "recipient__alert__category", "recipient__alert__tlp"
        )
    )
    uncovered: dict[str, list[int]] = defaultdict(list)
    found: dict[tuple[int, int], flows.Flow | None] = {}
    for pk, source_id, receiver_id, category, tlp in rows:
        if (source_id, receiver_id) not in found:
            found[source_id, receiver_id] = flows.flow(source_id, receiver_id)
        flow = found[source_id, receiver_id]
        if flow is None:
            uncovered["cancelled: no agreement in force covers this flow any longer"].append(pk)
        elif not flow.allows(FlowKind.ALERT, category, tlp):
            missing = "; ".join(flow.shortfalls(FlowKind.ALERT, category, tlp))
            uncovered[f"cancelled: the agreement no longer covers {missing}"[:300]].append(pk)
    cancelled = 0
    for outcome, pks in uncovered.items():
        cancelled += FollowUp.objects.filter(pk__in=pks, state=FollowUpState.PENDING).update(
            state=FollowUpState.CANCELLED, done_at=now, outcome=outcome
        )
    return cancelled


def _send_step(step: str, follow_ups: list[FollowUp]) -> None:
    recipients = Recipient.objects.filter(pk__in=[f.recipient_id for f in follow_ups])
    new_ids = create_contact_deliveries(recipients, STEP_ROLES[step], escalation_step=step)
    reached = set(Delivery.objects.filter(pk__in=new_ids).values_list("recipient_id", flat=True))
    for follow_up in follow_ups:
        follow_up.outcome = (
            "sent" if follow_up.recipient_id in reached else "no contact of this role with a sendable channel"
        )
    FollowUp.objects.bulk_update(follow_ups, ["outcome"])
    enqueue_sends(new_ids)


@transaction.atomic
def save_plan(organisation, plan: EscalationPlan) -> EscalationPlan:
    """Save an organisation's standing plan; alerts already published keep the copy they carry."""
    plan.organisation = organisation
    plan.full_clean()
    plan.save()
    return plan


# -- the overdue auditor -------------------------------------------------------------------------

# A step this much past its time means the escalation job is not running; a delivery this old and still
# unsent means the senders are not; a call-list entry this long without a call means no one is calling.
FOLLOW_UP_GRACE = timedelta(minutes=5)
DELIVERY_GRACE = timedelta(minutes=15)
CALL_LIST_GRACE = timedelta(minutes=60)


def audit_overdue(now=None) -> int:
    """Count what is overdue, log it and keep the report; returns the number of overdue items."""
    now = now or timezone.now()
    late_follow_ups = FollowUp.objects.filter(
        state=FollowUpState.PENDING, due_at__lt=now - FOLLOW_UP_GRACE
    ).count()
    stuck = Delivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING], created_at__lt=now - DELIVERY_GRACE
    ).count()
    unanswered = (
        FollowUp.objects.filter(
            step=Step.CALL_LIST,
            state=FollowUpState.DONE,
            done_at__lt=now - CALL_LIST_GRACE,
            recipient__acknowledgement__isnull=True,
            recipient__alert__status=Status.PUBLISHED,
        )
        .exclude(Exists(Call.objects.filter(recipient=OuterRef("recipient_id"))))
        .count()
    )
    report = OverdueReport.objects.create(
        ran_at=now, late_follow_ups=late_follow_ups, stuck_deliveries=stuck, unanswered_call_list=unanswered
    )
    if report.total:
        logger.warning(
            "Overdue: %d escalation steps past due, %d deliveries unsent after %s, %d call-list entries "
            "without a call",
            late_follow_ups,
            stuck,
            DELIVERY_GRACE,
            unanswered,
        )
    # Keep a week of reports: enough to see a pattern, not a growing table.
    OverdueReport.objects.filter(ran_at__lt=now - timedelta(days=7)).delete()
    return report.total
