"""Who may act for a party to an agreement, and who may read the register."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ceptoar.accounts.access import ceptoars_served_by, is_active_member, sees_everything
from ceptoar.accounts.models import Role
from ceptoar.agreements.models import Agreement, AgreementParty
from ceptoar.registry.models import Organisation, OrganisationKind

# The roles that may bind an organisation of each kind to an agreement: its staff, never a member's POC.
_AUTHORISED_ROLES = {
    OrganisationKind.HUB: (Role.HUB_STAFF,),
    OrganisationKind.MINISTRY: (Role.MINISTRY_LIAISON,),
    OrganisationKind.CEPTOAR: (Role.SECRETARIAT, Role.COORDINATOR),
    OrganisationKind.COUNCIL: (Role.SECRETARIAT, Role.COORDINATOR),
    OrganisationKind.RELATED_BODY: (Role.SECRETARIAT, Role.COORDINATOR),
    OrganisationKind.SUBGROUP: (Role.SECRETARIAT, Role.COORDINATOR),
    OrganisationKind.MEMBER: (),
}


def organisations_represented_by(user) -> QuerySet[Organisation]:
    """The organisations `user` may propose, accept or suspend agreements for: its own, where its roles are
    those that bind an organisation of that kind, and the CEPTOARs whose secretariat it runs."""
    if not is_active_member(user):
        return Organisation.objects.none()
    own = user.organisation
    mine = Q(pk__in=[])
    if user.has_role(*_AUTHORISED_ROLES.get(own.kind, ())):
        mine = Q(pk=own.pk)
    return Organisation.objects.filter(mine | Q(pk__in=ceptoars_served_by(user).values("pk")))


def may_act_for(user, organisation: Organisation) -> bool:
    return organisations_represented_by(user).filter(pk=organisation.pk).exists()


def sees_register(user) -> bool:
    """The register of every agreement is the hub's (and the auditors')."""
    return sees_everything(user)


def agreements_visible_to(user) -> QuerySet[Agreement]:
    """The register for the hub; for anyone else, the agreements its organisation (or a CEPTOAR whose
    secretariat it runs) is party to."""
    if sees_register(user):
        return Agreement.objects.all()
    if not is_active_member(user):
        return Agreement.objects.none()
    parties = Q(organisation_id=user.organisation_id) | Q(organisation__in=ceptoars_served_by(user))
    return Agreement.objects.filter(pk__in=AgreementParty.objects.filter(parties).values("agreement_id"))
