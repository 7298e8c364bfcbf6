"""The visibility policy against a deliberately simple oracle, over random small registries.

Each example draws a registry (sectors, CEPTOARs with versions of their handling rules, sub-groups,
members — some reached through sub-groups, some members of two CEPTOARs —, councils seating some CEPTOARs,
acceptances current and stale), users at random organisations and random items (marking, status, origin, author, audience).
It writes them next to the demo registry inside a transaction that is rolled back afterwards, and
compares what `ceptoar.sharing.policy` answers with what the oracle below computes from the plan in
plain Python. The oracle uses nothing from the policy module; it is the rules of DESIGN.md §3 written
as loops over sets. Claims are about the generated users, whose organisations are all generated
(a community audience also reaches demo organisations; no generated user is at one).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ceptoar.accounts.models import User
from ceptoar.alerts.models import Alert, Category
from ceptoar.registry.models import (
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    RulesAcceptance,
    Sector,
)
from ceptoar.registry.queries import ceptoar_family
from ceptoar.sharing import policy
from ceptoar.sharing.models import Audience

TLPS = ["clear", "green", "amber", "amber_strict", "red"]
RANK = {tlp: i for i, tlp in enumerate(TLPS)}
STATUSES = ["draft", "awaiting_approval", "published", "closed"]
SHARED = {"published", "closed"}
AUDIENCE_PARTS = ("community", "sectors", "ceptoars", "subgroups", "organisations")
ITEM_PARTS = ("sectors", "ceptoars", "subgroups", "organisations", "people", "people", "community")
# Days from today on which a version of the rules comes into force (>0: not yet in force).
ENACTED_OFFSETS = [-700, -90, -1, 0, 1, 30]


@dataclass
class Org:
    kind: str
    sector: int | None = None
    parent: int | None = None  # index of the CEPTOAR a sub-group relays for


@dataclass
class Person:
    org: int | None
    active: bool


@dataclass
class Item:
    tlp: str
    status: str
    origin: int
    author: int
    community: bool
    sectors: frozenset[int]
    ceptoars: frozenset[int]
    subgroups: frozenset[int]
    organisations: frozenset[int]
    people: frozenset[int]
    no_onward_relay: bool


@dataclass
class Plan:
    sectors: int
    orgs: list[Org]
    rules: dict[int, list[int]]  # CEPTOAR index → enacted offset of version 1, 2, …
    memberships: list[tuple[int, int, int | None]]  # (CEPTOAR, member, via sub-group)
    acceptances: set[tuple[int, int, int]]  # (member, CEPTOAR, version)
    people: list[Person]
    items: list[Item] = field(default_factory=list)
    seats: set[tuple[int, int]] = field(default_factory=set)  # (council, CEPTOAR)


def subset(draw, pool, max_size: int = 2) -> frozenset[int]:
    pool = list(pool)
    if not pool:
        return frozenset()
    return frozenset(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=max_size, unique=True)))


@st.composite
def plans(draw) -> Plan:
    n_sectors = draw(st.integers(1, 3))
    sector_or_none = st.one_of(st.none(), st.integers(0, n_sectors - 1))
    orgs: list[Org] = []
    ceptoars = []
    for _ in range(draw(st.integers(1, 3))):
        ceptoars.append(len(orgs))
        orgs.append(Org("ceptoar", draw(st.integers(0, n_sectors - 1))))
    subgroups = []
    for _ in range(draw(st.sampled_from([1, 2, 0, 3]))):
        parent = draw(st.sampled_from(ceptoars))
        subgroups.append(len(orgs))
        orgs.append(Org("subgroup", draw(st.one_of(st.just(orgs[parent].sector), sector_or_none)), parent))
    members = []
    for _ in range(draw(st.integers(1, 5))):
        members.append(len(orgs))
        orgs.append(Org(draw(st.sampled_from(["member", "member", "related_body"])), draw(sector_or_none)))
    for _ in range(draw(st.integers(0, 2))):
        orgs.append(Org(draw(st.sampled_from(["hub", "ministry", "council"])), draw(sector_or_none)))

    rules = {
        c: [draw(st.sampled_from(ENACTED_OFFSETS)) for _ in range(draw(st.sampled_from([0, 1, 1, 2, 2, 3])))]
        for c in ceptoars
    }
    memberships = []
    acceptances = set()
    for member in members:
        count = min(len(ceptoars), draw(st.sampled_from([1, 1, 2, 0])))
        for ceptoar in draw(st.lists(st.sampled_from(ceptoars), min_size=count, max_size=count, unique=True)):
            relays = [g for g in subgroups if orgs[g].parent == ceptoar]
            via = draw(st.sampled_from([*relays, *relays, None])) if relays else None
            memberships.append((ceptoar, member, via))
            for version in range(1, len(rules[ceptoar]) + 1):
                if draw(st.booleans()):
                    acceptances.add((member, ceptoar, version))

    people = [
        Person(
            # Mostly at members, whose acceptance of the rules is what AMBER and RED turn on.
            draw(st.sampled_from([*members * 4, *range(len(orgs)), None])),
            draw(st.sampled_from([True] * 5 + [False])),
        )
        for _ in range(draw(st.integers(2, 5)))
    ]
    # Most items come from one writer, so that what the others see is mostly decided by the audience
    # rather than by being the author or a colleague of the author.
    writer = len(people)
    people.append(Person(draw(st.integers(0, len(orgs) - 1)), True))
    plan = Plan(n_sectors, orgs, rules, memberships, acceptances, people)
    # Councils seat some of the CEPTOARs: naming a council reaches its seats.
    for council in (i for i, org in enumerate(orgs) if org.kind == "council"):
        plan.seats |= {(council, c) for c in ceptoars if draw(st.booleans())}
    for _ in range(draw(st.integers(1, 5))):
        # One or two parts per audience, so that each route is often the only one that reaches someone.
        parts = set(draw(st.lists(st.sampled_from(ITEM_PARTS), min_size=1, max_size=2, unique=True)))
        plan.items.append(
            Item(
                # Weighted towards the markings whose rules have the most branches.
                tlp=draw(st.sampled_from([*TLPS, "amber", "amber_strict", "red", "red"])),
                status=draw(st.sampled_from(STATUSES)),
                origin=draw(st.sampled_from([people[writer].org] * 3 + list(range(len(orgs))))),
                author=draw(st.sampled_from([writer] * 3 + list(range(len(people))))),
                community="community" in parts,
                sectors=subset(draw, range(n_sectors)) if "sectors" in parts else frozenset(),
                ceptoars=subset(draw, ceptoars) if "ceptoars" in parts else frozenset(),
                subgroups=subset(draw, subgroups) if "subgroups" in parts else frozenset(),
                organisations=subset(draw, range(len(orgs))) if "organisations" in parts else frozenset(),
                people=subset(draw, range(len(people)), max_size=3) if "people" in parts else frozenset(),
                no_onward_relay=draw(st.sampled_from([False, False, False, True])),
            )
        )
    # Items aimed at one person through one route of the registry (their CEPTOAR, the sub-group that
    # relays to them, the sector of their CEPTOAR …): random audiences seldom hit these narrow paths.
    for index, person in enumerate(people[:writer]):
        if person.org is None:
            continue
        routes = [("organisations", person.org), ("people", index), ("people", index)]
        for ceptoar, member, via in memberships:
            if member == person.org:
                routes += [("ceptoars", ceptoar), ("sectors", orgs[ceptoar].sector)]
                if via is not None:
                    routes += [("subgroups", via)] * 2
        if orgs[person.org].sector is not None:
            routes.append(("sectors", orgs[person.org].sector))
        if orgs[person.org].parent is not None:
            routes.append(("ceptoars", orgs[person.org].parent))
        routes += [("organisations", council) for council, seated in plan.seats if seated == person.org]
        part, target = draw(st.sampled_from(routes))
        plan.items.append(
            Item(
                tlp=draw(st.sampled_from(["red", "amber", "amber_strict", "green", "clear", "red"])),
                status=draw(st.sampled_from(["published", *STATUSES])),
                origin=people[writer].org,
                author=writer,
                community=False,
                no_onward_relay=False,
                **{
                    name: frozenset({target} if name == part else ())
                    for name in (*AUDIENCE_PARTS[1:], "people")
                },
            )
        )
    return plan


# -- the oracle ------------------------------------------------------------------------------------


class Oracle:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def current_version(self, ceptoar: int) -> int | None:
        in_force = [v for v, offset in enumerate(self.plan.rules[ceptoar], start=1) if offset <= 0]
        return max(in_force) if in_force else None

    def bound(self, org: int) -> bool:
        for ceptoar, member, _via in self.plan.memberships:
            if member != org:
                continue
            current = self.current_version(ceptoar)
            if current is not None and (member, ceptoar, current) not in self.plan.acceptances:
                return False
        return True

    def expand_part(self, item: Item, part: str) -> set[int]:
        """The generated organisations one part of the audience reaches."""
        orgs = self.plan.orgs
        reached: set[int] = set()
        if part == "community" and item.community:
            reached = set(range(len(orgs)))
        elif part == "sectors":
            reached = {
                i for i, org in enumerate(orgs) if org.sector is not None and org.sector in item.sectors
            }
            reached |= {m for c, m, _via in self.plan.memberships if orgs[c].sector in item.sectors}
        elif part == "ceptoars":
            reached = set(item.ceptoars)
            reached |= {
                i for i, org in enumerate(orgs) if org.parent is not None and org.parent in item.ceptoars
            }
            reached |= {m for c, m, _via in self.plan.memberships if c in item.ceptoars}
        elif part == "subgroups":
            reached = set(item.subgroups)
            reached |= {
                m for _c, m, via in self.plan.memberships if via is not None and via in item.subgroups
            }
        elif part == "organisations":
            reached = set(item.organisations)
            reached |= {c for council, c in self.plan.seats if council in item.organisations}
        return reached

    def expand(self, item: Item) -> set[int] | None:
        """The generated organisations the audience reaches; None for the whole community (which also
        reaches every demo organisation)."""
        if item.community:
            return None
        return set().union(*(self.expand_part(item, part) for part in AUDIENCE_PARTS))

    def reaches(self, item: Item, org: int) -> bool:
        expanded = self.expand(item)
        return expanded is None or org in expanded

    def decide(self, person: int, item: Item, *, with_status: bool) -> tuple[bool, str]:
        """Whether the person sees the item, and which rule decided (reported as a hypothesis event)."""
        who = self.plan.people[person]
        if not who.active:
            return False, "inactive"
        if who.org is None:
            return False, "no organisation"
        if item.author == person:
            return True, "author"
        if item.origin == who.org and item.tlp != "red":
            return True, "originating organisation"
        if with_status and item.status not in SHARED:
            return False, "not published"
        named = person in item.people
        reached = self.reaches(item, who.org)
        bound = self.bound(who.org)
        if item.tlp in ("clear", "green"):
            return named or reached, f"open, named={named}, reached={reached}"
        if item.tlp in ("amber", "amber_strict"):
            return (named or reached) and bound, f"amber, named or reached={named or reached}, bound={bound}"
        return named and bound, f"red, named={named}, bound={bound}, own={item.origin == who.org}"

    def sees(self, person: int, item: Item, *, with_status: bool) -> bool:
        return self.decide(person, item, with_status=with_status)[0]

    def routes(self, person: int, item: Item) -> list[str]:
        org = self.plan.people[person].org
        return [part for part in AUDIENCE_PARTS if org is not None and org in self.expand_part(item, part)]

    def relay_problems(self, parent: Item, tlp: str, child: Item) -> set[str]:
        if parent.no_onward_relay:
            return {"__all__"}
        problems = set()
        if RANK[tlp] < RANK[parent.tlp]:
            problems.add("tlp")
        parent_orgs, child_orgs = self.expand(parent), self.expand(child)
        if parent_orgs is not None and (child_orgs is None or not child_orgs <= parent_orgs):
            problems.add("audience")
        for person in child.people:
            if person in parent.people:
                continue
            org = self.plan.people[person].org
            if parent.tlp == "red" or org is None or not self.reaches(parent, org):
                problems.add("audience")
        return problems


# -- writing a plan to the database ----------------------------------------------------------------


@dataclass
class Built:
    orgs: list[Organisation]
    users: list[User]
    alerts: list[Alert]


def build(plan: Plan) -> Built:
    today = timezone.localdate()
    sectors = [Sector.objects.create(code=f"hyp-s{i}", name=f"hyp-s{i}") for i in range(plan.sectors)]
    orgs: list[Organisation] = []
    for i, org in enumerate(plan.orgs):
        orgs.append(
            Organisation.objects.create(
                code=f"hyp-o{i}",
                name=f"hyp-o{i}",
                kind=org.kind,
                sector=sectors[org.sector] if org.sector is not None else None,
                parent=orgs[org.parent] if org.parent is not None else None,
            )
        )
    versions = {}
    for ceptoar, offsets in plan.rules.items():
        for version, offset in enumerate(offsets, start=1):
            versions[ceptoar, version] = HandlingRules.objects.create(
                ceptoar=orgs[ceptoar],
                version=version,
                title="rules",
                text="rules",
                enacted_on=today + datetime.timedelta(days=offset),
            )
    Membership.objects.bulk_create(
        Membership(ceptoar=orgs[c], member=orgs[m], via=orgs[v] if v is not None else None, unit="company")
        for c, m, v in plan.memberships
    )
    CouncilSeat.objects.bulk_create(CouncilSeat(council=orgs[k], ceptoar=orgs[c]) for k, c in plan.seats)
    RulesAcceptance.objects.bulk_create(
        RulesAcceptance(organisation=orgs[m], rules=versions[c, v], accepted_on=today, accepted_by_name="hyp")
        for m, c, v in plan.acceptances
    )
    users = [
        User.objects.create_user(
            username=f"hyp-u{i}",
            password=None,
            organisation=orgs[p.org] if p.org is not None else None,
            is_active=p.active,
        )
        for i, p in enumerate(plan.people)
    ]
    alerts = []
    for item in plan.items:
        audience = Audience.objects.create(community=item.community)
        audience.sectors.set([sectors[i] for i in item.sectors])
        audience.ceptoars.set([orgs[i] for i in item.ceptoars])
        audience.subgroups.set([orgs[i] for i in item.subgroups])
        audience.organisations.set([orgs[i] for i in item.organisations])
        audience.people.set([users[i] for i in item.people])
        alerts.append(
            Alert.objects.create(
                title="hyp",
                category=Category.OTHER,
                tlp=item.tlp,
                status=item.status,
                audience=audience,
                origin_organisation=orgs[item.origin],
                author=users[item.author],
                no_onward_relay=item.no_onward_relay,
            )
        )
    return Built(orgs, users, alerts)


PROPERTY_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(plan=plans())
def test_visibility_matches_the_oracle(plan: Plan):
    oracle = Oracle(plan)
    with transaction.atomic():
        built = build(plan)
        ids = [alert.pk for alert in built.alerts]
        items = Alert.objects.filter(pk__in=ids)
        for person, user in enumerate(built.users):
            user = User.objects.get(pk=user.pk)  # as a request would load it
            generic = {
                ids[i] for i, item in enumerate(plan.items) if oracle.sees(person, item, with_status=False)
            }
            shown = {
                ids[i] for i, item in enumerate(plan.items) if oracle.sees(person, item, with_status=True)
            }
            listed = list(policy.visible(user, items).values_list("pk", flat=True))
            assert sorted(listed) == sorted(generic), f"visible() for hyp-u{person}"
            listed = list(policy.visible_alerts(user, items).values_list("pk", flat=True))
            assert sorted(listed) == sorted(shown), f"visible_alerts() for hyp-u{person}"
            for i, alert in enumerate(built.alerts):
                event(oracle.decide(person, plan.items[i], with_status=False)[1])
                routes = oracle.routes(person, plan.items[i])
                if len(routes) == 1:
                    event(f"reached only through {routes[0]}")
                # may_see() asks one item at a time (about 20 ms of query building each): two people
                # per example are enough to hold it to the oracle.
                if person < 2:
                    assert policy.may_see(user, alert) == (alert.pk in shown), (
                        f"may_see(hyp-u{person}, {alert.tlp})"
                    )
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(PROPERTY_SETTINGS, max_examples=40)
@given(plan=plans())
def test_audience_expansion_and_relays_match_the_oracle(plan: Plan):
    oracle = Oracle(plan)
    with transaction.atomic():
        built = build(plan)
        org_index = {org.pk: i for i, org in enumerate(built.orgs)}
        for item, alert in zip(plan.items, built.alerts, strict=True):
            reached = list(policy.audience_organisations(alert.audience).values_list("pk", flat=True))
            assert len(reached) == len(set(reached))
            expected = oracle.expand(item)
            if expected is None:
                assert set(org_index) <= set(reached)
            else:
                # Every sector and organisation an audience names is generated, so nothing else appears.
                assert {org_index.get(pk, -1) for pk in reached} == expected
        for index, org in enumerate(plan.orgs):
            if org.kind == "ceptoar":
                alone = Item("green", "published", 0, 0, False, *[frozenset()] * 5, False)
                alone.ceptoars = frozenset({index})
                family = ceptoar_family(built.orgs[index]).values_list("pk", flat=True)
                assert {org_index.get(pk, -1) for pk in family} == oracle.expand(alone)
        for (parent, parent_alert), (child, child_alert) in product(
            list(zip(plan.items, built.alerts, strict=True))[:3], repeat=2
        ):
            for tlp in {child.tlp, parent.tlp}:
                expected = oracle.relay_problems(parent, tlp, child)
                try:
                    policy.validate_relay(parent_alert, tlp, child_alert.audience)
                    problems = set()
                except ValidationError as error:
                    problems = set(error.message_dict)
                assert problems == expected, f"relay of {parent} as {tlp} to {child}"
        transaction.set_rollback(True)
