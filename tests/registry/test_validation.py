"""Each rule in the registry models' clean() refuses bad data and names the field at fault."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from ceptoar.registry.models import (
    CeptoarProfile,
    ChannelKind,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    MemberUnit,
    Organisation,
    OrganisationKind,
    Oversight,
    RulesAcceptance,
    validate_channel_value,
)

pytestmark = pytest.mark.django_db


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def fields_in_error(instance) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return set(caught.value.message_dict)


# -- organisations ---------------------------------------------------------------------------------------


def test_subgroup_without_parent_is_refused_on_parent():
    subgroup = Organisation(
        code="banks-sg9", name="SG9", kind=OrganisationKind.SUBGROUP, sector=org("banks").sector
    )
    assert fields_in_error(subgroup) == {"parent"}


def test_subgroup_whose_parent_is_not_a_ceptoar_is_refused_on_parent():
    subgroup = Organisation(code="banks-sg9", name="SG9", kind=OrganisationKind.SUBGROUP, parent=org("fsa"))
    assert fields_in_error(subgroup) == {"parent"}


def test_subgroup_with_ceptoar_parent_passes():
    Organisation(
        code="banks-sg9", name="SG9", kind=OrganisationKind.SUBGROUP, parent=org("banks")
    ).full_clean()


def test_member_with_a_parent_is_refused_on_parent():
    member = org("banks-0001")
    member.parent = org("banks")
    assert fields_in_error(member) == {"parent"}


def test_ceptoar_without_sector_is_refused_on_sector():
    ceptoar = org("banks")
    ceptoar.sector = None
    assert fields_in_error(ceptoar) == {"sector"}


def test_bad_organisation_code_is_refused_on_code():
    assert "code" in fields_in_error(Organisation(code="Banks 1", name="x", kind=OrganisationKind.MEMBER))


# -- memberships -----------------------------------------------------------------------------------------


def test_membership_via_a_subgroup_of_another_ceptoar_is_refused_on_via():
    membership = Membership.objects.get(ceptoar__code="banks", member__code="banks-0001")
    membership.via = org("t-ceptoar-sg1")
    assert fields_in_error(membership) == {"via"}


def test_membership_via_an_organisation_that_is_not_a_subgroup_is_refused_on_via():
    membership = Membership.objects.get(ceptoar__code="banks", member__code="banks-0001")
    membership.via = org("banks-0002")
    assert fields_in_error(membership) == {"via"}


def test_membership_via_own_subgroup_passes():
    membership = Membership.objects.get(ceptoar__code="t-ceptoar", member__code="t-ceptoar-0001")
    membership.via = org("t-ceptoar-sg2")
    membership.full_clean()


def test_ministry_as_member_is_refused_on_member():
    membership = Membership(ceptoar=org("banks"), member=org("fsa"), unit=MemberUnit.INSTITUTION)
    assert fields_in_error(membership) == {"member"}


def test_membership_in_something_that_is_not_a_ceptoar_is_refused_on_ceptoar():
    membership = Membership(ceptoar=org("finance-council"), member=org("banks-0001"), unit=MemberUnit.COMPANY)
    # limit_choices_to refuses it as a field choice too; the model's own rule names the same field.
    assert fields_in_error(membership) == {"ceptoar"}


def test_unknown_member_unit_is_refused_on_unit():
    membership = Membership.objects.get(ceptoar__code="banks", member__code="banks-0001")
    membership.unit = "person"
    assert fields_in_error(membership) == {"unit"}


# -- channels ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ChannelKind.EMAIL, "poc@banks-0001.example.jp"),
        (ChannelKind.PHONE, "03-1234-5678"),
        (ChannelKind.PHONE, "+81 3 1234 5678"),
        (ChannelKind.MOBILE, "090-1234-5678"),
        (ChannelKind.FAX, "03-1234-5679"),
        (ChannelKind.SATELLITE_PHONE, "+870-7-1234-5678"),
        (ChannelKind.WEBHOOK, "https://hooks.example.jp/ceptoar"),
        (ChannelKind.CHAT, "https://chat.example.jp/hooks/abc"),
        (ChannelKind.CHAT, "slack://tokenA/tokenB/tokenC"),
    ],
)
def test_good_channel_values_pass(kind, value):
    validate_channel_value(kind, value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ChannelKind.EMAIL, "foo@"),
        (ChannelKind.EMAIL, "poc.example.jp"),
        (ChannelKind.EMAIL, "03-1234-5678"),
        (ChannelKind.PHONE, "call the desk"),
        (ChannelKind.PHONE, "poc@example.jp"),
        (ChannelKind.MOBILE, "123"),
        (ChannelKind.FAX, "https://fax.example.jp"),
        (ChannelKind.WEBHOOK, "ftp://hooks.example.jp/x"),
        (ChannelKind.WEBHOOK, "hooks.example.jp/x"),
        (ChannelKind.CHAT, "not a url"),
        (ChannelKind.CHAT, "#security-desk"),
        (ChannelKind.EMAIL, "   "),
        ("telex", "12345"),
    ],
)
def test_bad_channel_values_are_refused_on_value(kind, value):
    contact = Contact.objects.filter(organisation__code="banks-0001").first()
    channel = ContactChannel(contact=contact, kind=kind, value=value, position=9)
    assert "value" in fields_in_error(channel)


def test_channel_error_quotes_the_bad_address():
    with pytest.raises(ValidationError) as caught:
        validate_channel_value(ChannelKind.EMAIL, "foo@")
    assert "foo@" in caught.value.messages[0]


# -- profiles, oversight, councils, rules ---------------------------------------------------------------


def test_profile_with_unknown_means_of_communication_is_refused_on_that_field():
    profile = CeptoarProfile.objects.get(ceptoar__code="banks")
    profile.communication_means = ["email", "carrier-pigeon"]
    assert fields_in_error(profile) == {"communication_means"}


def test_profile_with_unknown_analysis_function_is_refused_on_that_field():
    profile = CeptoarProfile.objects.get(ceptoar__code="banks")
    profile.analysis_functions = ["astrology"]
    assert fields_in_error(profile) == {"analysis_functions"}


def test_oversight_by_a_non_ministry_is_refused_on_ministry():
    oversight = Oversight(ministry=org("nisc"), ceptoar=org("water"))
    assert "ministry" in fields_in_error(oversight)


def test_council_seat_in_a_non_council_is_refused_on_council():
    seat = CouncilSeat(council=org("fsa"), ceptoar=org("water"))
    assert "council" in fields_in_error(seat)


def test_rules_of_a_non_ceptoar_are_refused_on_ceptoar():
    rules = HandlingRules(
        ceptoar=org("fsa"), version=1, title="x", text="x", enacted_on=datetime.date(2020, 1, 1)
    )
    assert "ceptoar" in fields_in_error(rules)


def test_acceptance_of_rules_of_a_ceptoar_one_is_not_a_member_of_is_refused_on_rules():
    rules = HandlingRules.objects.filter(ceptoar__code="banks").order_by("-version").first()
    RulesAcceptance.objects.filter(organisation__code="water-0001", rules=rules).delete()
    acceptance = RulesAcceptance(
        organisation=org("water-0001"),
        rules=rules,
        accepted_on=datetime.date(2025, 5, 1),
        accepted_by_name="x",
    )
    assert fields_in_error(acceptance) == {"rules"}


def test_acceptance_by_a_member_passes():
    rules = HandlingRules.objects.filter(ceptoar__code="banks").order_by("-version").first()
    RulesAcceptance.objects.filter(organisation__code="banks-0001", rules=rules).delete()
    RulesAcceptance(
        organisation=org("banks-0001"),
        rules=rules,
        accepted_on=datetime.date(2025, 5, 1),
        accepted_by_name="x",
    ).full_clean()
