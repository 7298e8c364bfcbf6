"""Correlation never crosses the visibility policy (issue 17, point 6), over random worlds.

Each example draws items of every kind — alerts and relays of them, reports with hops within random
consents, failure cases, indicator sets — with random markings, statuses, audiences and authors among the
demo's accounts (organisations in several sectors: banks, securities, water, the hub, a ministry), random
shared observables (one of them warning-listed) and a random reader. Inside a transaction rolled back
afterwards it checks:

(a) every item correlation shows is one the reader may see (`sharing.policy`; alerts: may read);
(b) non-interference: adding items the reader may not see — new chains, relays of the items already there,
    reports, cases and sets carrying the same values — changes nothing in what the reader is shown: related
    items and their values, totals, over-correlation flags (at a limit of 1 to 3, so that they occur), the values
    correlated from a paste, and the signals with their counts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ceptoar.accounts.models import User
from ceptoar.alerts.models import Alert
from ceptoar.intel import correlation
from ceptoar.intel.models import IndicatorSet
from ceptoar.registry.models import Organisation
from ceptoar.reports.models import Case, Report
from ceptoar.sharing import policy
from tests.intel import factories_corr as make

PEOPLE = [
    "demo-hub",
    "demo-ministry",
    "demo-secretariat",
    "demo-securities",
    "demo-coordinator",
    "demo-member",
    "demo-member2",
    "demo-analyst",
    "demo-water",
    "demo-fisc",
]
CEPTOARS = ["banks", "securities", "water"]
VALUES = [
    ("ipv4-addr", "198.51.100.7"),
    ("domain-name", "evil.example"),
    ("sha256", "a" * 64),
    ("ipv4-addr", "8.8.8.8"),  # warning-listed
]
WARNING = {("ipv4-addr", "8.8.8.8"): "public-resolvers"}
TLPS = ["clear", "green", "amber", "amber_strict", "red"]
SECTORS = ["finance", "water", "telecom"]
ORGS = ["banks", "banks-0001", "banks-0002", "securities", "water", "water-0001", "nisc", "fsa"]

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


@dataclass
class ItemPlan:
    kind: str  # alert, relay, report, case, set
    author: str
    tlp: str
    status_draw: int
    audience: tuple  # ("community",) | ("sectors", codes) | ("organisations", codes) | ("people", names)
    values: frozenset[int]
    link: int  # which earlier alert a relay relays, which report a case is made of (modulo what exists)
    hops: frozenset[str]
    scope: str
    sighted_by: str


@st.composite
def item_plans(draw, kinds=("alert", "relay", "report", "case", "set")):
    audience_kind = draw(st.sampled_from(["community", "sectors", "organisations", "people"]))
    if audience_kind == "community":
        spec = ("community",)
    elif audience_kind == "sectors":
        spec = (
            "sectors",
            tuple(draw(st.lists(st.sampled_from(SECTORS), min_size=1, max_size=2, unique=True))),
        )
    elif audience_kind == "organisations":
        spec = (
            "organisations",
            tuple(draw(st.lists(st.sampled_from(ORGS), min_size=1, max_size=2, unique=True))),
        )
    else:
        spec = ("people", tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2, unique=True))))
    return ItemPlan(
        kind=draw(st.sampled_from(kinds)),
        author=draw(st.sampled_from(PEOPLE)),
        tlp=draw(st.sampled_from(TLPS)),
        status_draw=draw(st.integers(0, 5)),
        audience=spec,
        values=frozenset(
            draw(st.lists(st.integers(0, len(VALUES) - 1), min_size=1, max_size=3, unique=True))
        ),
        link=draw(st.integers(0, 20)),
        hops=frozenset(
            draw(st.lists(st.sampled_from(["secretariat", "ministry", "hub"]), max_size=3, unique=True))
        ),
        scope=draw(st.sampled_from(["secretariat", "ministry", "hub"])),
        sighted_by=draw(st.sampled_from(ORGS)),
    )


class World:
    def __init__(self):
        self.users = {u.username: u for u in User.objects.filter(username__in=PEOPLE)}
        self.orgs = {o.code: o for o in Organisation.objects.filter(code__in=ORGS + CEPTOARS)}
        self.alerts: list[Alert] = []
        self.reports: list[Report] = []

    def _spec(self, plan: ItemPlan) -> dict:
        kind, *rest = plan.audience
        if kind == "community":
            return {"community": True}
        if kind == "people":
            return {"people": [self.users[name] for name in rest[0]]}
        return {kind: list(rest[0])}

    def build(self, plan: ItemPlan):
        author = self.users[plan.author]
        spec = self._spec(plan)
        statuses = {
            "alert": ["published", "published", "closed", "draft", "awaiting_approval", "published"],
            "report": ["new", "triaged", "closed", "draft", "forwarded", "new"],
            "case": ["published", "published", "review", "awaiting_approval", "withdrawn", "approved"],
            "set": ["published", "published", "draft", "withdrawn", "published", "draft"],
        }
        kind = plan.kind
        if kind == "relay" and not self.alerts:
            kind = "alert"
        if kind == "case" and not self.reports:
            kind = "report"
        if kind == "alert":
            item = make.alert(author, tlp=plan.tlp, status=statuses["alert"][plan.status_draw], **spec)
            self.alerts.append(item)
        elif kind == "relay":
            parent = self.alerts[plan.link % len(self.alerts)]
            item = make.alert(author, tlp=plan.tlp, status="published", parent=parent, **spec)
            self.alerts.append(item)
        elif kind == "report":
            ceptoar = self.orgs[CEPTOARS[plan.link % len(CEPTOARS)]]
            hop_orgs = {"secretariat": ceptoar, "ministry": self.orgs["fsa"], "hub": self.orgs["nisc"]}
            item = make.report(
                author,
                ceptoar=ceptoar,
                status=statuses["report"][plan.status_draw],
                scope=plan.scope,
                hops=[(hop_orgs[level], level) for level in sorted(plan.hops)],
            )
            self.reports.append(item)
        elif kind == "case":
            source = self.reports[plan.link % len(self.reports)]
            item = make.case(author, source, tlp=plan.tlp, status=statuses["case"][plan.status_draw], **spec)
        else:
            item = make.indicator_set(author, tlp=plan.tlp, status=statuses["set"][plan.status_draw], **spec)
        # Sightings are recorded on an alert's original only: a relay carries none of its own.
        if kind == "relay":
            return item
        for index in sorted(plan.values):
            type_, value = VALUES[index]
            make.sight(
                item,
                type_,
                value,
                warning_list=WARNING.get(VALUES[index], ""),
                organisation=self.orgs[plan.sighted_by],
                seen_at=timezone.now() - datetime.timedelta(days=plan.link % 10),
            )
        return item


def readable(user, item) -> bool:
    if isinstance(item, Alert):
        return policy.may_read_content(user, item)
    return policy.may_see(user, item)


def visible_to(user, item) -> bool:
    """Whether `user` may see `item` in any way (an alert's envelope included)."""
    return policy.may_see(user, item)


MODELS = {"alert": Alert, "report": Report, "case": Case, "indicator_set": IndicatorSet}


def frozen(result) -> tuple:
    return (
        tuple((i.kind, i.pk, i.title, tuple(i.values)) for i in result.items),
        result.total,
        tuple(result.over_correlating),
        tuple(result.warning_listed),
        result.values_checked,
    )


def check_shown(user, related: list) -> None:
    """(a): every item shown is one the reader may see (alerts: may read, the nearest of their chain). One
    query per kind, whatever the number of items."""
    by_kind: dict[str, set[int]] = {}
    for item in related:
        by_kind.setdefault(item.kind, set()).add(item.pk)
    readers = {
        "alert": lambda ids: policy.readable_alerts(
            user, policy.nearest_visible_alerts(user, Alert.objects.filter(pk__in=ids))
        ),
        "report": lambda ids: policy.visible_reports(user, Report.objects.filter(pk__in=ids)),
        "case": lambda ids: policy.visible_cases(user, Case.objects.filter(pk__in=ids)),
        "indicator_set": lambda ids: policy.visible_indicator_sets(
            user, IndicatorSet.objects.filter(pk__in=ids)
        ),
    }
    for kind, ids in by_kind.items():
        seen = set(readers[kind](ids).values_list("pk", flat=True))
        assert seen == ids, f"{kind} {sorted(ids - seen)} shown to {user}"


def outputs(user, items) -> tuple:
    shown = []
    related = []
    for item in items:
        result = correlation.related_items(user, item, per_page=500)
        assert (correlation.item_kind(item), item.pk) not in {(i.kind, i.pk) for i in result.items}
        related.extend(result.items)
        shown.append((type(item).__name__, item.pk, frozen(result)))
    pasted = correlation.correlate_values(user, VALUES, per_page=500)
    related.extend(pasted.items)
    check_shown(user, related)
    found = tuple(
        (s.value, s.organisations, s.sectors, s.items, s.first_seen, s.last_seen)
        for s in correlation.signals(user, days=30, min_organisations=1, min_sectors=0)
    )
    event(f"related items shown: {min(len(related), 3)}+" if related else "nothing related")
    if pasted.over_correlating or any(entry[2][2] for entry in shown):
        event("a value held back as over-correlating")
    return tuple(shown), frozen(pasted), found


def remove(item) -> None:
    """Take `item` away with what depends on it (relays of it, cases made of it), seen or not."""
    if isinstance(item, Report):
        Case.objects.filter(report=item).delete()
    if isinstance(item, Alert):
        for relay in Alert.objects.filter(parent=item):
            remove(relay)
    item.delete()


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(
    base=st.lists(item_plans(), min_size=2, max_size=7),
    extra=st.lists(item_plans(kinds=("alert", "relay", "report", "case", "set")), min_size=1, max_size=6),
    reader=st.sampled_from(PEOPLE),
    limit=st.sampled_from([1, 2, 3]),
)
def test_correlation_shows_only_what_the_reader_may_see_and_hidden_items_change_nothing(
    base, extra, reader, limit
):
    with transaction.atomic(), override_settings(CEPTOAR_CORRELATION_LIMIT=limit):
        world = World()
        items = [world.build(plan) for plan in base]
        user = User.objects.get(username=reader)
        mine = [item for item in items if readable(user, item)]
        before = outputs(user, mine)

        # Items the reader may not see: relays of what is there, new chains, reports, cases and sets with the
        # same values. Those the draw made visible to the reader are taken away again before comparing.
        added = [world.build(plan) for plan in extra]
        for item in reversed(added):
            if visible_to(user, item):
                remove(item)
        after = outputs(user, mine)
        assert after == before
        transaction.set_rollback(True)
