"""Property-based tests of what may flow (agreements.flows) over random parties and agreements.

The agreements are written straight to the database, past the proposal's checks, so that the read is tried on
what an import, the admin or a race could leave: several live agreements on one direction, any status, any
dates. The oracle below is written from the rules in words, not from the code: an item crosses from A to B only
if some agreement in force today (status in force, within its dates) has a term A → B, and every such term
covers its kind, its category and its TLP.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceptoar.agreements import flows
from ceptoar.agreements.categories import CATEGORY_VALUES
from ceptoar.agreements.models import Agreement, AgreementParty, AgreementStatus, AgreementTerm, FlowKind
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.sharing.models import TLP_RANK, Tlp

pytestmark = pytest.mark.django_db(transaction=False)

PARTIES = 3  # few, so that agreements often overlap on a direction
TLPS = list(TLP_RANK)
_numbers = itertools.count(1)


class Rollback(Exception):
    """Raised to undo one example's rows."""


terms = st.fixed_dictionaries(
    {
        "source": st.integers(0, PARTIES - 1),
        "receiver": st.integers(0, PARTIES - 1),
        "kinds": st.sets(st.sampled_from(FlowKind.values), max_size=3),
        "categories": st.sets(st.sampled_from(CATEGORY_VALUES), max_size=4),
        "highest_tlp": st.sampled_from(TLPS),
        "may_relay": st.booleans(),
    }
).filter(lambda term: term["source"] != term["receiver"])

agreements = st.lists(
    st.fixed_dictionaries(
        {
            # In force most often, so that several agreements bind one direction in many examples.
            "status": st.sampled_from([AgreementStatus.IN_FORCE] * 4 + AgreementStatus.values),
            # Days from today, weighted to the edges: starting today or tomorrow, ending yesterday or today.
            "starts": st.sampled_from([-30, -1, 0, 1, 5]),
            "ends": st.sampled_from([None, None, -1, 0, 1, 30]),
            "terms": st.lists(
                terms, min_size=1, max_size=4, unique_by=lambda t: (t["source"], t["receiver"])
            ),
        }
    ),
    max_size=4,
)

items = st.tuples(
    st.integers(0, PARTIES - 1),
    st.integers(0, PARTIES - 1),
    st.sampled_from(FlowKind.values),
    st.sampled_from(CATEGORY_VALUES),
    st.sampled_from(TLPS),
)


def _write(drawn) -> list[Organisation]:
    number = next(_numbers)
    parties = [
        Organisation.objects.create(
            code=f"prop-{number}-{i}", name=f"当事者 {number}-{i}", kind=OrganisationKind.RELATED_BODY
        )
        for i in range(PARTIES)
    ]
    today = timezone.localdate()
    for index, spec in enumerate(drawn):
        agreement = Agreement.objects.create(
            code=f"prop-{number}-{index}",
            title="協定",
            text="本文",
            status=spec["status"],
            valid_from=today + datetime.timedelta(days=spec["starts"]),
            valid_to=None if spec["ends"] is None else today + datetime.timedelta(days=spec["ends"]),
            proposed_by=parties[0],
        )
        AgreementParty.objects.bulk_create(
            [AgreementParty(agreement=agreement, organisation=p) for p in parties]
        )
        for term in spec["terms"]:
            AgreementTerm.objects.create(
                agreement=agreement,
                source=parties[term["source"]],
                receiver=parties[term["receiver"]],
                kinds=sorted(term["kinds"]),
                categories=sorted(term["categories"]),
                highest_tlp=term["highest_tlp"],
                may_relay=term["may_relay"],
            )
    return parties


def _oracle(drawn, source, receiver, kind, category, tlp) -> bool:
    """Whether an item of `kind`, `category` and `tlp` may go from party `source` to party `receiver` today."""
    covering = []
    for spec in drawn:
        in_force = (
            spec["status"] == AgreementStatus.IN_FORCE
            and spec["starts"] <= 0
            and (spec["ends"] is None or spec["ends"] >= 0)
        )
        if in_force:
            covering += [t for t in spec["terms"] if (t["source"], t["receiver"]) == (source, receiver)]
    return bool(covering) and all(
        kind in t["kinds"]
        and category in t["categories"]
        and TLP_RANK[Tlp(tlp)] <= TLP_RANK[Tlp(t["highest_tlp"])]
        for t in covering
    )


def _check_every_item(drawn, parties) -> None:
    """Every direction, kind, category and TLP: one read per direction, then each item against the oracle."""
    for source, receiver in itertools.permutations(range(PARTIES), 2):
        found = flows.flow(parties[source].pk, parties[receiver].pk)
        for kind, category, tlp in itertools.product(FlowKind.values, CATEGORY_VALUES, TLPS):
            expected = _oracle(drawn, source, receiver, kind, category, tlp)
            allowed = found is not None and found.allows(kind, category, tlp)
            assert allowed == expected, (source, receiver, kind, category, tlp)
            if expected:
                assert not found.shortfalls(kind, category, tlp)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=agreements, asked=st.lists(items, min_size=1, max_size=4))
def test_nothing_crosses_without_an_agreement_in_force_that_covers_kind_category_and_tlp(drawn, asked):
    try:
        with transaction.atomic():
            parties = _write(drawn)
            _check_every_item(drawn, parties)
            # The compose form's list of receivers agrees with the same rule.
            for source, receiver, kind, category, tlp in asked:
                offered = flows.receivers(parties[source].pk, kind, category, tlp)
                expected = _oracle(drawn, source, receiver, kind, category, tlp)
                assert offered.filter(pk=parties[receiver].pk).exists() == expected
            raise Rollback
    except Rollback:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drawn=agreements,
    ended=st.sampled_from(["suspended", "revoked", "expired", "past_end"]),
    which=st.integers(0, 3),
)
def test_ending_an_agreement_stops_every_flow_it_alone_allowed(drawn, ended, which):
    if not drawn:
        return
    which %= len(drawn)
    try:
        with transaction.atomic():
            parties = _write(drawn)
            agreement = Agreement.objects.filter(code__endswith=f"-{which}", proposed_by=parties[0]).get()
            if ended == "past_end":
                agreement.valid_to = timezone.localdate() - datetime.timedelta(days=1)
                drawn[which]["ends"] = -1
            else:
                agreement.status = ended
                drawn[which]["status"] = ended
            agreement.save()
            for term in drawn[which]["terms"]:
                for kind, category, tlp in itertools.product(FlowKind.values, CATEGORY_VALUES[:2], TLPS[::2]):
                    expected = _oracle(drawn, term["source"], term["receiver"], kind, category, tlp)
                    found = flows.flow(parties[term["source"]].pk, parties[term["receiver"]].pk)
                    assert (found is not None and found.allows(kind, category, tlp)) == expected
                    assert not (found is not None and agreement in found.agreements), (
                        "an ended agreement still binds a flow"
                    )
            raise Rollback
    except Rollback:
        pass
