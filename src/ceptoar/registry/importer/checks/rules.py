"""The checks of handling rules versions and of the members' acceptance of them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ceptoar.registry.importer.plan import ImportPlan, Planned, changed_fields, chunks, snapshot
from ceptoar.registry.importer.records import AcceptanceRecord, RulesRecord
from ceptoar.registry.models import HandlingRules, RulesAcceptance


def check_rules(plan: ImportPlan) -> None:
    named = {r.ceptoar for r in plan.document.rules} | {a.ceptoar for a in plan.document.acceptances}
    by_id = {
        plan.orgs[code].pk: plan.orgs[code]
        for code in named
        if code in plan.orgs and plan.orgs[code].pk is not None
    }
    ceptoar_ids = sorted(by_id)
    for chunk in chunks(ceptoar_ids):
        for rules in HandlingRules.objects.filter(ceptoar_id__in=chunk):
            plan.rules_by_key[(by_id[rules.ceptoar_id].code, rules.version)] = rules
    seen: dict[tuple[str, int], RulesRecord] = {}
    for record in plan.document.rules:
        key = (record.ceptoar, record.version)
        if plan.repeated(
            seen,
            key,
            record,
            "version",
            lambda _earlier, record=record: (
                _("Version %(version)d of the rules of %(code)s is listed twice.")
                % {"version": record.version, "code": record.ceptoar}
            ),
        ):
            continue
        ceptoar = plan.organisation(record.ceptoar, record.source, "ceptoar")
        if ceptoar is None:
            continue
        existing = plan.rules_by_key.get(key)
        rules = existing or HandlingRules(ceptoar=ceptoar, version=record.version)
        before = snapshot(rules) if existing else {}
        for name, value in record.values.items():
            setattr(rules, name, value)
        plan.clean(rules, record.source, exclude=["ceptoar"])
        planned = Planned(rules, existing is None, set())
        if existing is not None:
            planned.changed = changed_fields(rules, before)
        plan.rules_plan.append(planned)
        plan.rules_by_key[key] = rules


def check_acceptances(plan: ImportPlan) -> None:
    records = plan.document.acceptances
    stored_ids = sorted(
        {
            plan.orgs[r.organisation].pk
            for r in records
            if r.organisation in plan.orgs and plan.orgs[r.organisation].pk is not None
        }
    )
    stored: dict[tuple[int, int], RulesAcceptance] = {}
    for chunk in chunks(stored_ids):
        for acceptance in RulesAcceptance.objects.filter(organisation_id__in=chunk):
            stored[(acceptance.organisation_id, acceptance.rules_id)] = acceptance
    pairs = set(plan.stored_memberships) | set(plan.memberships_by_pair)
    seen: dict[tuple[str, str, int], AcceptanceRecord] = {}
    for record in records:
        key = (record.organisation, record.ceptoar, record.version)
        if plan.repeated(
            seen,
            key,
            record,
            "version",
            lambda _earlier, record=record: (
                _("%(code)s's acceptance of version %(version)d is listed twice.")
                % {"code": record.organisation, "version": record.version}
            ),
        ):
            continue
        organisation = plan.organisation(record.organisation, record.source, "organisation")
        ceptoar = plan.organisation(record.ceptoar, record.source, "ceptoar")
        if organisation is None or ceptoar is None:
            continue
        rules = plan.rules_by_key.get((record.ceptoar, record.version))
        if rules is None:
            plan.report(
                record.source.problem(
                    "version",
                    _(
                        "%(code)s has no version %(version)d of its handling rules in the file or the "
                        "registry."
                    )
                    % {"code": record.ceptoar, "version": record.version},
                )
            )
            continue
        if record.organisation != record.ceptoar and (record.ceptoar, record.organisation) not in pairs:
            plan.report(
                record.source.problem(
                    "ceptoar", _("These rules belong to a CEPTOAR the organisation is not a member of.")
                )
            )
        existing = None
        if organisation.pk is not None and rules.pk is not None:
            existing = stored.get((organisation.pk, rules.pk))
        acceptance = existing or RulesAcceptance(organisation=organisation, rules=rules)
        before = snapshot(acceptance) if existing else {}
        for name, value in record.values.items():
            setattr(acceptance, name, value)
        # The model's clean() asks the database about membership; the file's memberships are checked above.
        plan.clean(
            acceptance, record.source, exclude=["organisation", "rules", "accepted_by"], run_clean=False
        )
        planned = Planned(acceptance, existing is None, set())
        if existing is not None:
            planned.changed = changed_fields(acceptance, before)
        plan.acceptance_plan.append(planned)
