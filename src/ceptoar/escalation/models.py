"""Escalation (エスカレーション): what happens when a recipient organisation does not confirm receipt.

An organisation keeps a standing plan; each alert it publishes carries a copy, so later edits to the plan
never change what was promised for alerts already out. Every scheduled step is a FollowUp row with its own
token: an acknowledgement cancels the pending ones, and a step runs only if it is still pending.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.models import FANOUT_FK
from ceptoar.utilities.prepared import PreparedUpdate


def default_plan() -> dict[str, timedelta]:
    return {
        "backup_after": timedelta(minutes=settings.CEPTOAR_ESCALATION_BACKUP_AFTER_MIN),
        "head_after": timedelta(minutes=settings.CEPTOAR_ESCALATION_HEAD_AFTER_MIN),
        "call_list_after": timedelta(minutes=settings.CEPTOAR_ESCALATION_CALL_LIST_AFTER_MIN),
    }


class PlanTimes(models.Model):
    """T1, T2 and T3, counted from publication."""

    backup_after = models.DurationField(_("backup contacts after (T1)"))
    head_after = models.DurationField(_("the head after (T2)"))
    call_list_after = models.DurationField(_("onto the call list after (T3)"))

    class Meta:
        abstract = True

    def clean(self) -> None:
        times = [self.backup_after, self.head_after, self.call_list_after]
        if any(t is None for t in times):
            return
        if any(t <= timedelta(0) for t in times):
            raise ValidationError(_("Each escalation time must be longer than zero."))
        if not (self.backup_after < self.head_after < self.call_list_after):
            raise ValidationError(
                _("The times must grow: backup contacts first, then the head, then the call list.")
            )


class EscalationPlan(PlanTimes):
    """An organisation's standing plan for the alerts it sends (or relays)."""

    organisation = models.OneToOneField(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="escalation_plan",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("escalation plan")
        verbose_name_plural = _("escalation plans")

    def __str__(self) -> str:
        return str(self.organisation)


class AlertEscalation(PlanTimes):
    """The plan as it stood when the alert was published."""

    alert = models.OneToOneField(
        "alerts.Alert", verbose_name=_("alert"), on_delete=models.CASCADE, related_name="escalation"
    )
    copied_from = models.ForeignKey(
        EscalationPlan,
        verbose_name=_("copied from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("escalation plan of an alert")
        verbose_name_plural = _("escalation plans of alerts")

    def __str__(self) -> str:
        return str(self.alert)


class Step(models.TextChoices):
    BACKUP = "backup", _("Backup contacts")
    HEAD = "head", _("Head")
    CALL_LIST = "call_list", _("Call list")


class FollowUpState(models.TextChoices):
    PENDING = "pending", _("Scheduled")
    DONE = "done", _("Carried out")
    CANCELLED = "cancelled", _("Cancelled (receipt confirmed or alert closed)")


class FollowUpQuerySet(models.QuerySet):
    def pending(self) -> FollowUpQuerySet:
        return self.filter(state=FollowUpState.PENDING)

    def cancel_pending(self, outcome: str) -> int:
        """Cancel the steps among these still waiting to run; returns how many. A method of the rows rather
        than of the escalation services, so that what confirms receipt or closes an alert (below escalation
        in the layer order) stops the escalation without importing the code that runs it."""
        return self.pending().update(state=FollowUpState.CANCELLED, done_at=timezone.now(), outcome=outcome)


class FollowUpManager(models.Manager.from_queryset(FollowUpQuerySet)):
    def cancel_on_receipt(self, recipient_id: int) -> int:
        """Receipt is confirmed: nothing more is sent to this organisation for this alert. Run on every
        acknowledgement, thousands a minute after an alert: its SQL is built once (`_CANCEL_ON_RECEIPT`)."""
        return _CANCEL_ON_RECEIPT.run(recipient_id)


class FollowUp(models.Model):
    """One scheduled escalation step for one recipient organisation."""

    recipient = models.ForeignKey(
        "alerts.Recipient",
        verbose_name=_("recipient organisation"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
        **FANOUT_FK,
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    due_at = models.DateTimeField(_("due at"))
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=20, choices=FollowUpState.choices, default=FollowUpState.PENDING
    )
    done_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    # Which run of the escalation job carried it out: the claim two workers cannot both win.
    run_id = models.CharField(_("run"), max_length=32, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)

    objects = FollowUpManager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "step"], name="one_follow_up_per_step"),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["step", "state"], condition=Q(step="call_list"), name="call_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_step_display()} {self.get_state_display()}"


_CANCEL_ON_RECEIPT = PreparedUpdate(
    lambda recipient_id: FollowUp.objects.filter(recipient_id=recipient_id).pending(),
    state=FollowUpState.CANCELLED,
    done_at=Now(),
    outcome="receipt confirmed",
)


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached; receipt confirmed by phone")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class Call(models.Model):
    """A call made from the call list, with its outcome (架電記録)."""

    recipient = models.ForeignKey(
        "alerts.Recipient",
        verbose_name=_("recipient organisation"),
        on_delete=models.CASCADE,
        related_name="calls",
    )
    channel = models.ForeignKey(
        "registry.ContactChannel",
        verbose_name=_("number called"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as dialled: the registry's number may be corrected afterwards.
    number = models.CharField(_("number"), max_length=100)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("called by"), on_delete=models.PROTECT, related_name="+"
    )
    called_at = models.DateTimeField(_("called at"), default=timezone.now)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-called_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "called_at"])]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.number} {self.get_outcome_display()}"


class OverdueReport(models.Model):
    """What the overdue auditor found on one run, kept so the secretariat and operators can see it."""

    ran_at = models.DateTimeField(_("ran at"), default=timezone.now, db_index=True)
    late_follow_ups = models.PositiveIntegerField(_("escalation steps past due"))
    stuck_deliveries = models.PositiveIntegerField(_("deliveries not sent in time"))
    unanswered_call_list = models.PositiveIntegerField(_("call-list entries without a call"))

    class Meta:
        verbose_name = _("overdue report")
        verbose_name_plural = _("overdue reports")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return self.late_follow_ups + self.stuck_deliveries + self.unanswered_call_list
