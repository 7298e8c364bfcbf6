"""An exercise's life: the schedule starts it, sends its injects on time and ends it; ending closes its
alerts, keeps the final measures and flags in the registry the contacts it found wanting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ceptoar.alerts.models import Alert, Recipient, Status
from ceptoar.escalation.models import FollowUp, FollowUpState
from ceptoar.exercises import participants
from ceptoar.exercises.models import Exercise, ExerciseStatus, Participant, ParticipantRole
from ceptoar.exercises.services import planning, running, schedule
from ceptoar.registry.models import Contact
from ceptoar.registry.queries import stale_contacts
from ceptoar.registry.services.verification import mark_contact_verified
from tests.exercises.support import plan, run

pytestmark = pytest.mark.django_db

CODES = ["banks-0001", "banks-0002", "banks-0003"]


def test_the_schedule_starts_feeds_and_ends_an_exercise(demo_user):
    secretariat = demo_user("demo-secretariat")
    exercise = plan(secretariat, organisations=CODES)
    later = planning.add_inject(
        exercise,
        secretariat,
        title="続報",
        body="",
        category="malware",
        severity="high",
        tlp="green",
        scheduled_at=timezone.now() + timedelta(hours=1),
    )
    now = timezone.now()
    assert schedule.run_due(now) == 2  # started, first inject sent
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.RUNNING
    assert set(Participant.objects.filter(exercise=exercise).values_list("organisation__code", "role")) == {
        *((code, ParticipantRole.PARTICIPANT) for code in CODES),
        ("banks", ParticipantRole.ORGANISER),
    }
    assert schedule.run_due(now) == 0, "a second run at the same time does nothing twice"
    later.refresh_from_db()
    assert later.alert is None
    assert schedule.run_due(now + timedelta(hours=1, seconds=1)) == 1
    later.refresh_from_db()
    assert later.alert is not None and later.alert.exercise_id == exercise.pk
    assert schedule.run_due(exercise.ends_at + timedelta(seconds=1)) == 1
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.FINISHED and exercise.final_measures["final"] is True
    assert not Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED).exists()
    assert not FollowUp.objects.filter(
        recipient__alert__exercise=exercise, state=FollowUpState.PENDING
    ).exists(), "ending the exercise stops its escalation"


def test_an_inject_whose_author_can_no_longer_send_records_why(demo_user):
    secretariat = demo_user("demo-secretariat")
    exercise = plan(secretariat, organisations=CODES)
    running.start(exercise, secretariat)
    inject = exercise.injects.get()
    # The author has left: the account is deactivated before the inject's time comes.
    type(secretariat).objects.filter(pk=secretariat.pk).update(is_active=False)
    schedule.run_due()
    inject.refresh_from_db()
    assert inject.alert is None and inject.error
    assert not Alert.objects.filter(exercise=exercise).exists()


def test_finishing_flags_the_contacts_of_organisations_that_never_confirmed(demo_user):
    from ceptoar.alerts.services.acknowledgements import acknowledge

    secretariat = demo_user("demo-secretariat")
    exercise = run(secretariat, name="秋季訓練", organisations=CODES)
    alert = exercise.injects.get().alert
    acknowledge(Recipient.objects.get(alert=alert, organisation__code="banks-0001"), via="portal")
    running.finish(exercise, secretariat)
    exercise.refresh_from_db()
    flagged = Contact.objects.filter(reverification_requested_at__isnull=False)
    assert set(flagged.values_list("organisation__code", flat=True)) == {"banks-0002", "banks-0003"}
    assert all("秋季訓練" in reason for reason in flagged.values_list("reverification_reason", flat=True))
    assert exercise.final_measures["flagged_contacts"] == flagged.count()
    assert exercise.final_measures["confirmed_rate"] == round(1 / 3, 4)
    # On the freshness page until verified; verifying clears the flag.
    contact = flagged.first()
    assert stale_contacts(Contact.objects.filter(pk=contact.pk), days=3650).exists()
    mark_contact_verified(contact)
    contact.refresh_from_db()
    assert contact.reverification_requested_at is None and contact.reverification_reason == ""
    assert not stale_contacts(Contact.objects.filter(pk=contact.pk), days=3650).exists()


def test_only_the_organiser_runs_it_and_only_in_order(demo_user):
    secretariat = demo_user("demo-secretariat")
    exercise = plan(secretariat, organisations=CODES)
    with pytest.raises(PermissionDenied):
        running.start(exercise, demo_user("demo-member"))
    with pytest.raises(ValidationError):
        running.finish(exercise, secretariat)  # not started
    running.start(exercise, secretariat)
    with pytest.raises(ValidationError):
        running.start(exercise, secretariat)
    with pytest.raises(ValidationError) as refused:
        planning.update_exercise(
            exercise,
            secretariat,
            name="x",
            kind="ceptoar_drill",
            starts_at=exercise.starts_at,
            ends_at=exercise.ends_at,
            participants=participants.participant_spec(exercise),
        )
    assert "status" in refused.value.message_dict


def test_bad_plans_are_refused_and_nothing_is_stored(demo_user):
    from ceptoar.alerts.services.audience import AudienceSpec

    secretariat = demo_user("demo-secretariat")
    now = timezone.now()
    before = Exercise.objects.count()
    window = {"starts_at": now, "ends_at": now + timedelta(hours=1)}
    with pytest.raises(ValidationError) as outside:
        planning.create_exercise(
            secretariat,
            name="x",
            kind="ceptoar_drill",
            participants=AudienceSpec(organisations=["water-0001"]),
            **window,
        )
    assert "participants" in outside.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        planning.create_exercise(
            secretariat,
            name="x",
            kind="ceptoar_drill",
            participants=AudienceSpec(organisations=["nope-9"]),
            **window,
        )
    assert "nope-9" in str(unknown.value)
    with pytest.raises(ValidationError) as backwards:
        planning.create_exercise(
            secretariat,
            name="x",
            kind="ceptoar_drill",
            participants=AudienceSpec(organisations=CODES),
            starts_at=now,
            ends_at=now - timedelta(hours=1),
        )
    assert "ends_at" in backwards.value.message_dict
    with pytest.raises(PermissionDenied):
        planning.create_exercise(
            demo_user("demo-member"),
            name="x",
            kind="ceptoar_drill",
            participants=AudienceSpec(organisations=CODES),
            **window,
        )
    assert Exercise.objects.count() == before
    exercise = plan(secretariat, organisations=CODES, injects=0)
    with pytest.raises(ValidationError) as late:
        planning.add_inject(
            exercise,
            secretariat,
            title="x",
            body="",
            category="malware",
            severity="high",
            tlp="green",
            scheduled_at=exercise.ends_at + timedelta(minutes=1),
        )
    assert "scheduled_at" in late.value.message_dict
    assert not exercise.injects.exists()
