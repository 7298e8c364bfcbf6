"""The register of agreements as people and scripts read it: each agreement with its parties and terms, and
the dry run "what may flow between A and B now", in words (the pages) and as JSON (`ceptoar agreements`).

Reads only; what flows is `agreements.flows`' answer, shown here, never worked out again.
The JSON shapes are a contract (docs/agreements.md): codes, not labels, so that they do not change with the
language.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from ceptoar.agreements import flows
from ceptoar.agreements.categories import CATEGORY_VALUES
from ceptoar.agreements.flows import Flow, category_label
from ceptoar.agreements.models import (
    Agreement,
    AgreementParty,
    AgreementTerm,
    FlowKind,
    OriginatorDisclosure,
)
from ceptoar.registry.models import Organisation
from ceptoar.sharing.models import Tlp


def ordered_kinds(values) -> list[str]:
    """Kinds in the order of `FlowKind` (the order every page and output shows them in)."""
    present = set(values)
    return [kind for kind in FlowKind.values if kind in present]


def ordered_categories(values) -> list[str]:
    present = set(values)
    return [category for category in CATEGORY_VALUES if category in present]


def kind_labels(values) -> list[str]:
    return [str(FlowKind(kind).label) for kind in ordered_kinds(values)]


def category_labels(values) -> list[str]:
    return [category_label(category) for category in ordered_categories(values)]


def with_parties_and_terms(agreements: QuerySet[Agreement]) -> QuerySet[Agreement]:
    """The agreements with what the register shows of each, in a fixed number of queries."""
    return agreements.select_related("supersedes", "proposed_by").prefetch_related(
        Prefetch(
            "parties",
            queryset=AgreementParty.objects.select_related("organisation", "accepted_by").order_by(
                "organisation__code"
            ),
        ),
        Prefetch(
            "terms",
            queryset=AgreementTerm.objects.select_related("source", "receiver").order_by(
                "source__code", "receiver__code"
            ),
        ),
        "superseded_by",
    )


def is_binding(agreement: Agreement, on: datetime.date | None = None) -> bool:
    """Whether things flow under it on `on` (today): in force and within its dates (`flows` reads the same)."""
    return flows.agreements_in_force(on).filter(pk=agreement.pk).exists()


@dataclass(frozen=True)
class TermWords:
    """One direction of an agreement in words, for its page."""

    term: AgreementTerm
    kind_labels: list[str]
    category_labels: list[str]
    all_categories: bool
    highest_tlp_label: str
    originator_label: str


def describe_term(term: AgreementTerm) -> TermWords:
    return TermWords(
        term=term,
        kind_labels=kind_labels(term.kinds),
        category_labels=category_labels(term.categories),
        all_categories=set(CATEGORY_VALUES) <= set(term.categories),
        highest_tlp_label=Tlp(term.highest_tlp).label,
        originator_label=str(OriginatorDisclosure(term.originator).label),
    )


# -- JSON ---------------------------------------------------------------------------------------------


def term_json(term: AgreementTerm) -> dict:
    return {
        "from": term.source.code,
        "to": term.receiver.code,
        "kinds": ordered_kinds(term.kinds),
        "categories": ordered_categories(term.categories),
        "highest_tlp": term.highest_tlp,
        "may_relay": term.may_relay,
        "originator": term.originator,
    }


def agreement_json(agreement: Agreement, binding: set[int]) -> dict:
    """One agreement of `with_parties_and_terms`; `binding` holds the ids of those in force today."""
    return {
        "code": agreement.code,
        "title": agreement.title,
        "version": agreement.version,
        "status": agreement.status,
        "in_force_now": agreement.pk in binding,
        "valid_from": agreement.valid_from.isoformat(),
        "valid_to": agreement.valid_to.isoformat() if agreement.valid_to else None,
        "supersedes": agreement.supersedes.code if agreement.supersedes_id else None,
        "superseded_by": [newer.code for newer in agreement.superseded_by.all()],
        "parties": [
            {
                "code": party.organisation.code,
                "name": party.organisation.name,
                "accepted_at": party.accepted_at.isoformat() if party.accepted_at else None,
            }
            for party in agreement.parties.all()
        ],
        "directions": [term_json(term) for term in agreement.terms.all()],
    }


def register_json(agreements: QuerySet[Agreement], on: datetime.date | None = None) -> dict:
    on = on or timezone.localdate()
    binding = set(flows.agreements_in_force(on).values_list("pk", flat=True))
    return {
        "on": on.isoformat(),
        "agreements": [agreement_json(a, binding) for a in with_parties_and_terms(agreements)],
    }


# -- the dry run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Direction:
    """What may flow one way between two organisations now; `flow` is None where no agreement is in force."""

    source: Organisation
    receiver: Organisation
    flow: Flow | None

    @property
    def kind_labels(self) -> list[str]:
        return kind_labels(self.flow.kinds) if self.flow else []

    @property
    def category_labels(self) -> list[str]:
        return category_labels(self.flow.categories) if self.flow else []

    @property
    def highest_tlp_label(self) -> str:
        return Tlp(self.flow.highest_tlp).label if self.flow else ""

    @property
    def originator_label(self) -> str:
        return str(OriginatorDisclosure(self.flow.originator).label) if self.flow else ""

    @property
    def all_categories(self) -> bool:
        return bool(self.flow) and set(CATEGORY_VALUES) <= set(self.flow.categories)

    def as_json(self) -> dict:
        found = self.flow
        return {
            "from": self.source.code,
            "to": self.receiver.code,
            "in_force": found is not None,
            "agreements": [agreement.code for agreement in found.agreements] if found else [],
            "combined": bool(found and found.is_combined),
            "kinds": ordered_kinds(found.kinds) if found else [],
            "categories": ordered_categories(found.categories) if found else [],
            "highest_tlp": str(found.highest_tlp) if found else None,
            "may_relay": bool(found and found.may_relay),
            "originator": str(found.originator) if found else None,
        }


def dry_run(first: Organisation, second: Organisation, on: datetime.date | None = None) -> list[Direction]:
    """Both directions between `first` and `second`: first → second, then second → first."""
    return [
        Direction(first, second, flows.flow(first.pk, second.pk, on)),
        Direction(second, first, flows.flow(second.pk, first.pk, on)),
    ]


def dry_run_json(first: Organisation, second: Organisation, on: datetime.date | None = None) -> dict:
    on = on or timezone.localdate()
    return {
        "from": first.code,
        "to": second.code,
        "on": on.isoformat(),
        "directions": [direction.as_json() for direction in dry_run(first, second, on)],
    }
