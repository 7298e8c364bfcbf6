"""Who may read the situation assessment and who may write situation summaries. What each reader sees on
it is still `sharing.policy`'s question: this only opens the page."""

from __future__ import annotations

from ceptoar.accounts.access import can_send_alerts, is_active_member, serves_a_ceptoar
from ceptoar.accounts.models import Role
from ceptoar.registry.models import OrganisationKind


def can_assess(user) -> bool:
    """CEPTOAR coordinators and secretariats, sector ministry liaisons and the hub's staff."""
    if not is_active_member(user):
        return False
    kind = user.organisation.kind
    if kind == OrganisationKind.MINISTRY and user.has_role(Role.MINISTRY_LIAISON):
        return True
    if kind == OrganisationKind.HUB and user.has_role(Role.HUB_STAFF):
        return True
    return serves_a_ceptoar(user)


def can_write_summaries(user) -> bool:
    """Summaries are published as alerts: only those who assess and may send alerts write them."""
    return can_assess(user) and can_send_alerts(user)


def can_edit_summary(user, summary) -> bool:
    """The people of the summary's own organisation who may write summaries."""
    return summary.organisation_id == getattr(user, "organisation_id", None) and can_write_summaries(user)
