"""Registry invariants of the demo population: the seeds' structure, a POC for everyone, one path per member."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from ceptoar.demo import seed_map
from ceptoar.demo.population import load_demo
from ceptoar.registry import queries
from ceptoar.registry.models import (
    Contact,
    ContactRole,
    Membership,
    Organisation,
    OrganisationKind,
    Oversight,
    RulesAcceptance,
    Sector,
)

pytestmark = pytest.mark.django_db


def test_structure_matches_the_seed_map():
    assert Organisation.objects.filter(kind=OrganisationKind.HUB).count() == 1
    assert set(
        Organisation.objects.filter(kind=OrganisationKind.MINISTRY).values_list("name", flat=True)
    ) == {"総務省", "金融庁", "国土交通省", "経済産業省", "厚生労働省"}
    assert Sector.objects.count() == 10
    ceptoars = Organisation.objects.ceptoars()
    assert ceptoars.count() == 14
    assert ceptoars.values("sector").distinct().count() == 10
    # Every CEPTOAR is overseen by exactly one ministry and sits on the CEPTOAR Council.
    assert Oversight.objects.values("ceptoar").annotate(n=Count("pk")).filter(n=1).count() == 14
    assert Organisation.objects.get(code="ceptoar-council").council_seats.count() == 14
    finance = Organisation.objects.get(code="finance-council").council_seats.values_list(
        "ceptoar__code", flat=True
    )
    assert set(finance) == {"banks", "securities", "life-insurance", "non-life-insurance"}


def test_member_counts_per_ceptoar_and_unit_are_the_seeds():
    counted = Counter(
        {
            (c, u): n
            for c, u, n in Membership.objects.values_list("ceptoar__code", "unit").annotate(n=Count("pk"))
        }
    )
    expected = Counter({(s.code, g.unit): g.count for s in seed_map.CEPTOARS for g in s.members})
    assert counted == expected
    assert counted[("banks", "company")] == 1738
    assert counted[("local-government", "body")] == 1863
    assert sum(counted.values()) == 5692
    assert Membership.objects.filter(ceptoar__code="non-life-insurance", is_observer=True).count() == 3


def test_no_ceptoar_or_member_without_a_poc_and_every_member_has_two_contacts():
    assert not queries.organisations_lacking_poc().exists()
    members = Organisation.objects.filter(kind=OrganisationKind.MEMBER)
    fewer_than_two = members.annotate(n=Count("contacts")).filter(n__lt=2)
    assert not fewer_than_two.exists()
    assert not Contact.objects.filter(channels__isnull=True).exists()


def test_lacking_poc_detects_a_member_whose_only_primary_contact_leaves():
    member = Organisation.objects.get(code="gas-0003")
    member.contacts.filter(role__in=[ContactRole.PRIMARY, ContactRole.DESK_24X7]).update(is_active=False)
    assert list(queries.organisations_lacking_poc()) == [member]


def test_relay_paths_reach_every_member_exactly_once():
    reached = Counter()
    for ceptoar in Organisation.objects.ceptoars():
        for path in queries.relay_paths(ceptoar):
            reached[path.member_id] += 1
            if path.via_id is not None:
                via = Organisation.objects.get(pk=path.via_id)
                assert via.kind == OrganisationKind.SUBGROUP and via.parent_id == ceptoar.pk
    member_ids = set(Membership.objects.values_list("member_id", flat=True))
    assert set(reached) == member_ids
    assert set(reached.values()) == {1}


def test_sub_groups_and_relay_hubs_carry_the_seed_shares():
    t_ceptoar = Membership.objects.filter(ceptoar__code="t-ceptoar")
    assert t_ceptoar.filter(via=None).count() == 0
    assert t_ceptoar.values("via").distinct().count() == 4
    water = Membership.objects.filter(ceptoar__code="water")
    assert water.filter(via=None).count() == 0
    assert water.values("via").distinct().count() == 8
    # The broadcasters are reached through the ministry's 11 regional bureaus (総合通信局).
    broadcasting = Membership.objects.filter(ceptoar__code="broadcasting")
    assert broadcasting.count() == 195 and broadcasting.filter(via=None).count() == 0
    bureaus = Organisation.objects.filter(kind=OrganisationKind.SUBGROUP, parent__code="broadcasting")
    assert set(bureaus.values_list("name", flat=True)) == {
        *(f"{region}総合通信局" for region in ("北海道", "東北", "関東", "信越", "北陸", "東海")),
        *(f"{region}総合通信局" for region in ("近畿", "中国", "四国", "九州")),
        "沖縄総合通信事務所",
    }
    assert set(broadcasting.values_list("via", flat=True)) == set(bureaus.values_list("pk", flat=True))
    assert broadcasting.filter(via__code="broadcasting-bureau-kanto").count() == 42


def test_every_relay_hub_has_a_poc_with_channels_and_a_standing_relay_rule():
    from ceptoar.accounts import access
    from ceptoar.alerts.models import RelayRule

    hubs = Organisation.objects.filter(kind=OrganisationKind.SUBGROUP)
    assert hubs.count() == 4 + 11 + 8  # T-CEPTOAR's SG1–SG4, broadcasting's bureaus, water's hub cities
    for hub in hubs:
        primary = hub.contacts.get(role=ContactRole.PRIMARY)
        assert primary.channels.filter(kind="email").exists(), hub.code
        rule = RelayRule.objects.get(organisation=hub, is_active=True)
        # Whatever its CEPTOAR sends goes on, in the name of someone of the hub who may send.
        assert rule.from_organisation_kinds == [OrganisationKind.CEPTOAR] and rule.categories == []
        assert rule.created_by.organisation_id == hub.pk and access.can_send_alerts(rule.created_by)


def test_rules_enacted_on_the_seed_dates_and_mostly_accepted():
    for seed in seed_map.CEPTOARS:
        first = Organisation.objects.get(code=seed.code).handling_rules.get(version=1)
        assert first.enacted_on == seed.rules_enacted_on
    missing = queries.memberships_without_current_acceptance().count()
    assert 0 < missing < 0.1 * 5692  # the revision is still being collected, as in real life
    assert RulesAcceptance.objects.filter(rules__version=1).count() > 0.95 * 5692


def test_loading_twice_gives_the_same_population():
    def fingerprint():
        return sorted(Organisation.objects.values_list("code", "name")), sorted(
            Contact.objects.values_list("organisation__code", "name", "role")
        )

    before = fingerprint()
    from ceptoar.agreements.models import Agreement

    # The agreements name their parties and signatories (protected): they go first.
    Agreement.objects.all().delete()
    for model in (RulesAcceptance, Membership):
        model.objects.all().delete()
    from ceptoar.accounts.models import User
    from ceptoar.alerts.models import RelayRule
    from ceptoar.registry.models import CeptoarProfile, HandlingRules, Oversight

    RelayRule.objects.all().delete()  # the relay hubs' standing rules, set up in their staff's names
    User.objects.all().delete()
    for model in (HandlingRules, CeptoarProfile, Oversight):
        model.objects.all().delete()
    Organisation.objects.filter(kind=OrganisationKind.SUBGROUP).delete()
    Organisation.objects.all().delete()
    Sector.objects.all().delete()
    load_demo()
    assert fingerprint() == before


def test_load_refuses_to_mix_with_an_existing_registry():
    assert load_demo().already_loaded
    Organisation.objects.filter(code="nisc").update(code="other-hub")
    with pytest.raises(RuntimeError, match="empty database"):
        load_demo()
