"""Visible means delivered (alerts.reach): for each audience kind and each sender kind, every organisation
that may see an alert is delivered to, reached by a relay, or said beforehand to see it only, with why; or
the send is refused."""

from __future__ import annotations

import pytest

from ceptoar.alerts.reach import preview_reach
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.models import CouncilSeat, Membership, Organisation, OrganisationKind, Oversight
from ceptoar.registry.queries import ceptoar_family
from ceptoar.sharing.models import Tlp
from tests.agreements.helpers import in_force, staff_of, term

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def reach(sender: str, tlp: str = Tlp.GREEN, category: str = "malware", **audience):
    return preview_reach(org(sender), AudienceSpec(**audience), tlp, category)


def family_size(*codes: str) -> int:
    return sum(ceptoar_family(org(code)).count() for code in codes)


def accounted(result) -> int:
    """Every organisation the preview speaks of: delivered, relayed to, or visible only."""
    delivered = result.delivered.count if result.delivered else 0
    return delivered + sum(g.count for g in result.relayed_by) + result.visible_only_count


def test_hub_to_the_community_delivers_to_the_ministries_and_says_who_only_sees_it():
    result = reach("nisc", community=True)
    assert not result.refused
    assert result.delivered.count == Organisation.objects.filter(kind=OrganisationKind.MINISTRY).count()
    assert len(result.relayed_by) == 5
    outside = Organisation.objects.filter(kind__in=(OrganisationKind.RELATED_BODY, OrganisationKind.COUNCIL))
    (group,) = result.visible_only
    assert group.count == outside.count() and "not in any CEPTOAR's chain" in group.text
    # Nothing the policy lets see it is left unsaid (the hub itself is the sender).
    assert accounted(result) == Organisation.objects.count() - 1


def test_hub_to_a_sector_names_its_related_bodies_as_visible_only():
    result = reach("nisc", tlp=Tlp.AMBER, sectors=["finance"])
    assert [name for name in result.delivered.names] == [org("fsa").name]
    (relay,) = result.relayed_by
    finance = ("banks", "securities", "life-insurance", "non-life-insurance")
    assert relay.count == family_size(*finance)
    (group,) = result.visible_only
    assert org("fisc").name in group.names and org("finance-council").name in group.names


def test_ministry_naming_a_ceptoar_it_oversees_reaches_all_its_members_by_relay():
    result = reach("fsa", ceptoars=["banks"])
    assert result.delivered.names == [org("banks").name]
    assert [g.count for g in result.relayed_by] == [family_size("banks") - 1]
    assert result.visible_only == [] and result.refused == []


def test_ministry_naming_a_ceptoar_it_does_not_oversee_is_refused_by_name():
    result = reach("fsa", ceptoars=["banks", "electricity"])
    assert result.refused == [
        f"{org('electricity').name} is not overseen by {org('fsa').name}: your relay would not reach it. "
        "Leave it out, or ask its ministry or the hub to send it."
    ]
    # A sub-group or a member of such a CEPTOAR too.
    assert reach("fsa", subgroups=["t-ceptoar-sg1"]).refused
    assert reach("fsa", organisations=["banks-0001", "water-0001"]).refused


def test_ministry_writing_to_another_sector_says_its_ceptoars_only_see_it():
    result = reach("fsa", sectors=["electricity"])
    assert not result.refused and result.delivered is None
    texts = {group.text: group.count for group in result.visible_only}
    not_overseen = [count for text, count in texts.items() if "does not oversee" in text]
    assert not_overseen == [family_size("electricity")]


def test_ceptoar_to_its_own_members_is_delivered_without_an_agreement():
    result = reach("banks", organisations=["banks-0001", "banks-0002"])
    assert result.delivered.count == 2 and not result.visible_only and not result.refused


@pytest.mark.parametrize(
    "audience",
    [
        {"ceptoars": ["electricity"]},
        {"sectors": ["electricity"]},
        {"community": True},
        {"subgroups": ["t-ceptoar-sg1"]},
        {"organisations": ["telecom-isac"]},
    ],
)
def test_ceptoar_beyond_its_chain_without_an_agreement_is_refused(audience):
    result = reach("banks", **audience)
    assert result.refused
    # The demo's finance agreements cover some parties of a community alert, and FISC's covers reports only.
    assert all(
        message.startswith("No agreement in force lets") or "does not cover" in message
        for message in result.refused
    )


def test_ceptoar_under_an_agreement_delivers_to_the_receiver_which_relays():
    in_force(["banks", "electricity"], [term("banks", "electricity", may_relay=True)])
    result = reach("banks", ceptoars=["electricity"])
    assert result.delivered.names == [org("electricity").name]
    assert [g.count for g in result.relayed_by] == [family_size("electricity") - 1]
    assert not result.visible_only and not result.refused


def test_ceptoar_under_an_agreement_without_relay_says_the_members_only_see_it():
    in_force(["banks", "electricity"], [term("banks", "electricity", may_relay=False)])
    result = reach("banks", ceptoars=["electricity"])
    assert result.delivered.names == [org("electricity").name]
    (group,) = result.visible_only
    assert group.count == family_size("electricity") - 1 and "does not let it relay" in group.text


def test_a_sub_group_of_another_ceptoar_goes_through_that_ceptoar():
    in_force(["banks", "t-ceptoar"], [term("banks", "t-ceptoar")])
    result = reach("banks", subgroups=["t-ceptoar-sg1"])
    assert result.delivered.names == [org("t-ceptoar").name]
    members = Membership.objects.filter(via__code="t-ceptoar-sg1").count()
    assert [g.count for g in result.relayed_by] == [members + 1]


def test_a_named_person_of_another_organisation_counts_as_its_party():
    person = staff_of("electricity")
    assert reach("banks", people=[person.username]).refused
    in_force(["banks", "electricity"], [term("banks", "electricity")])
    result = reach("banks", people=[person.username])
    assert result.delivered.names == [org("electricity").name] and not result.visible_only


def test_hub_naming_a_person_outside_any_delivery_says_so():
    person = staff_of("fisc")
    result = reach("nisc", people=[person.username])
    (group,) = result.visible_only
    assert group.names == [str(person)] and "their organisation gets no delivery" in group.text


def test_red_goes_to_named_people_as_a_notice():
    person = staff_of("banks")
    person.email = "red@example.jp"
    person.save()
    result = reach("nisc", tlp=Tlp.RED, people=[person.username])
    assert result.people_notified == 1 and not result.visible_only


def test_sub_group_sender_reaches_the_members_it_relays_to_and_says_who_else_only_sees_it():
    own = Membership.objects.filter(via__code="t-ceptoar-sg1").order_by("member__code").first().member
    other = Membership.objects.filter(via__code="t-ceptoar-sg2").order_by("member__code").first().member
    result = reach("t-ceptoar-sg1", organisations=[own.code, other.code])
    assert result.delivered.names == [own.name]
    (group,) = result.visible_only
    assert group.names == [other.name] and "outside what" in group.text


def test_related_body_sends_only_under_agreements():
    assert reach("fisc", ceptoars=["electricity"]).refused
    in_force(["fisc", "electricity"], [term("fisc", "electricity", may_relay=True)])
    result = reach("fisc", ceptoars=["electricity"])
    assert result.delivered.names == [org("electricity").name] and not result.refused


def test_amber_leaves_out_those_that_may_not_see_it():
    """AMBER reaches only organisations bound by their CEPTOAR's rules: those that have not accepted them
    are not 'visible only', they do not see it at all."""
    ministries = Oversight.objects.values("ministry_id").distinct().count()
    result = reach("nisc", tlp=Tlp.AMBER, community=True)
    assert result.delivered.count == ministries
    assert accounted(result) <= Organisation.objects.count() - 1


def test_the_preview_writes_nothing():
    from ceptoar.sharing.models import Audience

    before = Audience.objects.count()
    reach("nisc", community=True)
    assert Audience.objects.count() == before


def test_a_council_posts_to_its_own_seats_under_its_rules_not_under_agreements():
    council = org("ceptoar-council")
    refused = reach("ceptoar-council", ceptoars=["electricity"]).refused
    assert refused == [f"A council posts to its own seats: name {council.code} alone as the audience."]
    result = reach("ceptoar-council", organisations=["ceptoar-council"])
    seats = CouncilSeat.objects.filter(council=council).count()
    assert not result.refused and result.delivered.count == seats and not result.visible_only
