"""Helpers for the exercise tests: exercises planned, started and fed through the exercises' own services,
as an organiser's pages do."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.exercises.models import Exercise
from ceptoar.exercises.services import planning, running
from ceptoar.exercises.services.injects import send_inject


def plan(
    user, *, name="銀行等セプター 情報共有訓練", kind="ceptoar_drill", injects=1, **participants
) -> Exercise:
    """An exercise starting a minute ago with `injects` injects due now, not yet started."""
    now = timezone.now()
    exercise = planning.create_exercise(
        user,
        name=name,
        kind=kind,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=4),
        participants=AudienceSpec(**participants),
    )
    for number in range(injects):
        planning.add_inject(
            exercise,
            user,
            title=f"不正送金マルウェアの検知（想定{number + 1}）",
            body="訓練用の想定情報です。",
            category="malware",
            severity="high",
            tlp="amber",
            scheduled_at=now - timedelta(seconds=30 - number),
        )
    return exercise


def run(user, **kwargs) -> Exercise:
    """Plan, start and send every inject now."""
    exercise = plan(user, **kwargs)
    running.start(exercise, user)
    for inject in exercise.injects.all():
        send_inject(inject, user)
    exercise.refresh_from_db()
    return exercise


# The five banks of the drill whose every answer the measures tests set.
DRILL_BANKS = [f"banks-{n:04d}" for n in range(1, 6)]


def phone_of(organisation):
    from ceptoar.registry.models import ChannelKind, ContactChannel

    return ContactChannel.objects.filter(
        contact__organisation=organisation, kind=ChannelKind.PHONE, contact__is_active=True
    ).first()


def five_bank_drill(secretariat):
    """A drill of five banks whose answers are set here: 0001 and 0002 confirm within a minute or two, 0003
    after the backup contacts were sent to (late), 0004's number proves wrong and 0005 does not answer the
    phone. Returns the exercise, with `by_code` (the recipients) and `wrong_channel` on it."""
    from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Recipient
    from ceptoar.alerts.services.acknowledgements import acknowledge
    from ceptoar.channels.models import Delivery, DeliveryStatus
    from ceptoar.escalation.calls import log_call
    from ceptoar.escalation.models import CallOutcome
    from ceptoar.escalation.services import run_due_follow_ups

    def ack(recipient, at) -> None:
        acknowledge(recipient, via=AcknowledgementVia.PORTAL)
        Acknowledgement.objects.filter(recipient=recipient).update(acknowledged_at=at)

    exercise = run(secretariat, organisations=DRILL_BANKS)
    alert = exercise.injects.get().alert
    start = alert.published_at
    by_code = {
        r.organisation.code: r for r in Recipient.objects.filter(alert=alert).select_related("organisation")
    }
    for number, code in enumerate(DRILL_BANKS, start=1):
        Delivery.objects.filter(recipient=by_code[code], escalation_step="").update(
            status=DeliveryStatus.SENT, sent_at=start + timedelta(seconds=10 * number)
        )
    ack(by_code["banks-0001"], start + timedelta(seconds=60))
    ack(by_code["banks-0002"], start + timedelta(seconds=120))
    run_due_follow_ups(now=start + timedelta(minutes=31))
    ack(by_code["banks-0003"], start + timedelta(minutes=45))
    run_due_follow_ups(now=start + timedelta(minutes=61))
    run_due_follow_ups(now=start + timedelta(minutes=121))
    wrong = phone_of(by_code["banks-0004"].organisation)
    log_call(secretariat, by_code["banks-0004"].pk, wrong.pk, "", CallOutcome.WRONG_NUMBER)
    silent = by_code["banks-0005"]
    log_call(secretariat, silent.pk, phone_of(silent.organisation).pk, "", CallOutcome.NO_ANSWER)
    exercise.by_code, exercise.wrong_channel = by_code, wrong
    return exercise
