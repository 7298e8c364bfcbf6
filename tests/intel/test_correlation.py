"""Correlation within what the reader may see: related items, relays, removed and warning-listed values,
over-correlation counted per reader, values not stored yet, signals, and the query budget."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ceptoar.intel import correlation
from ceptoar.registry.models import Organisation
from tests.intel import factories_corr as make

pytestmark = pytest.mark.django_db

IP = ("ipv4-addr", "198.51.100.7")
DOMAIN = ("domain-name", "evil.example")


def shown(result) -> list[tuple[str, int]]:
    return [(item.kind, item.pk) for item in result.items]


@pytest.fixture
def people(demo_user):
    return {name: demo_user(name) for name in ("demo-hub", "demo-secretariat", "demo-member", "demo-member2")}


def banks_report(author, *values, **kwargs):
    banks = Organisation.objects.get(code="banks")
    made = make.report(author, ceptoar=banks, hops=[(banks, "secretariat")], **kwargs)
    for type_, value in values:
        make.sight(made, type_, value)
    return made


def test_reports_correlate_for_the_secretariat_but_not_across_members(people):
    first = banks_report(people["demo-member"], IP, DOMAIN)
    second = banks_report(people["demo-member2"], IP)

    result = correlation.related_items(people["demo-secretariat"], first)
    assert shown(result) == [("report", second.pk)]
    assert [v.value for v in result.items[0].values] == [IP[1]]
    assert result.total == 1 and result.values_checked == 2

    # Each member sees its own report only: the other member's is not hinted at in any way.
    for name, own in (("demo-member2", second), ("demo-member", first)):
        result = correlation.related_items(people[name], own)
        assert result.items == [] and result.total == 0 and result.over_correlating == []


def test_nothing_for_a_reader_who_may_not_see_the_item(people):
    first = banks_report(people["demo-member"], IP)
    banks_report(people["demo-secretariat"], IP)
    result = correlation.related_items(people["demo-member2"], first)
    assert result.total == 0 and not result.shown


def test_removed_sightings_never_correlate(people):
    first = banks_report(people["demo-member"], IP)
    second = banks_report(people["demo-member2"], IP)
    make.sight(second, *IP, removed=True)
    assert correlation.related_items(people["demo-secretariat"], first).total == 0
    # Nor is a removed value of the item itself correlated.
    make.sight(second, *IP, removed=False)
    make.sight(first, *IP, removed=True)
    assert correlation.related_items(people["demo-secretariat"], first).total == 0


def test_warning_listed_values_are_shown_as_such_and_never_correlate(people):
    resolver = ("ipv4-addr", "8.8.8.8")
    first = banks_report(people["demo-member"])
    make.sight(first, *resolver, warning_list="public-resolvers")
    second = banks_report(people["demo-member2"])
    make.sight(second, *resolver, warning_list="public-resolvers")

    result = correlation.related_items(people["demo-secretariat"], first)
    assert result.total == 0
    assert [(v.value, v.warning_list) for v in result.warning_listed] == [("8.8.8.8", "public-resolvers")]


def test_a_relay_shows_the_correlation_through_the_nearest_alert_the_reader_sees(people):
    hub, secretariat, member = people["demo-hub"], people["demo-secretariat"], people["demo-member"]
    # The hub's alert reaches the banks' CEPTOAR only; its relay reaches the members.
    original = make.alert(hub, organisations=["banks"])
    make.sight(original, *IP)
    relay = make.alert(secretariat, parent=original, ceptoars=["banks"])
    indicators = make.indicator_set(hub)
    make.sight(indicators, *IP)

    assert shown(correlation.related_items(member, indicators)) == [("alert", relay.pk)]
    # The hub sees the original and not the relay (the relay's audience is the banks' members).
    assert shown(correlation.related_items(hub, indicators)) == [("alert", original.pk)]
    # From the relay's own page, the original's observables correlate.
    assert shown(correlation.related_items(member, relay)) == [("indicator_set", indicators.pk)]


def test_over_correlation_is_counted_over_what_the_reader_may_see(people, settings):
    settings.CEPTOAR_CORRELATION_LIMIT = 2
    hub, member = people["demo-hub"], people["demo-member"]
    mine = make.indicator_set(hub)
    make.sight(mine, *IP)
    make.sight(mine, *DOMAIN)
    open_sets = [make.indicator_set(hub) for _ in range(2)]
    for made in open_sets:
        make.sight(made, *IP)
    # Three more the member may not see (RED, naming nobody): they must not tip the value over the limit.
    for _ in range(3):
        make.sight(make.indicator_set(hub, tlp="red", organisations=["nisc"]), *IP)

    result = correlation.related_items(member, mine)
    assert sorted(shown(result)) == sorted(("indicator_set", s.pk) for s in open_sets)
    assert result.over_correlating == []

    make.sight(make.indicator_set(hub), *IP)
    result = correlation.related_items(member, mine)
    assert result.total == 0
    assert [v.value for v in result.over_correlating] == [IP[1]]
    assert result.limit == 2


def test_newest_first_and_paginated(people):
    hub = people["demo-hub"]
    now = timezone.now()
    mine = make.indicator_set(hub)
    make.sight(mine, *IP)
    alerts = []
    for days in (5, 1, 3):
        made = make.alert(hub, when=now - datetime.timedelta(days=days))
        make.sight(made, *IP)
        alerts.append(made)
    result = correlation.related_items(people["demo-member"], mine, per_page=2)
    assert shown(result) == [("alert", alerts[1].pk), ("alert", alerts[2].pk)]
    assert result.total == 3 and result.has_next and result.pages == 2
    result = correlation.related_items(people["demo-member"], mine, page=2, per_page=2)
    assert shown(result) == [("alert", alerts[0].pk)] and not result.has_next


def test_correlate_values_not_stored(people):
    hub, member = people["demo-hub"], people["demo-member"]
    made = make.indicator_set(hub)
    make.sight(made, *IP)
    hidden = make.indicator_set(hub, tlp="red", organisations=["nisc"])
    make.sight(hidden, *DOMAIN)
    hidden_resolver = make.indicator_set(hub, tlp="red", organisations=["nisc"])
    make.sight(hidden_resolver, "ipv4-addr", "1.1.1.1", warning_list="public-resolvers")

    result = correlation.correlate_values(member, [IP, DOMAIN, ("ipv4-addr", "1.1.1.1"), ("md5", "0" * 32)])
    assert shown(result) == [("indicator_set", made.pk)]
    assert result.values_checked == 4
    # 1.1.1.1 is stored only on an item the member may not see: saying it is warning-listed would tell so.
    assert result.warning_listed == []
    assert shown(correlation.correlate_values(hub, [DOMAIN])) == [("indicator_set", hidden.pk)]


def test_signals_count_organisations_and_sectors_the_reader_may_see(people):
    hub = people["demo-hub"]
    finance = Organisation.objects.get(code="banks-0001")
    finance2 = Organisation.objects.get(code="banks-0002")
    water = Organisation.objects.get(code="water-0001")
    for organisation in (finance, finance2, water):
        make.sight(make.indicator_set(hub), *IP, organisation=organisation)
    make.sight(make.indicator_set(hub), *DOMAIN, organisation=finance)
    make.sight(make.indicator_set(hub), "ipv4-addr", "10.0.0.1", organisation=finance, warning_list="private")
    make.sight(make.indicator_set(hub), "ipv4-addr", "10.0.0.1", organisation=water, warning_list="private")

    found = correlation.signals(people["demo-member"], days=7, min_organisations=3, min_sectors=2)
    assert [(s.value.value, s.organisations, s.sectors, s.items) for s in found] == [(IP[1], 3, 2, 3)]
    assert correlation.signals(people["demo-member"], days=7, min_organisations=4) == []

    # A fourth organisation's sighting on an item the member may not see adds nothing for the member.
    other = Organisation.objects.get(code="securities")
    make.sight(make.indicator_set(hub, tlp="red", organisations=["nisc"]), *IP, organisation=other)
    found = correlation.signals(people["demo-member"], days=7, min_organisations=3, min_sectors=2)
    assert [(s.organisations, s.items) for s in found] == [(3, 3)]

    # Sightings older than the window do not count.
    old = timezone.now() - datetime.timedelta(days=30)
    make.sight(make.indicator_set(hub), *DOMAIN, organisation=water, seen_at=old)
    recent = correlation.signals(people["demo-member"], days=7, min_organisations=2)
    assert DOMAIN[1] not in [s.value.value for s in recent]
    longer = correlation.signals(people["demo-member"], days=60, min_organisations=2)
    assert DOMAIN[1] in [s.value.value for s in longer]


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def test_queries_do_not_grow_with_items_or_values(people):
    hub, member = people["demo-hub"], people["demo-member"]
    banks = Organisation.objects.get(code="banks")
    mine = make.indicator_set(hub)

    def grow(n):
        for i in range(n):
            value = ("domain-name", f"d{i}-{n}.example")
            make.sight(mine, *value)
            make.sight(make.indicator_set(hub), *value)
            make.sight(make.alert(hub), *value)
            made = make.report(member, ceptoar=banks)
            make.sight(made, *value)
            make.sight(make.case(hub, made), *value)

    grow(2)
    small = _queries(lambda: correlation.related_items(member, mine))
    small_values = _queries(lambda: correlation.correlate_values(member, [("md5", "a" * 32)] * 3))
    small_signals = _queries(lambda: correlation.signals(member))
    grow(15)
    assert correlation.related_items(member, mine).total >= 60
    assert _queries(lambda: correlation.related_items(member, mine)) == small
    assert _queries(
        lambda: correlation.correlate_values(member, [("md5", f"{i:032x}") for i in range(50)])
    ) <= (small_values + 4)
    assert _queries(lambda: correlation.signals(member)) == small_signals


def test_an_alert_passed_on_unread_says_nothing_of_what_it_carries(people):
    from ceptoar.alerts.models import Recipient
    from ceptoar.sharing import policy

    hub, secretariat, member = people["demo-hub"], people["demo-secretariat"], people["demo-member"]
    # AMBER+STRICT for one bank, sent through the banks' CEPTOAR, which relays it unread (its envelope).
    strict = make.alert(hub, tlp="amber_strict", organisations=["banks-0001"])
    Recipient.objects.create(alert=strict, organisation=Organisation.objects.get(code="banks"))
    make.sight(strict, *IP)
    indicators = make.indicator_set(hub)
    make.sight(indicators, *IP)
    assert policy.may_see(secretariat, strict) and not policy.may_read_content(secretariat, strict)

    assert correlation.related_items(secretariat, indicators).total == 0
    assert shown(correlation.correlate_values(secretariat, [IP])) == [("indicator_set", indicators.pk)]
    assert not correlation.related_items(secretariat, strict).shown
    assert shown(correlation.related_items(member, indicators)) == [("alert", strict.pk)]


def test_the_policy_kept_per_reader_follows_the_readers_organisation(people):
    # `correlation` keeps the policy's compiled SQL per reader, organisation and day: a reader moved to
    # another organisation is answered under the new one at once, never from what was kept for the old.
    first = banks_report(people["demo-member"], IP)
    mover = people["demo-member2"]
    own_organisation = mover.organisation_id
    assert correlation.correlate_values(mover, [IP]).total == 0
    mover.organisation_id = people["demo-member"].organisation_id
    mover.save(update_fields=["organisation"])
    result = correlation.correlate_values(mover, [IP])
    assert shown(result) == [("report", first.pk)]
    mover.organisation_id = own_organisation
    mover.save(update_fields=["organisation"])
    assert correlation.correlate_values(mover, [IP]).total == 0
