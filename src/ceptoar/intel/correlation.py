"""Correlation (相関), only within what the reader may see.

For an item (alert, report, failure case, indicator set), or for values not stored yet, the other items that
carry the same observables — among the items the reader may see, asked of `sharing.policy` as subqueries,
never of a copy of its rules. Every number and flag shown is computed after that filter, so adding or removing
items the reader may not see changes nothing in the output: no count, no "over-correlating" flag, no order.

- A sighting marked `removed` never correlates, nor does an observable on a warning list (shown as such).
- A value carried by more than `CEPTOAR_CORRELATION_LIMIT` of the items the reader may see is held back as
  over-correlating: shown with the limit, its items not listed.
- Alerts: sightings are recorded on the original only (relays are not indexed). A reader who sees relays of
  it is shown the nearest one it sees (`nearest_visible_alerts`), and only if it may read its content: an
  alert that reaches the reader as an envelope (AMBER+STRICT or RED passed on unread) says nothing of what
  it carries.

The number of queries does not grow with the number of items or values: one for the item's own observables,
one for the sightings of those values, one for what the reader may see of them (the policy's query for each
kind of item, as one UNION ALL).
"""

from __future__ import annotations

import datetime
import json
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ceptoar.accounts.access import is_active_member
from ceptoar.alerts.models import Alert
from ceptoar.intel.models import IndicatorSet, Observable, ObservableType, Sighting, observable_key
from ceptoar.reports.models import Case, Report
from ceptoar.sharing import policy

ALERT, REPORT, CASE, INDICATOR_SET = "alert", "report", "case", "indicator_set"
KINDS = (ALERT, REPORT, CASE, INDICATOR_SET)
# The sighting's column for each kind of item.
_COLUMN = {ALERT: "alert_id", REPORT: "report_id", CASE: "case_id", INDICATOR_SET: "indicator_set_id"}
_TYPE_LABELS = dict(ObservableType.choices)
DEFAULT_PER_PAGE = 20


def correlation_limit() -> int:
    return settings.CEPTOAR_CORRELATION_LIMIT


@dataclass(frozen=True)
class Value:
    """One observable as the reader is shown it."""

    type: str
    value: str
    warning_list: str = ""

    @property
    def type_label(self) -> str:
        return str(_TYPE_LABELS.get(self.type, self.type))


@dataclass
class RelatedItem:
    """An item the reader may see that shares `values` with the one correlated."""

    kind: str
    pk: int
    title: str
    when: datetime.datetime | None
    values: list[Value] = field(default_factory=list)

    @property
    def url(self) -> str:
        name = {
            ALERT: "alerts:detail",
            REPORT: "reports:detail",
            CASE: "reports:case_detail",
            INDICATOR_SET: "",
        }[self.kind]
        if not name:
            return ""
        return reverse(name, args=[self.pk])

    @property
    def sort_key(self) -> tuple:
        stamp = self.when.timestamp() if self.when else float("-inf")
        return (stamp, KINDS.index(self.kind), self.pk)


@dataclass
class Correlation:
    """What correlating one item (or pasted values) shows: the related items of this page, newest first,
    with the values they share; the values held back (over-correlating, with the limit) and those on a
    warning list. Every figure is counted over what the reader may see."""

    items: list[RelatedItem]
    total: int
    page: int
    per_page: int
    over_correlating: list[Value]
    warning_listed: list[Value]
    limit: int
    values_checked: int
    # False when the reader may not read the item itself (an alert seen as an envelope): nothing is shown.
    shown: bool = True

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# -- what the reader may see, per kind -----------------------------------------------------------------


def _shown_alerts(user, queryset: QuerySet | None = None) -> QuerySet:
    """The alerts through which the reader is shown a correlation: the nearest of each chain it sees, whose
    content it may read."""
    return policy.nearest_visible_alerts(user, queryset).filter(policy.alert_content_condition(user))


def _original_alerts_shown(user) -> QuerySet:
    """The originals (where sightings are recorded) of the alerts shown to the reader, as a subquery."""
    return _shown_alerts(user).annotate(original=Coalesce("root_id", "pk")).values("original")


def visible_sightings_condition(user) -> Q:
    """Sightings on items the reader may see (alerts through the chains it is shown), as one condition of
    subqueries: for signals and every count over many values."""
    return (
        Q(alert_id__in=_original_alerts_shown(user))
        | Q(report_id__in=policy.visible_reports(user).values("pk"))
        | Q(case_id__in=policy.visible_cases(user).values("pk"))
        | Q(indicator_set_id__in=policy.visible_indicator_sets(user).values("pk"))
    )


def _visible_items(user, candidates: dict[str, set[int]]) -> tuple[dict, dict]:
    """For the candidate item ids of each kind (alerts: originals), the items the reader may see.

    Returns ({(kind, id) of a sighting: [(kind, pk) shown]}, {(kind, pk) shown: (title, when)}). One query: the
    policy's query for each kind that has candidates, as one UNION ALL.
    """
    shown_for: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    items: dict[tuple[str, int], tuple[str, datetime.datetime | None]] = {}
    kinds = [kind for kind in KINDS if candidates.get(kind)]
    if not kinds or not is_active_member(user):
        return shown_for, items
    templates = _policy_sql(user, kinds)
    parts, params = [], []
    for kind in kinds:
        if templates[kind] is None:
            continue
        sql, template_params = templates[kind]
        ids = _ids_parameter(candidates[kind])
        # The kind's index and NULL for a root are this module's constants, never values.
        root = "" if kind == ALERT else ", NULL"
        parts.append(f"SELECT {KINDS.index(kind)}, q.*{root} FROM ({sql}) q")  # noqa: S608
        params.extend(ids if p is _IDS else p for p in template_params)
    if not parts:
        return shown_for, items
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    for index, pk, title, fallback, when, created_at, root_id in rows:
        kind = KINDS[index]
        if kind == ALERT:
            original = root_id or pk
            if original not in candidates[ALERT]:
                continue
            shown_for[(ALERT, original)].append((ALERT, pk))
        else:
            shown_for[(kind, pk)].append((kind, pk))
        items[(kind, pk)] = (title or fallback, _aware(when or created_at))
    return shown_for, items


# Stands for the candidate ids in a compiled policy query, replaced by them at each call.
_IDS = object()
# Compiled policy queries by reader: (database alias, user, organisation, day) → {kind: (sql, params) or
# None where the policy shows nothing of the kind}.
_POLICY_SQL: OrderedDict[tuple, dict[str, tuple[str, list] | None]] = OrderedDict()
_POLICY_SQL_SIZE = 128
_POLICY_SQL_LOCK = threading.Lock()


def _policy_sql(user, kinds: list[str]) -> dict[str, tuple[str, list] | None]:
    """The SQL of `sharing.policy`'s query for each kind, restricted to candidate ids still to come.

    Building and compiling those querysets (the policy's conditions are large trees of subqueries) costs
    Django more than PostgreSQL takes to run them (measured, `ceptoar bench correlate`: ~18 ms for reports,
    cases and indicator sets, ~34 ms more for alerts, against ~11 ms to run them). What they compile to depends only on the reader's id and organisation and on the day (the
    rules and agreements in force are compared with today as a parameter); the rows they select are decided
    by the database at each call. So the policy's own SQL is kept per reader and day, and re-run with the
    current candidates. Were a compiled query ever to carry a moment (a datetime parameter), it would not be
    kept, so that no answer goes stale."""
    key = (connection.alias, user.pk, user.organisation_id, timezone.localdate())
    compiled = dict(_POLICY_SQL.get(key, {}))
    keep = True
    # Only the kinds asked for are built: compiling all four costs more than one correlation.
    for kind in kinds:
        if kind in compiled:
            continue
        try:
            sql, params = _policy_queryset(user, kind).order_by().query.sql_with_params()
        except EmptyResultSet:
            compiled[kind] = None  # the policy shows the reader nothing of this kind
            continue
        compiled[kind] = (sql, list(params))
        keep = keep and not any(isinstance(p, datetime.datetime) for p in params)
    if keep:
        # Requests served by threads share the cache: storing and evicting happen under one lock.
        with _POLICY_SQL_LOCK:
            _POLICY_SQL[key] = compiled
            _POLICY_SQL.move_to_end(key)
            while len(_POLICY_SQL) > _POLICY_SQL_SIZE:
                _POLICY_SQL.popitem(last=False)
    return compiled


def _policy_queryset(user, kind: str) -> QuerySet:
    """`sharing.policy`'s query of what the reader is shown of this kind, among candidate ids to come."""
    ids = _ids_placeholder()
    if kind == ALERT:
        alerts = _shown_alerts(user, Alert.objects.filter(Q(pk__in=ids) | Q(root_id__in=ids)))
        return alerts.values_list("pk", "title", "title", "published_at", "created_at", "root_id")
    if kind == REPORT:
        reports = policy.visible_reports(user, Report.objects.filter(pk__in=ids))
        return reports.values_list("pk", "title", "reference", "first_submitted_at", "created_at")
    if kind == CASE:
        cases = policy.visible_cases(user, Case.objects.filter(pk__in=ids))
        return cases.values_list("pk", "title", "title", "created_at", "created_at")
    sets = policy.visible_indicator_sets(user, IndicatorSet.objects.filter(pk__in=ids))
    return sets.values_list("pk", "title", "title", "published_at", "created_at")


def _ids_placeholder() -> RawSQL:
    """A set of candidate ids as one parameter (`_IDS` until the call fills it in): on PostgreSQL an integer
    array (a thousand ids compile and convert as one), on SQLite a JSON list."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::integer[])", (_IDS,))
    return RawSQL("SELECT value FROM json_each(%s)", (_IDS,))


def _ids_parameter(ids: set[int]) -> str:
    # As the array's text ('{1,2,3}'), cast in the SQL: psycopg adapts a list of a thousand ints element by
    # element in Python, several times slower than this join.
    if connection.vendor == "postgresql":
        return "{" + ",".join(map(str, sorted(ids))) + "}"
    return json.dumps(sorted(ids))


def _aware(moment):
    """A timestamp read by a bare cursor as the ORM would give it (SQLite hands back naive UTC text)."""
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


# -- correlating ----------------------------------------------------------------------------------------


def _correlate(
    user,
    sightings: Iterable[tuple],
    values: dict[int, Value],
    own: set[tuple[str, int]],
    page: int,
    per_page: int,
    checked: int,
    flagged: list[Value],
) -> Correlation:
    """`sightings`: (observable_id, alert_id, report_id, case_id, indicator_set_id, …) rows of the values
    correlated, not removed; `values`: the observables correlated by id; `own`: the sightings' items that
    are the item itself, never shown."""
    limit = correlation_limit()
    candidates: dict[str, set[int]] = defaultdict(set)
    carried: list[tuple[int, tuple[str, int]]] = []
    for observable_id, alert_id, report_id, case_id, set_id, *_ in sightings:
        # A sighting is on exactly one item: the first column set names it.
        if alert_id is not None:
            sighted = (ALERT, alert_id)
        elif report_id is not None:
            sighted = (REPORT, report_id)
        elif case_id is not None:
            sighted = (CASE, case_id)
        else:
            sighted = (INDICATOR_SET, set_id)
        if sighted in own:
            continue
        candidates[sighted[0]].add(sighted[1])
        carried.append((observable_id, sighted))
    shown_for, items = _visible_items(user, candidates)
    # The items each value reaches, counted over what the reader is shown and nothing else.
    reached: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for observable_id, sighted in carried:
        reached[observable_id].update(shown_for.get(sighted, ()))
    warning_listed = list(flagged)
    over: list[Value] = []
    by_item: dict[tuple[str, int], set[int]] = defaultdict(set)
    for observable_id, shown in reached.items():
        if not shown:
            continue
        value = values[observable_id]
        if value.warning_list:
            warning_listed.append(value)
        elif len(shown) > limit:
            over.append(value)
        else:
            for key in shown:
                by_item[key].add(observable_id)

    # Newest first (as `RelatedItem.sort_key`); only the page's items are made and their values sorted.
    def newest(key: tuple[str, int]) -> tuple:
        when = items[key][1]
        return (when.timestamp() if when else float("-inf"), KINDS.index(key[0]), key[1])

    ordered = sorted(by_item, key=newest, reverse=True)
    page = max(1, page)
    start = (page - 1) * per_page
    shown_page = [
        RelatedItem(
            kind,
            pk,
            *items[(kind, pk)],
            values=sorted((values[i] for i in by_item[(kind, pk)]), key=lambda v: (v.type, v.value)),
        )
        for kind, pk in ordered[start : start + per_page]
    ]
    return Correlation(
        items=shown_page,
        total=len(ordered),
        page=page,
        per_page=per_page,
        over_correlating=sorted(set(over), key=lambda v: (v.type, v.value)),
        warning_listed=sorted(set(warning_listed), key=lambda v: (v.type, v.value)),
        limit=limit,
        values_checked=checked,
    )


_SIGHTING_COLUMNS = ("observable_id", "alert_id", "report_id", "case_id", "indicator_set_id")


def item_kind(item) -> str:
    if isinstance(item, Alert):
        return ALERT
    if isinstance(item, Report):
        return REPORT
    if isinstance(item, Case):
        return CASE
    if isinstance(item, IndicatorSet):
        return INDICATOR_SET
    raise TypeError(f"no correlation for {type(item).__name__}")


def _may_read(user, kind: str, item) -> bool:
    if kind == ALERT:
        return policy.may_read_content(user, item)
    return policy.may_see(user, item)


def empty(per_page: int = DEFAULT_PER_PAGE, shown: bool = True) -> Correlation:
    return Correlation([], 0, 1, per_page, [], [], correlation_limit(), 0, shown)


def related_items(user, item, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> Correlation:
    """The items `user` may see that share observables with `item` (an alert, report, case or indicator
    set), newest first, `per_page` to a page. Nothing for a reader who may not read the item itself."""
    kind = item_kind(item)
    if not is_active_member(user) or not _may_read(user, kind, item):
        return empty(per_page, shown=False)
    # An alert's observables are recorded on its original; a relay shows the original's.
    pk = (item.root_id or item.pk) if kind == ALERT else item.pk
    own_rows = (
        Sighting.objects.filter(**{_COLUMN[kind]: pk}, removed=False)
        .order_by()
        .values_list("observable_id", "observable__type", "observable__value", "observable__warning_list")
    )
    values = {oid: Value(type_, value, warning) for oid, type_, value, warning in own_rows}
    flagged = [value for value in values.values() if value.warning_list]
    correlating = [oid for oid, value in values.items() if not value.warning_list]
    sightings = []
    if correlating:
        sightings = list(
            Sighting.objects.filter(observable_id__in=correlating, removed=False)
            .order_by()
            .values_list(*_SIGHTING_COLUMNS)
        )
    return _correlate(user, sightings, values, {(kind, pk)}, page, per_page, len(values), flagged)


_HEX = re.compile("[0-9a-f]*")


def _sightings_of_keys(keys: list[str]) -> list[tuple]:
    """(observable_id, alert_id, report_id, case_id, indicator_set_id, key, warning_list) of the sightings
    (not removed) of the observables with these keys. On PostgreSQL the keys go as one array, joined from
    `unnest`: the planner then looks each key up in its unique index, where `key IN (…1,000 values…)` makes it
    scan the whole table (measured: 5 ms against 55 ms, `ceptoar bench correlate`). The array goes as its
    text: the keys are hex digests, with nothing to quote, and psycopg adapting a list of a thousand strings
    element by element costs more than the join."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.observable_id, s.alert_id, s.report_id, s.case_id, s.indicator_set_id, o.key, "
                "o.warning_list FROM unnest(%s::varchar[]) AS k(key) "
                "JOIN intel_observable o ON o.key = k.key "
                "JOIN intel_sighting s ON s.observable_id = o.id WHERE NOT s.removed",
                ["{" + ",".join(keys) + "}" if _HEX.fullmatch("".join(keys)) else keys],
            )
            return cursor.fetchall()
    return list(
        Sighting.objects.filter(observable__key__in=keys, removed=False)
        .order_by()
        .values_list(*_SIGHTING_COLUMNS, "observable__key", "observable__warning_list")
    )


def correlate_values(
    user, pairs: Iterable[tuple[str, str]], *, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> Correlation:
    """The items `user` may see that carry any of these (type, value) pairs — a new item not stored yet, or
    values an analyst pasted. Values are compared as given (already normalised by `intel.extraction`).

    A value on a warning list is shown as such only where an item the reader may see carries it: whether a
    value is stored at all would otherwise tell of items the reader may not see."""
    keys = {observable_key(type_, value): (type_, value) for type_, value in pairs}
    if not is_active_member(user) or not keys:
        return empty(per_page)
    rows = _sightings_of_keys(list(keys))
    values = {}
    for row in rows:
        if row[0] not in values:
            values[row[0]] = Value(*keys[row[5]], row[6])
    # The rows go as they are: `_correlate` reads their first five columns.
    return _correlate(user, rows, values, set(), page, per_page, len(keys), [])


# -- signals --------------------------------------------------------------------------------------------


@dataclass
class Signal:
    """One value seen on items the reader may see, from `organisations` organisations in `sectors` sectors,
    between `first_seen` and `last_seen`."""

    observable_id: int
    value: Value
    organisations: int
    sectors: int
    items: int
    first_seen: datetime.datetime
    last_seen: datetime.datetime


def signals(
    user,
    *,
    days: int = 7,
    min_organisations: int = 2,
    min_sectors: int = 1,
    limit: int = 100,
    now: datetime.datetime | None = None,
) -> list[Signal]:
    """ "The same indicator reported by N organisations in M sectors within D days", over the sightings of
    items `user` may see (one query), warning-listed values and removed sightings left out. Strongest first:
    most organisations, then sectors, then the newest."""
    if not is_active_member(user):
        return []
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    rows = (
        Sighting.objects.filter(
            visible_sightings_condition(user),
            removed=False,
            seen_at__gte=since,
            observable__warning_list="",
        )
        .values("observable_id", "observable__type", "observable__value")
        .annotate(
            organisations=Count("organisation_id", distinct=True),
            sectors=Count("sector_id", distinct=True),
            items=Count("pk"),
            first_seen=Min("seen_at"),
            last_seen=Max("seen_at"),
        )
        .filter(organisations__gte=min_organisations, sectors__gte=min_sectors)
        .order_by("-organisations", "-sectors", "-last_seen", "observable_id")[:limit]
    )
    return [
        Signal(
            observable_id=row["observable_id"],
            value=Value(row["observable__type"], row["observable__value"]),
            organisations=row["organisations"],
            sectors=row["sectors"],
            items=row["items"],
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
        )
        for row in rows
    ]


def signal_reports(user, observable: Observable, *, days: int | None = None) -> QuerySet:
    """The reports `user` may see that carry `observable` (not removed), newest first: what an incident made
    from its signal links."""
    sightings = Sighting.objects.filter(observable=observable, removed=False, report_id__isnull=False)
    if days is not None:
        sightings = sightings.filter(seen_at__gte=timezone.now() - datetime.timedelta(days=days))
    return policy.visible_reports(user, Report.objects.filter(pk__in=sightings.values("report_id"))).order_by(
        "-first_submitted_at", "-pk"
    )
