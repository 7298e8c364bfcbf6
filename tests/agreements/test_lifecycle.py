"""An agreement's life and what flows under it (agreements.services.lifecycle, agreements.flows).

Pairs outside the finance sector: the demo's finance agreements already cover banks, securities, the insurers
and FISC, and a second live agreement on one direction is refused by design."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ceptoar.agreements import flows
from ceptoar.agreements.models import Agreement, AgreementEvent, AgreementStatus, FlowKind
from ceptoar.agreements.services import lifecycle
from ceptoar.registry.models import HandlingRules, Organisation
from tests.agreements.helpers import in_force, spec, staff_of, term

pytestmark = pytest.mark.django_db

Action = AgreementEvent.Action


def org(code):
    return Organisation.objects.get(code=code)


def test_in_force_once_every_party_accepted_and_each_step_in_the_history():
    electricity, gas = staff_of("electricity"), staff_of("gas")
    agreement = lifecycle.do_propose(electricity, spec(["electricity", "gas"], [term("electricity", "gas")]))
    assert agreement.status == AgreementStatus.PROPOSED
    assert flows.flow(org("electricity").pk, org("gas").pk) is None  # nothing flows on a proposal
    agreement = lifecycle.do_accept(agreement, gas, org("gas"))
    assert agreement.status == AgreementStatus.IN_FORCE
    found = flows.flow(org("electricity").pk, org("gas").pk)
    assert found.allows(FlowKind.ALERT, "malware", "amber")
    assert not found.allows(FlowKind.ALERT, "malware", "amber_strict")
    assert not found.allows(FlowKind.CASE, "malware", "green")
    assert flows.flow(org("gas").pk, org("electricity").pk) is None  # one direction only
    assert list(agreement.events.values_list("action", "organisation__code")) == [
        (Action.PROPOSED, "electricity"),
        (Action.ACCEPTED, "electricity"),
        (Action.ACCEPTED, "gas"),
        (Action.IN_FORCE, None),
    ]


@pytest.mark.parametrize("end", ["suspend", "revoke", "expire"])
def test_suspending_revoking_or_passing_the_end_date_stops_the_flow_at_once(end):
    agreement = in_force(["electricity", "gas"], [term("electricity", "gas")])
    electricity_user = staff_of("electricity")
    if end == "suspend":
        lifecycle.do_suspend(agreement, electricity_user, org("electricity"), "調査中")
    elif end == "revoke":
        lifecycle.do_revoke(agreement, electricity_user, org("electricity"), "解消")
    else:
        # The end date alone stops it, before the periodic job has written it into the history.
        Agreement.objects.filter(pk=agreement.pk).update(
            valid_to=timezone.localdate() - datetime.timedelta(days=1)
        )
    assert flows.flow(org("electricity").pk, org("gas").pk) is None
    assert not flows.receivers(org("electricity").pk, FlowKind.ALERT).exists()
    if end == "expire":
        assert lifecycle.expire_due() == 1
        assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.EXPIRED


def test_only_the_party_that_suspended_resumes():
    agreement = in_force(["electricity", "gas"], [term("electricity", "gas")])
    lifecycle.do_suspend(agreement, staff_of("gas"), org("gas"), "規程改定中")
    with pytest.raises(ValidationError) as error:
        lifecycle.do_resume(agreement, staff_of("electricity"), org("electricity"))
    assert "organisation" in error.value.message_dict
    lifecycle.do_resume(agreement, staff_of("gas"), org("gas"))
    assert flows.flow(org("electricity").pk, org("gas").pk) is not None


def test_a_second_party_is_required_and_nothing_is_written():
    before = Agreement.objects.count()
    with pytest.raises(ValidationError) as error:
        lifecycle.do_propose(staff_of("electricity"), spec(["electricity"], [term("electricity", "gas")]))
    assert "parties" in error.value.message_dict
    assert Agreement.objects.count() == before


def test_acceptance_by_someone_not_authorised_for_the_party_is_refused():
    agreement = lifecycle.do_propose(
        staff_of("electricity"), spec(["electricity", "gas"], [term("electricity", "gas")])
    )
    member = staff_of("gas-0001", role="member_poc")
    for user, party in ((staff_of("electricity"), "gas"), (member, "gas")):
        with pytest.raises(ValidationError) as error:
            lifecycle.do_accept(agreement, user, org(party))
        assert "organisation" in error.value.message_dict
    assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.PROPOSED


def test_a_tlp_above_what_a_partys_rules_allow_is_refused_naming_the_field():
    HandlingRules.objects.filter(ceptoar=org("gas")).update(highest_tlp_shared="amber")
    with pytest.raises(ValidationError) as error:
        lifecycle.do_propose(
            staff_of("electricity"),
            spec(["electricity", "gas"], [term("electricity", "gas", highest_tlp="amber_strict")]),
        )
    assert any("AMBER+STRICT" in message for message in error.value.message_dict["terms.highest_tlp"])


def test_empty_kinds_or_categories_cover_nothing_and_are_refused():
    with pytest.raises(ValidationError) as error:
        lifecycle.do_propose(
            staff_of("electricity"),
            spec(["electricity", "gas"], [term("electricity", "gas", kinds=[], categories=[])]),
        )
    assert {"terms.kinds", "terms.categories"} <= set(error.value.message_dict)


def test_a_second_live_agreement_on_the_same_direction_must_supersede_the_first():
    first = in_force(["electricity", "gas"], [term("electricity", "gas")])
    with pytest.raises(ValidationError) as error:
        lifecycle.do_propose(
            staff_of("electricity"),
            spec(["electricity", "gas"], [term("electricity", "gas", highest_tlp="green")]),
        )
    assert first.code in " ".join(error.value.message_dict["terms"])
    second = in_force(
        ["electricity", "gas"],
        [term("electricity", "gas", highest_tlp="green")],
        supersedes=first.code,
        version=2,
    )
    assert Agreement.objects.get(pk=first.pk).status == AgreementStatus.EXPIRED
    assert flows.flow(org("electricity").pk, org("gas").pk).agreements == (second,)


def test_two_agreements_in_force_on_one_direction_bind_by_the_narrower_terms():
    first = in_force(["electricity", "gas"], [term("electricity", "gas", highest_tlp="amber")])
    second = in_force(
        ["electricity", "gas", "telecom-isac"],
        [term("telecom-isac", "electricity")],
    )
    # Written past the proposal check (an import, or the admin): the flow still binds by the narrower terms.
    second.terms.create(
        source=org("electricity"),
        receiver=org("gas"),
        kinds=["alert", "case"],
        categories=["malware"],
        highest_tlp="green",
        may_relay=False,
    )
    found = flows.flow(org("electricity").pk, org("gas").pk)
    assert found.is_combined and set(found.agreements) == {first, second}
    assert found.kinds == {"alert"} and found.categories == {"malware"}
    assert found.highest_tlp == "green" and not found.may_relay


def test_a_rules_version_published_ahead_does_not_yet_limit_the_tlp():
    rules = HandlingRules.objects.filter(ceptoar=org("gas")).order_by("-version").first()
    HandlingRules.objects.create(
        ceptoar=org("gas"),
        version=rules.version + 1,
        title="改定版",
        text="本文",
        enacted_on=timezone.localdate() + datetime.timedelta(days=30),
        highest_tlp_shared="green",
    )
    agreement = lifecycle.do_propose(
        staff_of("electricity"),
        spec(["electricity", "gas"], [term("electricity", "gas", highest_tlp="amber")]),
    )
    assert agreement.terms.get().highest_tlp == "amber"
