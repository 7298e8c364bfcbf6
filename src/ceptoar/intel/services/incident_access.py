"""Who may see signals and keep incidents (インシデント): the coordinators and secretariats of CEPTOARs and the
hub's staff — those who look across members and sectors. Which incidents and reports each of them sees is
still asked of `sharing.policy` (`visible_incidents`, `visible_reports`)."""

from __future__ import annotations

from ceptoar.accounts.access import is_active_member, serves_a_ceptoar
from ceptoar.accounts.models import Role
from ceptoar.intel.models import Incident, IncidentStatus
from ceptoar.registry.models import OrganisationKind
from ceptoar.sharing import policy


def incident_may_see_signals(user) -> bool:
    """CEPTOAR secretariats and coordinators (`serves_a_ceptoar`) and the hub's staff."""
    if not is_active_member(user):
        return False
    if user.organisation.kind == OrganisationKind.HUB and user.has_role(Role.HUB_STAFF):
        return True
    return serves_a_ceptoar(user)


def incident_may_keep(user) -> bool:
    """Whether `user` may make incidents and link reports into them: the same people as see signals."""
    return incident_may_see_signals(user)


def incident_may_change(user, incident: Incident) -> bool:
    """Link, unlink, close: an open incident its organisation keeps, by someone who may keep incidents."""
    return (
        incident.status == IncidentStatus.OPEN
        and incident_may_keep(user)
        and policy.visible_incidents(user, Incident.objects.filter(pk=incident.pk)).exists()
    )


def incident_visible(user, incident: Incident) -> bool:
    return incident.pk is not None and policy.may_see(user, incident)
