"""Accepting handling rules (情報取扱いルール): a named person binds an organisation to one version.

Who may accept for which organisation is `accounts.access.organisations_accepting_rules_through` (a member's
POC for the member; a CEPTOAR's secretariat for the councils it sits in). What is recorded: the organisation,
the version, the day, the name the person gave and their account. Accepting the version in force is what lets
AMBER and above reach the organisation again (`sharing.policy.is_bound_by_current_rules`).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.registry.models import HandlingRules, Organisation, RulesAcceptance
from ceptoar.registry.queries import current_rules


@transaction.atomic
def do_accept_rules(
    user,
    organisation: Organisation,
    rules: HandlingRules,
    *,
    accepted_by_name: str,
    today: datetime.date | None = None,
) -> RulesAcceptance:
    """Record that `organisation` accepts `rules`, by `user` under the name they give; refused with a
    ValidationError naming the field (nothing written) or PermissionDenied."""
    if not access.may_accept_rules_for(user, organisation):
        raise PermissionDenied(
            _("You may not accept handling rules for %(organisation)s.") % {"organisation": organisation.name}
        )
    name = (accepted_by_name or "").strip()
    if not name:
        raise ValidationError(
            {"accepted_by_name": _("Give the name of the person accepting, as it should be recorded.")}
        )
    rules = HandlingRules.objects.select_related("ceptoar").get(pk=rules.pk)
    today = today or timezone.localdate()
    # The version in force (what the sharing policy asks about) or one published to take effect later; never
    # one already replaced.
    in_force = current_rules(rules.ceptoar, today)
    if in_force is not None and rules.version < in_force.version:
        raise ValidationError(
            {
                "rules": _("Version %(newer)s of these rules is in force: read and accept that one.")
                % {"newer": in_force.version}
            }
        )
    done = RulesAcceptance.objects.filter(organisation=organisation, rules=rules).first()
    if done is not None:
        raise ValidationError(
            {
                "rules": _("%(organisation)s already accepted version %(version)s on %(date)s (%(name)s).")
                % {
                    "organisation": organisation.name,
                    "version": rules.version,
                    "date": done.accepted_on.isoformat(),
                    "name": done.accepted_by_name,
                }
            }
        )
    acceptance = RulesAcceptance(
        organisation=organisation,
        rules=rules,
        accepted_on=today,
        accepted_by_name=name,
        accepted_by=user,
    )
    acceptance.full_clean()
    acceptance.save()
    return acceptance
