"""A member's acceptance of a CEPTOAR's handling rules."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from ceptoar.registry.models import HandlingRules, Organisation, RulesAcceptance


@transaction.atomic
def accept_rules(
    organisation: Organisation,
    rules: HandlingRules,
    by_name: str,
    by_user=None,
    on: datetime.date | None = None,
) -> RulesAcceptance:
    acceptance = RulesAcceptance(
        organisation=organisation,
        rules=rules,
        accepted_on=on or timezone.localdate(),
        accepted_by_name=by_name,
        accepted_by=by_user,
    )
    acceptance.full_clean()
    acceptance.save()
    return acceptance
