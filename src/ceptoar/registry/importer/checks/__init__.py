"""The checks, one function per kind of record: each matches the file's records to what is stored by their
natural keys, applies the models' own validation and the rules that span records, and adds the rows to write
to the plan. Nothing is written here."""

from __future__ import annotations

from ceptoar.registry.importer.checks.contacts import check_contacts
from ceptoar.registry.importer.checks.memberships import (
    check_members_belong,
    check_memberships,
    load_memberships,
)
from ceptoar.registry.importer.checks.organisations import check_organisations, load_organisations
from ceptoar.registry.importer.checks.rules import check_acceptances, check_rules
from ceptoar.registry.importer.plan import ImportPlan


def check_all(plan: ImportPlan) -> None:
    """Every check, in an order where each finds what it refers to already planned."""
    load_organisations(plan)
    check_organisations(plan)
    load_memberships(plan)
    check_memberships(plan)
    check_members_belong(plan)
    check_contacts(plan)
    check_rules(plan)
    check_acceptances(plan)
