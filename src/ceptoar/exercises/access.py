"""Who may organise an exercise and who may follow one. What an exercise sends is still seen under
`sharing.policy`; these checks open the exercise pages only."""

from __future__ import annotations

from django.db.models import QuerySet

from ceptoar.accounts.access import can_send_alerts, is_active_member
from ceptoar.registry.models import OrganisationKind

ORGANISER_KINDS = (OrganisationKind.HUB, OrganisationKind.MINISTRY, OrganisationKind.CEPTOAR)


def can_organise(user) -> bool:
    """A CEPTOAR secretariat, a sector ministry or the hub, in the person of someone who may send alerts
    (an exercise's injects go out as that person's alerts)."""
    return can_send_alerts(user) and user.organisation.kind in ORGANISER_KINDS


def visible_exercises(user, queryset: QuerySet | None = None) -> QuerySet:
    """The exercises whose pages `user` may open: those its organisation organises. Participants see the
    exercise's alerts in their inbox like any alert, marked as an exercise."""
    from ceptoar.exercises.models import Exercise

    queryset = Exercise.objects.all() if queryset is None else queryset
    if not is_active_member(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(organiser_id=user.organisation_id)


def can_view(user, exercise) -> bool:
    return visible_exercises(user).filter(pk=exercise.pk).exists()


def can_manage(user, exercise) -> bool:
    """Change the plan, start, end: the organiser's people who may organise exercises."""
    return can_organise(user) and exercise.organiser_id == user.organisation_id
