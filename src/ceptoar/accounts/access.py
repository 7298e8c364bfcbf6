"""Who may see and change what in the registry. Every page, export and admin screen asks here.

The rule of the seeds: a member's contacts are seen by the member itself, by the secretariat of
each CEPTOAR it belongs to, and by the national hub — never by other members. Contacts of the
structure above a member (its CEPTOAR, the sub-group that relays to it) are shown to it so it
knows whom to call.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ceptoar.accounts.models import Role, User
from ceptoar.registry.models import Contact, Membership, Organisation, OrganisationKind, Oversight

_EVERYTHING_ROLES = (Role.HUB_STAFF, Role.AUDITOR)
_SECRETARIAT_ROLES = (Role.SECRETARIAT, Role.COORDINATOR)
_EDITOR_ROLES = (Role.HUB_STAFF, Role.SECRETARIAT, Role.COORDINATOR, Role.MEMBER_POC)


def is_active_person(user) -> bool:
    """Signed in and not deactivated: the least every check asks, before any role or organisation."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_active_member(user) -> bool:
    """An active person of an organisation: the only reader the sharing rules know, and the only one a
    report's hop, receipt or comment can be of (an account without an organisation sees none of it)."""
    return is_active_person(user) and getattr(user, "organisation_id", None) is not None


def sees_everything(user) -> bool:
    """Hub staff and auditors (at the hub) and superusers see the whole registry."""
    if not is_active_person(user):
        return False
    if user.is_superuser:
        return True
    organisation = user.organisation
    return (
        organisation is not None
        and organisation.kind == OrganisationKind.HUB
        and user.has_role(*_EVERYTHING_ROLES)
    )


def ceptoars_served_by(user) -> QuerySet[Organisation]:
    """The CEPTOARs for which this user works as secretariat or coordinator.

    A secretariat user belongs either to the CEPTOAR itself or to the organisation named as its
    secretariat (e.g. 全国銀行協会 for the banks' CEPTOAR).
    """
    if not is_active_member(user) or not user.has_role(*_SECRETARIAT_ROLES):
        return Organisation.objects.none()
    return Organisation.objects.ceptoars().filter(
        Q(pk=user.organisation_id) | Q(ceptoar_profile__secretariat_id=user.organisation_id)
    )


def serves_a_ceptoar(user) -> bool:
    """Whether `ceptoars_served_by(user)` has any; kept on the user object for the rest of the request, as
    Django keeps permissions (the header asks it on every page)."""
    cached = getattr(user, "_serves_a_ceptoar", None)
    if cached is None:
        cached = ceptoars_served_by(user).exists()
        if getattr(user, "pk", None) is not None:
            user._serves_a_ceptoar = cached
    return cached


def ceptoars_overseen_by(user) -> QuerySet[Organisation]:
    if not is_active_member(user) or not user.has_role(Role.MINISTRY_LIAISON):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        pk__in=Oversight.objects.filter(ministry_id=user.organisation_id).values("ceptoar_id")
    )


def _ceptoar_and_relays(ceptoar_ids) -> Q:
    """The CEPTOARs themselves and their sub-groups and relay hubs."""
    return Q(pk__in=ceptoar_ids) | Q(kind=OrganisationKind.SUBGROUP, parent_id__in=ceptoar_ids)


def _members_of(ceptoar_ids) -> Q:
    return Q(pk__in=Membership.objects.filter(ceptoar_id__in=ceptoar_ids).values("member_id"))


def contact_organisations_visible_to(user) -> QuerySet[Organisation]:
    """The organisations whose points of contact and rules acceptance this user may read."""
    if not is_active_person(user):
        return Organisation.objects.none()
    if sees_everything(user):
        return Organisation.objects.all()
    if user.organisation_id is None:
        return Organisation.objects.none()
    own = user.organisation_id
    condition = Q(pk=own)

    # Upward: the CEPTOARs the user's organisation belongs to and the sub-groups that relay to it.
    links = Membership.objects.filter(member_id=own)
    condition |= Q(pk__in=links.values("ceptoar_id")) | Q(pk__in=links.exclude(via=None).values("via_id"))

    served = ceptoars_served_by(user)
    if served.exists():
        served_ids = served.values("pk")
        condition |= _ceptoar_and_relays(served_ids) | _members_of(served_ids)
        condition |= Q(pk__in=Oversight.objects.filter(ceptoar_id__in=served_ids).values("ministry_id"))
        condition |= Q(kind=OrganisationKind.HUB)

    overseen = ceptoars_overseen_by(user)
    if overseen.exists():
        condition |= _ceptoar_and_relays(overseen.values("pk")) | Q(kind=OrganisationKind.HUB)
    return Organisation.objects.filter(condition)


def can_view_contacts(user, organisation: Organisation) -> bool:
    return contact_organisations_visible_to(user).filter(pk=organisation.pk).exists()


def contacts_visible_to(user) -> QuerySet[Contact]:
    return Contact.objects.filter(organisation__in=contact_organisations_visible_to(user))


def organisations_maintained_by(user) -> QuerySet[Organisation]:
    """The organisations whose contacts this user may change and whose registry upkeep they answer for."""
    if not is_active_person(user):
        return Organisation.objects.none()
    if user.is_superuser or (sees_everything(user) and user.has_role(Role.HUB_STAFF)):
        return Organisation.objects.all()
    if user.organisation_id is None:
        return Organisation.objects.none()
    condition = Q()
    matched = False
    if user.has_role(Role.MEMBER_POC, *_SECRETARIAT_ROLES, Role.MINISTRY_LIAISON):
        condition |= Q(pk=user.organisation_id)
        matched = True
    served = ceptoars_served_by(user)
    if served.exists():
        served_ids = served.values("pk")
        condition |= _ceptoar_and_relays(served_ids) | _members_of(served_ids)
        matched = True
    return Organisation.objects.filter(condition) if matched else Organisation.objects.none()


def can_edit_contacts(user, organisation: Organisation) -> bool:
    return organisations_maintained_by(user).filter(pk=organisation.pk).exists()


def sees_delivery_details(user) -> bool:
    """Whether this user may read how a delivery failed in technical terms (`Delivery.last_error`,
    `BrokenChannel.reason`: addresses, ports, the receiver's and the operating system's own words).

    Those who fix channels and the platform: superusers, hub staff, and the secretariats and coordinators
    of CEPTOARs (for the members they maintain). Everyone else — a member's points of contact, ministry
    liaisons, analysts, auditors — reads only the kind of failure (`FailureCause`): the technical text of a
    channel a member chose would tell it which ports of the receiver's network are open."""
    if not is_active_person(user):
        return False
    if user.is_superuser or (sees_everything(user) and user.has_role(Role.HUB_STAFF)):
        return True
    return serves_a_ceptoar(user)


def can_use_admin(user) -> bool:
    """The Django admin is for the people who keep the registry; what they see there is still filtered."""
    return (
        is_active_person(user)
        and user.is_staff
        and (user.is_superuser or user.has_role(*_EDITOR_ROLES, Role.AUDITOR))
    )


def organisations_watched_by(user) -> QuerySet[Organisation]:
    """The organisations whose contact upkeep this user follows (the freshness page).

    Those the user maintains, plus for a ministry liaison the CEPTOARs it oversees and their
    sub-groups; hub staff and auditors everything. Never the structure above the user's own
    organisation (its CEPTOAR, the relaying sub-group, the hub): a member sees only itself, as it
    cannot fix anyone else's contacts. Always a subset of `contact_organisations_visible_to`.
    """
    if not is_active_person(user):
        return Organisation.objects.none()
    if sees_everything(user):
        return Organisation.objects.all()
    if user.organisation_id is None:
        return Organisation.objects.none()
    condition = Q(pk=user.organisation_id) | Q(pk__in=organisations_maintained_by(user).values("pk"))
    condition |= _ceptoar_and_relays(ceptoars_overseen_by(user).values("pk"))
    return Organisation.objects.filter(condition)


# -- handling rules (情報取扱いルール) ----------------------------------------------------------------------
#
# Who may accept rules for an organisation, binding it: for a member organisation, a person of that
# organisation holding its point-of-contact role (the member's POC answers for it to the CEPTOAR; an analyst
# reads but does not bind); for a CEPTOAR, which accepts the rules of the councils it sits in, its secretariat
# or coordinator (`ceptoars_served_by`). Never the CEPTOAR's secretariat for its members, nor the hub for
# anyone: an acceptance is the bound organisation's own word.


def organisations_accepting_rules_through(user) -> QuerySet[Organisation]:
    """The organisations for which `user` may accept handling rules."""
    if not is_active_member(user):
        return Organisation.objects.none()
    condition = Q(pk__in=ceptoars_served_by(user).values("pk"))
    if user.has_role(Role.MEMBER_POC):
        condition |= Q(pk=user.organisation_id)
    return Organisation.objects.filter(condition)


def may_accept_rules_for(user, organisation: Organisation) -> bool:
    return organisations_accepting_rules_through(user).filter(pk=organisation.pk).exists()


def may_publish_rules_for(user, owner: Organisation) -> bool:
    """A CEPTOAR's rules are published by its secretariat or coordinator; a council's by the people of the
    council itself who hold those roles."""
    if not is_active_member(user):
        return False
    if owner.kind == OrganisationKind.CEPTOAR:
        return ceptoars_served_by(user).filter(pk=owner.pk).exists()
    if owner.kind == OrganisationKind.COUNCIL:
        return user.organisation_id == owner.pk and user.has_role(*_SECRETARIAT_ROLES)
    return False


def can_view_ceptoar_map(user) -> bool:
    """The CEPTOAR characteristics map holds no contacts and was published by NISC: anyone logged in."""
    return is_active_person(user)


def can_edit_structure(user) -> bool:
    """Sectors, organisation kinds and parents, CEPTOAR profiles, oversight and council seats: the hub's
    upkeep. Memberships are not structure in this sense: a secretariat keeps those of its CEPTOAR."""
    return is_active_person(user) and (
        user.is_superuser or (sees_everything(user) and user.has_role(Role.HUB_STAFF))
    )


def roles_grantable_by(user) -> frozenset[str]:
    """The roles this user may hand out (in the admin). Whom to is bounded by `organisations_maintained_by`;
    what a role lets its holder see is bounded by the holder's organisation, so this only stops a member
    or secretariat from minting staff roles of the hub."""
    if not is_active_person(user):
        return frozenset()
    if can_edit_structure(user):
        return frozenset(Role.values)
    grantable: set[str] = set()
    if user.has_role(*_SECRETARIAT_ROLES):
        grantable |= {Role.SECRETARIAT, Role.COORDINATOR, Role.MEMBER_POC, Role.MEMBER_ANALYST}
    if user.has_role(Role.MEMBER_POC):
        grantable |= {Role.MEMBER_POC, Role.MEMBER_ANALYST}
    return frozenset(grantable)


_SENDER_ROLES = (Role.HUB_STAFF, Role.MINISTRY_LIAISON, Role.SECRETARIAT, Role.COORDINATOR)
_SENDER_KINDS = (
    OrganisationKind.HUB,
    OrganisationKind.MINISTRY,
    OrganisationKind.CEPTOAR,
    OrganisationKind.SUBGROUP,
    # A council posts to its seats (`alerts.services.councils`); a related body sends only under agreements in
    # force (`alerts.lateral`).
    OrganisationKind.COUNCIL,
    OrganisationKind.RELATED_BODY,
)
# A council acts through its secretariat and coordinators (the people of the council organisation): they post
# to its seats. A liaison or hub role held at a council gives no voice there.
_COUNCIL_SENDER_ROLES = _SECRETARIAT_ROLES


def can_send_alerts(user) -> bool:
    """Alerts go down the chain: the hub, ministries, CEPTOARs and relay hubs send; members report upward.
    A council's secretariat posts to the council's seats (`alerts.services.councils`); related bodies send to
    the parties of their agreements (`alerts.lateral`)."""
    if not is_active_member(user) or user.organisation.kind not in _SENDER_KINDS:
        return False
    if user.organisation.kind == OrganisationKind.COUNCIL:
        return user.has_role(*_COUNCIL_SENDER_ROLES)
    return user.has_role(*_SENDER_ROLES)


def acts_for_council(user, council: Organisation) -> bool:
    """Whether `user` posts in the council's own name: its secretariat or coordinator."""
    return (
        is_active_member(user)
        and user.organisation_id == council.pk
        and user.has_role(*_COUNCIL_SENDER_ROLES)
    )


def alert_senders_of(organisation: Organisation) -> QuerySet[User]:
    """The active people who send alerts for `organisation` (who answer a relay request made to it)."""
    if organisation.kind not in _SENDER_KINDS:
        return User.objects.none()
    return User.objects.filter(
        organisation=organisation, is_active=True, role_grants__role__in=_SENDER_ROLES
    ).distinct()


def require_sender(user) -> None:
    """For the pages only senders use (compose, relay rules, call list, escalation plan)."""
    if not can_send_alerts(user):
        raise PermissionDenied(_("You may not send alerts."))
