"""Who an exercise concerns: its participants as the alert form names them, who its injects may reach, and
the last finished exercise with the same participants. Read-only; the services check plans with it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ceptoar.alerts import hops
from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.exercises.models import Exercise, ExerciseStatus, ParticipantRole
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Oversight
from ceptoar.registry.queries import ceptoar_family
from ceptoar.sharing import policy


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
    return ceptoar_family(organiser)


def check_participants(organiser: Organisation, spec: AudienceSpec) -> None:
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
