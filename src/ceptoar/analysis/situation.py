"""What the situation assessment (情勢判断) shows one reader, each part within what that reader may see:

- open alerts (published, not closed), at the hop nearest the reader (`policy.nearest_visible_alerts`),
  with the confirmed-receipt rate of each one the reader may track;
- incident reports of the last twelve months by month, event type and cause class, and the sector ×
  event-type heat map, all from `reports.statistics` (which starts from `policy.visible_reports`);
- the newest published failure cases (`reports.cases.library_cases`);
- the situation summaries of the reader's organisation.

The page costs a fixed number of queries whatever the number of alerts: the chains of all the listed
alerts are read in one query, and the receipt statuses of all their recipients are grouped in one more.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.access import can_send_alerts
from ceptoar.alerts.models import Alert, Recipient, Status
from ceptoar.alerts.tracking import Progress
from ceptoar.analysis.models import SituationSummary
from ceptoar.escalation.status import with_status
from ceptoar.reports import statistics
from ceptoar.reports.cases import library_cases
from ceptoar.reports.models import Case
from ceptoar.sharing import policy

OPEN_ALERTS_SHOWN = 20
CASES_SHOWN = 5
SUMMARIES_SHOWN = 20
MONTHS = 12

# The heat map's shades: classes heat-1 … heat-5, light to dark, in site/static/core/site.css (a class, not
# a style attribute, which the Content-Security-Policy refuses). The number is always written in the cell,
# so the colour is never the only carrier of the value.
HEAT_LEVELS = 5


# -- open alerts ----------------------------------------------------------------------------------


def open_alerts(user) -> QuerySet[Alert]:
    """Published, not closed alerts the reader may see, each chain once at the hop nearest the reader,
    newest first. Exercise traffic is not the sector's situation: it has its own scoreboard."""
    return (
        policy.nearest_visible_alerts(user)
        .filter(status=Status.PUBLISHED, exercise__isnull=True)
        .select_related("origin_organisation")
        .order_by("-published_at", "-id")
    )


@dataclass
class _Chain:
    parent: dict[int, int | None] = field(default_factory=dict)
    origin: dict[int, int] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def senders_down_to(self, alert_id: int) -> set[int]:
        """As `tracking._senders_down_to`: who sent this alert or any above it."""
        senders, node = set(), alert_id
        while node in self.origin:
            senders.add(self.origin[node])
            node = self.parent[node]
        return senders

    def subtree_ids(self, alert_id: int) -> list[int]:
        """As `tracking.subtree`: the alert and every published or closed relay beneath it."""
        ids, queue = [], [alert_id]
        while queue:
            node = queue.pop(0)
            ids.append(node)
            queue.extend(self.children.get(node, []))
        return ids


def _chains(alerts: list[Alert]) -> _Chain:
    roots = {alert.root_id or alert.pk for alert in alerts}
    chain = _Chain()
    rows = Alert.objects.filter(Q(pk__in=roots) | Q(root_id__in=roots)).values_list(
        "pk", "parent_id", "origin_organisation_id", "status"
    )
    for pk, parent_id, origin_id, status in rows:
        chain.parent[pk], chain.origin[pk] = parent_id, origin_id
        if parent_id is not None and status in policy.SHARED_ALERT_STATUSES:
            chain.children[parent_id].append(pk)
    return chain


@dataclass
class OpenAlert:
    alert: Alert
    trackable: bool
    progress: Progress | None  # receipt statuses of the alert and the relays beneath it, if trackable


def open_alert_rows(user, limit: int = OPEN_ALERTS_SHOWN) -> list[OpenAlert]:
    """The newest open alerts, with the confirmed-receipt rate (疎通確認率) of those the reader may track.

    Trackable is `tracking.can_track`'s answer, got without a query per alert: every listed alert is
    published and visible to the reader, so it remains whether the reader may send alerts and whether its
    organisation sent the alert or one above it. The rate counts the receipt statuses
    (`escalation.status.with_status`) of every recipient of the alert's subtree, as `tracking.summarise`
    does for its overall row."""
    alerts = list(open_alerts(user)[:limit])
    if not alerts:
        return []
    sender = can_send_alerts(user)
    chain = _chains(alerts) if sender else _Chain()
    subtrees = {}
    for alert in alerts:
        if sender and user.organisation_id in chain.senders_down_to(alert.pk):
            subtrees[alert.pk] = chain.subtree_ids(alert.pk)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if subtrees:
        all_ids = {pk for ids in subtrees.values() for pk in ids}
        grouped = (
            with_status(Recipient.objects.filter(alert_id__in=all_ids))
            .values("alert_id", "receipt_status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in grouped:
            counts[row["alert_id"]][row["receipt_status"]] = row["n"]
    rows = []
    for alert in alerts:
        progress = None
        if alert.pk in subtrees:
            progress = Progress("all", _("All recipient organisations"))
            for node in subtrees[alert.pk]:
                for status, n in counts.get(node, {}).items():
                    progress.add(status, n)
        rows.append(OpenAlert(alert, alert.pk in subtrees, progress))
    return rows


# -- incident reports -----------------------------------------------------------------------------


def last_months(today: date | None = None, months: int = MONTHS) -> statistics.Filters:
    """The last `months` calendar months in Japan time, this one included."""
    last = statistics.month_of(today or timezone.now())
    first = last
    for _month in range(months - 1):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return statistics.Filters(month_from=first, month_to=last)


@dataclass
class HeatCell:
    column: statistics.Column
    count: int
    level: int


@dataclass
class HeatRow:
    code: str
    label: str
    cells: list[HeatCell]
    total: int


@dataclass
class HeatBand:
    level: int
    low: int
    high: int


@dataclass
class HeatMap:
    columns: list[statistics.Column]
    rows: list[HeatRow]
    column_totals: list[int]
    total: int
    maximum: int
    legend: list[HeatBand]


def heat_level(count: int, maximum: int) -> int:
    """0 for an empty cell, else 1…HEAT_LEVELS growing with the count (HEAT_LEVELS for the maximum)."""
    if count <= 0 or maximum <= 0:
        return 0
    return min(HEAT_LEVELS, math.ceil(count * HEAT_LEVELS / maximum))


def _legend(maximum: int) -> list[HeatBand]:
    bands = [HeatBand(0, 0, 0)]
    for level in range(1, HEAT_LEVELS + 1):
        low = math.floor((level - 1) * maximum / HEAT_LEVELS) + 1
        high = math.floor(level * maximum / HEAT_LEVELS)
        if low <= high:
            bands.append(HeatBand(level, low, high))
    return bands


def heat_map(table: statistics.Table) -> HeatMap:
    """The sector × event-type table of `reports.statistics`, each cell with its shade."""
    maximum = max((value for row in table.rows for value in row.cells), default=0)
    rows = []
    for row in table.rows:
        cells = []
        for column, count in zip(table.columns, row.cells, strict=True):
            cells.append(HeatCell(column, count, heat_level(count, maximum)))
        rows.append(HeatRow(row.code, row.label, cells, row.total))
    return HeatMap(table.columns, rows, table.column_totals, table.total, maximum, _legend(maximum))


# -- the page -------------------------------------------------------------------------------------


@dataclass
class Situation:
    open_alerts: list[OpenAlert]
    open_alerts_total: int
    filters: statistics.Filters
    statistics: statistics.Statistics
    heat_map: HeatMap
    cause_classes: list[tuple[statistics.Column, int]]
    cases: list[Case]
    summaries: list[SituationSummary]


def newest_cases(user, limit: int = CASES_SHOWN) -> list[Case]:
    return list(library_cases(user).select_related("sector").order_by("-published_at", "-pk")[:limit])


def summaries_of(user, limit: int = SUMMARIES_SHOWN) -> list[SituationSummary]:
    """The reader's organisation's summaries, drafts and published, most recently changed first."""
    if getattr(user, "organisation_id", None) is None:
        return []
    return list(
        SituationSummary.objects.filter(organisation_id=user.organisation_id)
        .select_related("author", "published_alert")
        .order_by("-updated_at", "-pk")[:limit]
    )


def assess(user, today: date | None = None) -> Situation:
    filters = last_months(today)
    numbers = statistics.compute(user, filters)
    return Situation(
        open_alerts=open_alert_rows(user),
        open_alerts_total=open_alerts(user).count(),
        filters=filters,
        statistics=numbers,
        heat_map=heat_map(numbers.sector_by_event_type),
        cause_classes=[
            (column, numbers.cause_class_totals.get(column.code, 0)) for column in numbers.cause_classes
        ],
        cases=newest_cases(user),
        summaries=summaries_of(user),
    )
