"""Exercise operations: plan, start, send injects, finish. Each is one transaction; the periodic job
`run_due` starts, feeds and ends exercises on their schedule.

An exercise's injects go out through `alerts.services` like any alert, marked 【訓練/EXERCISE】, and every
relay of them carries the exercise too (`Alert.exercise`). Who they reach is fixed when the exercise
starts (`Participant`): the participants and the organisations relaying to them, no one else.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ceptoar.alerts import hops
from ceptoar.alerts.models import Alert, Status
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.escalation import services as escalation
from ceptoar.exercises import access, measures
from ceptoar.exercises.models import (
    MARK,
    Exercise,
    ExerciseStatus,
    Inject,
    Participant,
    ParticipantRole,
)
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Oversight
from ceptoar.sharing import policy

logger = logging.getLogger(__name__)


# -- participants ---------------------------------------------------------------------------------


def participant_spec(exercise: Exercise) -> AudienceSpec:
    audience = exercise.participants
    return AudienceSpec(
        sectors=list(audience.sectors.values_list("code", flat=True)),
        ceptoars=list(audience.ceptoars.values_list("code", flat=True)),
        organisations=list(audience.organisations.values_list("code", flat=True)),
    )


def _organiser_reach(organiser: Organisation) -> QuerySet[Organisation] | None:
    """What the organiser's alerts can reach down the chain (None: everything, for the hub)."""
    if organiser.kind == OrganisationKind.HUB:
        return None
    if organiser.kind == OrganisationKind.MINISTRY:
        ceptoars = Organisation.objects.filter(overseen_by__ministry=organiser)
        return Organisation.objects.filter(
            Q(pk__in=ceptoars.values("pk"))
            | Q(parent__in=ceptoars.values("pk"))
            | Q(pk__in=Membership.objects.filter(ceptoar__in=ceptoars.values("pk")).values("member_id"))
        )
    return policy.ceptoar_family(organiser)


def _check_participants(organiser: Organisation, spec: AudienceSpec) -> None:
    if spec.community or spec.people or spec.subgroups:
        raise ValidationError({"participants": _("Name participants by sector, CEPTOAR or organisation.")})
    if spec.is_empty():
        raise ValidationError({"participants": _("Choose who takes part in the exercise.")})
    reach = _organiser_reach(organiser)
    if reach is None:
        return
    # Resolve through a throw-away audience so that unknown codes get the alert form's own message.
    with transaction.atomic():
        audience = build_audience(spec, "green")
        beyond = policy.audience_organisations(audience).exclude(pk__in=reach.values("pk"))
        names = list(beyond.order_by("code").values_list("name", flat=True)[:6])
        transaction.set_rollback(True)
    if names:
        raise ValidationError(
            {
                "participants": _(
                    "%(organiser)s does not send alerts to all of these participants: %(names)s."
                )
                % {
                    "organiser": organiser.name,
                    "names": ", ".join(names[:5]) + (" …" if len(names) > 5 else ""),
                }
            }
        )


def reach(exercise: Exercise) -> dict[int, str]:
    """Organisation id → role, for everyone the exercise may reach: the participants, the organiser and the
    organisations on the chain between them (ministries, CEPTOARs, relay sub-groups)."""
    organiser = exercise.organiser
    participants = policy.audience_organisations(exercise.participants)
    roles = {pk: ParticipantRole.PARTICIPANT for pk in participants.values_list("pk", flat=True)}
    relays: set[int] = set()
    if organiser.kind in (OrganisationKind.HUB, OrganisationKind.MINISTRY):
        touched = hops.ceptoars_touched(participants)
        if organiser.kind == OrganisationKind.MINISTRY:
            touched = touched.filter(overseen_by__ministry=organiser)
        ceptoar_ids = set(touched.values_list("pk", flat=True))
        relays |= ceptoar_ids
        if organiser.kind == OrganisationKind.HUB:
            relays |= set(
                Oversight.objects.filter(ceptoar_id__in=ceptoar_ids).values_list("ministry_id", flat=True)
            )
    else:
        ceptoar_ids = {organiser.pk}
    relays |= set(
        Membership.objects.filter(ceptoar_id__in=ceptoar_ids, member__in=participants.values("pk"))
        .exclude(via=None)
        .values_list("via_id", flat=True)
    )
    for pk in relays:
        roles.setdefault(pk, ParticipantRole.RELAY)
    roles[organiser.pk] = ParticipantRole.ORGANISER
    return roles


# -- the plan -------------------------------------------------------------------------------------


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The exercise must end after it starts.")})


@transaction.atomic
def create_exercise(
    user,
    *,
    name: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    participants: AudienceSpec,
    description: str = "",
) -> Exercise:
    if not access.can_organise(user):
        raise PermissionDenied(
            _("Only a CEPTOAR secretariat, a sector ministry or the hub organises exercises.")
        )
    _check_window(starts_at, ends_at)
    _check_participants(user.organisation, participants)
    exercise = Exercise(
        name=name,
        kind=kind,
        description=description,
        organiser=user.organisation,
        created_by=user,
        participants=build_audience(participants, "green"),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    exercise.full_clean()
    exercise.save()
    return exercise


def _planned(exercise: Exercise, user) -> Exercise:
    exercise = Exercise.objects.select_for_update().select_related("organiser").get(pk=exercise.pk)
    if not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser changes this exercise."))
    if exercise.status != ExerciseStatus.PLANNED:
        raise ValidationError({"status": _("An exercise that has started can no longer be changed.")})
    return exercise


@transaction.atomic
def update_exercise(
    exercise: Exercise,
    user,
    *,
    name: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    participants: AudienceSpec,
    description: str = "",
) -> Exercise:
    exercise = _planned(exercise, user)
    _check_window(starts_at, ends_at)
    _check_participants(exercise.organiser, participants)
    old_audience = exercise.participants
    exercise.name, exercise.kind, exercise.description = name, kind, description
    exercise.starts_at, exercise.ends_at = starts_at, ends_at
    exercise.participants = build_audience(participants, "green")
    exercise.full_clean()
    exercise.save()
    old_audience.delete()
    return exercise


def _check_inject_time(exercise: Exercise, scheduled_at: datetime) -> None:
    if not exercise.starts_at <= scheduled_at < exercise.ends_at:
        raise ValidationError({"scheduled_at": _("An inject is sent within the exercise's time window.")})


@transaction.atomic
def add_inject(exercise: Exercise, user, **fields) -> Inject:
    exercise = _planned(exercise, user)
    _check_inject_time(exercise, fields["scheduled_at"])
    inject = Inject(exercise=exercise, created_by=user, **fields)
    inject.full_clean()
    inject.save()
    return inject


@transaction.atomic
def update_inject(inject: Inject, user, **fields) -> Inject:
    exercise = _planned(inject.exercise, user)
    _check_inject_time(exercise, fields["scheduled_at"])
    inject = Inject.objects.select_for_update().get(pk=inject.pk)
    for name, value in fields.items():
        setattr(inject, name, value)
    inject.full_clean()
    inject.save()
    return inject


@transaction.atomic
def delete_inject(inject: Inject, user) -> None:
    _planned(inject.exercise, user)
    inject.delete()


# -- running --------------------------------------------------------------------------------------


@transaction.atomic
def start(exercise: Exercise, user=None, now: datetime | None = None) -> Exercise:
    """Fix who the exercise reaches and open it; injects then go out as their times come (`run_due`).
    `user` is None when the schedule starts it."""
    now = now or timezone.now()
    exercise = Exercise.objects.select_for_update().select_related("organiser").get(pk=exercise.pk)
    if user is not None and not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser starts this exercise."))
    if exercise.status != ExerciseStatus.PLANNED:
        raise ValidationError({"status": _("This exercise has already started.")})
    Participant.objects.bulk_create(
        Participant(exercise=exercise, organisation_id=pk, role=role) for pk, role in reach(exercise).items()
    )
    exercise.status, exercise.started_at = ExerciseStatus.RUNNING, now
    exercise.save(update_fields=["status", "started_at"])
    return exercise


def _marked_body(body: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        notice = _("This is an exercise, not a real incident. Confirm receipt as you would for a real alert.")
    return f"**{MARK}** {notice}\n\n{body.strip()}\n\n**{MARK}**"


def send_inject(inject: Inject, user=None, now: datetime | None = None) -> Inject:
    """Send one inject now, as an alert of its author to the exercise's participants. A failure (the author
    can no longer send alerts, say) is recorded on the inject rather than retried."""
    with transaction.atomic():
        inject = (
            Inject.objects.select_for_update()
            .select_related("exercise__organiser", "created_by")
            .get(pk=inject.pk)
        )
        exercise = inject.exercise
        if user is not None and not access.can_manage(user, exercise):
            raise PermissionDenied(_("Only the organiser sends this exercise's injects."))
        if exercise.status != ExerciseStatus.RUNNING:
            raise ValidationError({"status": _("Injects are sent while the exercise is running.")})
        if inject.alert_id is not None:
            raise ValidationError({"alert": _("This inject has already been sent.")})
        try:
            with transaction.atomic():
                alert = drafts.create_draft(
                    inject.created_by,
                    title=f"{MARK}{inject.title}",
                    body=_marked_body(inject.body),
                    category=inject.category,
                    severity=inject.severity,
                    tlp=inject.tlp,
                    audience=participant_spec(exercise),
                    exercise=exercise,
                )
                alert = publication.submit(alert, inject.created_by)
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            inject.error = " ".join(messages) or _("The inject could not be sent.")
            inject.save(update_fields=["error"])
            logger.warning("Exercise %s: inject %s not sent: %s", exercise.pk, inject.pk, inject.error)
            return inject
        inject.alert, inject.sent_at, inject.error = alert, now or timezone.now(), ""
        inject.save(update_fields=["alert", "sent_at", "error"])
    return inject


@transaction.atomic
def finish(exercise: Exercise, user=None, now: datetime | None = None) -> Exercise:
    """End the exercise: its alerts close (escalation stops), the final measures are kept, and the
    contacts it found wanting are flagged in the registry for verification."""
    now = now or timezone.now()
    exercise = Exercise.objects.select_for_update().select_related("organiser").get(pk=exercise.pk)
    if user is not None and not access.can_manage(user, exercise):
        raise PermissionDenied(_("Only the organiser ends this exercise."))
    if exercise.status != ExerciseStatus.RUNNING:
        raise ValidationError({"status": _("Only a running exercise can be ended.")})
    exercise.status, exercise.finished_at = ExerciseStatus.FINISHED, now
    flagged = measures.flag_findings(exercise, now)
    final = measures.compute(exercise, now=now)
    final["flagged_contacts"] = flagged
    exercise.final_measures = final
    exercise.save(update_fields=["status", "finished_at", "final_measures"])
    for alert in Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED):
        escalation.cancel_for_alert(alert)
    Alert.objects.filter(exercise=exercise, status=Status.PUBLISHED).update(
        status=Status.CLOSED, closed_at=now, updated_at=now
    )
    return exercise


def run_due(now: datetime | None = None) -> int:
    """The periodic job: start exercises whose time has come, send their due injects, end those whose time
    is over. Returns how many of these things it did. Safe to run from several workers."""
    now = now or timezone.now()
    done = 0
    for exercise in Exercise.objects.filter(
        status=ExerciseStatus.PLANNED, starts_at__lte=now, ends_at__gt=now
    ):
        try:
            start(exercise, now=now)
            done += 1
        except ValidationError:  # another worker started it first
            continue
    due = Inject.objects.filter(
        exercise__status=ExerciseStatus.RUNNING, alert=None, error="", scheduled_at__lte=now
    ).order_by("scheduled_at", "pk")
    for inject in due:
        try:
            send_inject(inject, now=now)
            done += 1
        except ValidationError:  # sent by another worker meanwhile
            continue
    for exercise in Exercise.objects.filter(status=ExerciseStatus.RUNNING, ends_at__lte=now):
        try:
            finish(exercise, now=now)
            done += 1
        except ValidationError:
            continue
    return done


def previous_exercise(exercise: Exercise) -> Exercise | None:
    """The last finished exercise before this one with the same participants (by the sectors, CEPTOARs and
    organisations named), whoever organised it."""
    spec = participant_spec(exercise)
    key = (sorted(spec.sectors), sorted(spec.ceptoars), sorted(spec.organisations))
    earlier = (
        Exercise.objects.filter(status=ExerciseStatus.FINISHED, starts_at__lt=exercise.starts_at)
        .exclude(pk=exercise.pk)
        .order_by("-starts_at", "-pk")
    )
    for candidate in earlier.iterator():
        other = participant_spec(candidate)
        if (sorted(other.sectors), sorted(other.ceptoars), sorted(other.organisations)) == key:
            return candidate
    return None
