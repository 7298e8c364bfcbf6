"""An organisation's standing relay rules: adding one, and no longer applying it. Applying them to an alert
just published is part of its publication (`services.publication.apply_relay_rules`)."""

from __future__ import annotations

from ceptoar.accounts.models import User
from ceptoar.alerts.models import RelayRule


def add_relay_rule(
    user: User,
    *,
    from_organisation_kinds: list[str],
    categories: list[str],
    minimum_severity: str,
    note: str = "",
) -> RelayRule:
    """A rule of the user's organisation, in the user's name: its automatic relays are sent in it."""
    return RelayRule.objects.create(
        organisation=user.organisation,
        created_by=user,
        from_organisation_kinds=from_organisation_kinds,
        categories=categories,
        minimum_severity=minimum_severity,
        note=note,
    )


def deactivate_relay_rule(rule: RelayRule) -> bool:
    """Stop applying `rule` to the alerts that arrive from now on. False if it was already off."""
    if not rule.is_active:
        return False
    rule.is_active = False
    rule.save(update_fields=["is_active"])
    return True
