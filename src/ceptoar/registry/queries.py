"""Read-only questions on the registry: who lacks an emergency point of contact, which contacts are stale,
which handling rules are in force and who has not accepted them, how alerts reach members. Views, the
admin, the importer and other areas ask these; nothing here writes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from ceptoar.registry.models import (
    POC_ROLES,
    ChannelKind,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    OrganisationKind,
    RulesAcceptance,
)

# Organisations that the seeds require to keep an emergency point of contact (and anyone holding a membership).
POC_REQUIRED_KINDS = (OrganisationKind.CEPTOAR, OrganisationKind.MEMBER)


def _reachable_poc():
    return Contact.objects.filter(organisation=OuterRef("pk"), role__in=POC_ROLES, is_active=True).filter(
        Exists(ContactChannel.objects.filter(contact=OuterRef("pk")))
    )


def organisations_lacking_poc(organisations: QuerySet[Organisation] | None = None) -> QuerySet[Organisation]:
    """CEPTOARs and members with no active primary POC or 24/7 desk that has at least one channel."""
    organisations = Organisation.objects.all() if organisations is None else organisations
    return organisations.filter(
        Q(kind__in=POC_REQUIRED_KINDS) | Exists(Membership.objects.filter(member=OuterRef("pk")))
    ).exclude(Exists(_reachable_poc()))


def stale_contacts(
    contacts: QuerySet[Contact], days: int, today: datetime.date | None = None
) -> QuerySet[Contact]:
    """Active contacts not verified within `days` days (or never), or flagged for verification again."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=days)
    return contacts.filter(is_active=True).filter(
        Q(last_verified_on__lt=cutoff)
        | Q(last_verified_on=None)
        | Q(reverification_requested_at__isnull=False)
    )


def current_rules(ceptoar: Organisation, today: datetime.date | None = None) -> HandlingRules | None:
    """The newest version of a CEPTOAR's handling rules that is already in force."""
    today = today or timezone.localdate()
    return ceptoar.handling_rules.filter(enacted_on__lte=today).order_by("-version").first()


def current_rules_subquery(ceptoar_ref: str = "ceptoar_id", today: datetime.date | None = None):
    today = today or timezone.localdate()
    return Subquery(
        HandlingRules.objects.filter(ceptoar_id=OuterRef(ceptoar_ref), enacted_on__lte=today)
        .order_by("-version")
        .values("pk")[:1]
    )


def _without_current_acceptance(
    rows: QuerySet, owner: str, party: str, today: datetime.date | None
) -> QuerySet:
    """`rows` (memberships or seats) whose `party` has not accepted the rules now in force at their `owner`."""
    current = current_rules_subquery(owner, today)
    accepted = RulesAcceptance.objects.filter(
        organisation=OuterRef(party), rules_id=OuterRef("current_rules_id")
    )
    return rows.annotate(current_rules_id=current).exclude(current_rules_id=None).exclude(Exists(accepted))


def memberships_without_current_acceptance(
    memberships: QuerySet[Membership] | None = None, today: datetime.date | None = None
) -> QuerySet[Membership]:
    """Memberships whose member has not accepted the rules now in force at that CEPTOAR."""
    memberships = Membership.objects.all() if memberships is None else memberships
    return _without_current_acceptance(memberships, "ceptoar_id", "member_id", today)


def seats_without_current_acceptance(
    seats: QuerySet[CouncilSeat] | None = None, today: datetime.date | None = None
) -> QuerySet[CouncilSeat]:
    """Council seats whose CEPTOAR has not accepted the council's rules now in force. The sharing policy
    does not ask this (councils' sharing is counted elsewhere); the freshness and rules pages do."""
    seats = CouncilSeat.objects.all() if seats is None else seats
    return _without_current_acceptance(seats, "council_id", "ceptoar_id", today)


def latest_rules(owner: Organisation) -> HandlingRules | None:
    """The newest version published, in force or still to come (members may accept it ahead of its date)."""
    return owner.handling_rules.order_by("-version").first()


def organisations_bound_by_rules_of(owner: Organisation) -> QuerySet[Organisation]:
    """Who accepts the rules of `owner`: a CEPTOAR's members, a council's seated CEPTOARs."""
    if owner.kind == OrganisationKind.COUNCIL:
        return Organisation.objects.filter(pk__in=owner.council_seats.values("ceptoar_id"))
    return Organisation.objects.filter(pk__in=owner.member_links.values("member_id"))


def poc_email_addresses(organisations: QuerySet[Organisation]) -> list[str]:
    """The e-mail addresses of the active emergency points of contact (primary POC, 24/7 desk) of these
    organisations: where a notice that asks an organisation to act is sent."""
    return list(
        ContactChannel.objects.filter(
            kind=ChannelKind.EMAIL,
            contact__is_active=True,
            contact__role__in=POC_ROLES,
            contact__organisation__in=organisations,
        )
        .order_by("value")
        .values_list("value", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class RelayPath:
    ceptoar_id: int
    via_id: int | None
    member_id: int


def relay_paths(ceptoar: Organisation) -> list[RelayPath]:
    """How an alert from this CEPTOAR reaches each member: directly or through one sub-group."""
    return [
        RelayPath(ceptoar.pk, via_id, member_id)
        for via_id, member_id in ceptoar.member_links.values_list("via_id", "member_id")
    ]


def next_contact_position(organisation: Organisation) -> int:
    last = organisation.contacts.aggregate(last=Max("position"))["last"]
    return (last or 0) + 1


def ceptoar_family(ceptoar: Organisation) -> QuerySet[Organisation]:
    """What an audience of this one CEPTOAR expands to: the CEPTOAR, its sub-groups and its members."""
    return Organisation.objects.filter(
        Q(pk=ceptoar.pk)
        | Q(parent_id=ceptoar.pk)
        | Q(pk__in=Membership.objects.filter(ceptoar_id=ceptoar.pk).values("member_id"))
    )
