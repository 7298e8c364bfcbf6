"""Incident-report statistics (情報連絡の統計) for secretariats, ministries and the national hub.

Every number counts submitted reports (not drafts) that the reader may see: the list always starts from
`sharing.policy.visible_reports`, so a ministry or the hub never counts a report whose reporter kept it to
the secretariat, whatever hops exist. Counting is done by the database (GROUP BY), never by a loop over
reports, so the page costs a handful of queries whatever the number of reports.

Months are calendar months in Japan time (Asia/Tokyo) of when the incident occurred: 2026-03-31 23:30 JST
is March, although it is still 14:30 on the 31st in UTC and 2026-04-01 00:30 JST is April.

A report is counted once in every total. In the cause breakdowns it is counted once under each of its
causes (and once under each cause class it has), so those columns may add up to more than the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ceptoar.registry.models import Sector
from ceptoar.reports.models import Cause, CauseClass, EventType, Report, ReportCause, TriageStatus
from ceptoar.sharing import policy

JST = ZoneInfo("Asia/Tokyo")
# The longest period the filter accepts (ten years of monthly bars is already a wide chart).
MAX_MONTHS = 120


# -- months ---------------------------------------------------------------------------------------


def month_of(value: date | datetime) -> date:
    """The first day of the month `value` falls in; an aware datetime is read in Japan time."""
    if isinstance(value, datetime):
        value = timezone.localtime(value, JST) if timezone.is_aware(value) else value
    return date(value.year, value.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months from `first` to `last`, both included (1 for the same month)."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def month_start(month: date) -> datetime:
    """Midnight Japan time on the first of the month: the lower bound of that month's reports."""
    return datetime(month.year, month.month, 1, tzinfo=JST)


def month_label(month: date | None) -> str:
    return f"{month:%Y-%m}" if month else ""


def _truncated_month(field_name: str) -> TruncMonth:
    return TruncMonth(field_name, tzinfo=JST)


# -- what is counted ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The reader's choice; empty values filter nothing. Months are first days of months."""

    month_from: date | None = None
    month_to: date | None = None
    sector: str = ""  # Sector.code
    event_type: str = ""
    cause_class: str = ""

    @property
    def any(self) -> bool:
        return bool(self.month_from or self.month_to or self.sector or self.event_type or self.cause_class)


def counted_reports(user, filters: Filters | None = None) -> QuerySet[Report]:
    """The submitted reports `user` may see, narrowed by the filters: one row per report."""
    filters = filters or Filters()
    reports = policy.visible_reports(user).exclude(status=TriageStatus.DRAFT)
    if filters.month_from:
        reports = reports.filter(occurred_at__gte=month_start(filters.month_from))
    if filters.month_to:
        reports = reports.filter(occurred_at__lt=month_start(next_month(filters.month_to)))
    if filters.sector:
        reports = reports.filter(ceptoar__sector__code=filters.sector)
    if filters.event_type:
        reports = reports.filter(event_type=filters.event_type)
    if filters.cause_class:
        reports = reports.filter(
            Exists(ReportCause.objects.filter(report_id=OuterRef("pk"), cause_class=filters.cause_class))
        )
    return reports.order_by()


def counted_causes(user, filters: Filters | None = None) -> QuerySet[ReportCause]:
    """One row per (counted report, cause). With a cause-class filter, only the causes of that class."""
    filters = filters or Filters()
    rows = ReportCause.objects.filter(report__in=counted_reports(user, filters).values("pk"))
    if filters.cause_class:
        rows = rows.filter(cause_class=filters.cause_class)
    return rows.order_by()


# -- the grouped counts ---------------------------------------------------------------------------


def counts_by_sector_and_event_type(user, filters: Filters | None = None) -> dict[tuple[str, str], int]:
    """{(sector code, event type): reports}. Each report is in exactly one cell."""
    rows = (
        counted_reports(user, filters)
        .values("ceptoar__sector__code", "event_type")
        .annotate(reports=Count("pk"))
    )
    return {(row["ceptoar__sector__code"] or "", row["event_type"]): row["reports"] for row in rows}


def counts_by_month_and_event_type(
    user, filters: Filters | None = None
) -> dict[tuple[date | None, str], int]:
    """{(first day of the month in Japan time, event type): reports}."""
    rows = (
        counted_reports(user, filters)
        .annotate(month=_truncated_month("occurred_at"))
        .values("month", "event_type")
        .annotate(reports=Count("pk"))
    )
    return {
        (month_of(row["month"]) if row["month"] else None, row["event_type"]): row["reports"] for row in rows
    }


def counts_by_event_type_and_cause_class(user, filters: Filters | None = None) -> dict[tuple[str, str], int]:
    """{(event type, cause class): reports with at least one cause of that class}."""
    rows = (
        counted_causes(user, filters)
        .values("report__event_type", "cause_class")
        .annotate(reports=Count("report", distinct=True))
    )
    return {(row["report__event_type"], row["cause_class"]): row["reports"] for row in rows}


def counts_by_cause_class(user, filters: Filters | None = None) -> dict[str, int]:
    """{cause class: reports with at least one cause of that class}."""
    rows = (
        counted_causes(user, filters).values("cause_class").annotate(reports=Count("report", distinct=True))
    )
    return {row["cause_class"]: row["reports"] for row in rows}


def counts_by_cause(user, filters: Filters | None = None) -> dict[str, int]:
    """{cause: reports with that cause} (a report has each cause at most once)."""
    rows = counted_causes(user, filters).values("cause").annotate(reports=Count("report"))
    return {row["cause"]: row["reports"] for row in rows}


def detailed_counts(user, filters: Filters | None = None) -> dict[tuple, int]:
    """{(month, sector code, event type, cause class, cause): reports}: what the CSV holds."""
    rows = (
        counted_causes(user, filters)
        .annotate(month=_truncated_month("report__occurred_at"))
        .values("month", "report__ceptoar__sector__code", "report__event_type", "cause_class", "cause")
        .annotate(reports=Count("report"))
    )
    return {
        (
            month_of(row["month"]) if row["month"] else None,
            row["report__ceptoar__sector__code"] or "",
            row["report__event_type"],
            row["cause_class"],
            row["cause"],
        ): row["reports"]
        for row in rows
    }


# -- labels ---------------------------------------------------------------------------------------


def _sector_name(sector: Sector) -> str:
    japanese = (get_language() or "ja").startswith("ja")
    return sector.name if japanese or not sector.name_en else sector.name_en


def sector_labels() -> dict[str, str]:
    """{code: name in the reader's language}, in the registry's order."""
    return {sector.code: _sector_name(sector) for sector in Sector.objects.order_by("position", "code")}


def _label(choices, code: str) -> str:
    if not code:
        return _("(not given)")
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def event_type_label(code: str) -> str:
    return _label(EventType, code)


def cause_class_label(code: str) -> str:
    return _label(CauseClass, code)


def cause_label(code: str) -> str:
    return _label(Cause, code)


# -- what the page shows --------------------------------------------------------------------------


@dataclass
class Column:
    code: str
    label: str


@dataclass
class Row:
    code: str
    label: str
    cells: list[int]
    total: int


@dataclass
class Table:
    """A cross table: rows × columns of counts, with row totals, column totals and the overall total."""

    columns: list[Column]
    rows: list[Row]
    column_totals: list[int]
    total: int

    def cell(self, row_code: str, column_code: str) -> int:
        for row in self.rows:
            if row.code == row_code:
                for column, value in zip(self.columns, row.cells, strict=True):
                    if column.code == column_code:
                        return value
        return 0

    def row_total(self, row_code: str) -> int:
        return next((row.total for row in self.rows if row.code == row_code), 0)

    def column_total(self, column_code: str) -> int:
        for column, value in zip(self.columns, self.column_totals, strict=True):
            if column.code == column_code:
                return value
        return 0


@dataclass
class MonthRow:
    month: date
    label: str
    cells: list[int]  # per event type, in the order of `Statistics.event_types`
    total: int


@dataclass
class CauseRow:
    cause_class: str
    cause_class_label: str
    cause: str
    label: str
    reports: int


@dataclass
class Statistics:
    filters: Filters
    total: int
    event_types: list[Column]
    cause_classes: list[Column]
    sector_by_event_type: Table
    event_type_by_cause_class: Table
    months: list[MonthRow]
    causes: list[CauseRow]
    cause_class_totals: dict[str, int] = field(default_factory=dict)

    @property
    def month_maximum(self) -> int:
        return max((row.total for row in self.months), default=0)


def _ordered(codes, order: list[str]) -> list[str]:
    """Known codes in the choices' order, then anything unexpected (e.g. an empty value) at the end."""
    present = set(codes)
    return [code for code in order if code in present] + sorted(present - set(order))


def _event_type_columns(filters: Filters) -> list[Column]:
    codes = [filters.event_type] if filters.event_type else list(EventType.values)
    return [Column(code, event_type_label(code)) for code in codes]


def _cause_class_columns(filters: Filters) -> list[Column]:
    codes = [filters.cause_class] if filters.cause_class else list(CauseClass.values)
    return [Column(code, cause_class_label(code)) for code in codes]


def _month_range(months_with_reports: set[date], filters: Filters) -> list[date]:
    first = filters.month_from or min(months_with_reports, default=None)
    last = filters.month_to or max(months_with_reports, default=None)
    if first is None or last is None or last < first:
        return []
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months


def compute(user, filters: Filters | None = None) -> Statistics:
    """Everything the statistics page shows, for `user`, in five grouped queries."""
    filters = filters or Filters()
    event_types = _event_type_columns(filters)
    cause_classes = _cause_class_columns(filters)

    # Sector × event type. Every report is in exactly one cell, so the sums are report counts.
    by_sector = counts_by_sector_and_event_type(user, filters)
    extra_event_types = {event for _sector, event in by_sector} - {column.code for column in event_types}
    event_types += [Column(code, event_type_label(code)) for code in sorted(extra_event_types)]
    sectors = sector_labels()
    rows = []
    for code in _ordered({sector for sector, _event in by_sector}, list(sectors)):
        cells = [by_sector.get((code, column.code), 0) for column in event_types]
        rows.append(Row(code, sectors.get(code) or _("(no sector)"), cells, sum(cells)))
    event_type_totals = {
        column.code: sum(count for (_sector, event), count in by_sector.items() if event == column.code)
        for column in event_types
    }
    total = sum(by_sector.values())
    sector_table = Table(event_types, rows, [event_type_totals[c.code] for c in event_types], total)

    # Event type × cause class. A report counts under each class it has, once in the row total.
    by_class = counts_by_event_type_and_cause_class(user, filters)
    class_totals = counts_by_cause_class(user, filters)
    class_rows = [
        Row(
            column.code,
            column.label,
            [by_class.get((column.code, cause_class.code), 0) for cause_class in cause_classes],
            event_type_totals[column.code],
        )
        for column in event_types
        if event_type_totals[column.code]
    ]
    class_table = Table(
        cause_classes, class_rows, [class_totals.get(column.code, 0) for column in cause_classes], total
    )

    # By month and event type, every month of the period, empty months included.
    by_month = counts_by_month_and_event_type(user, filters)
    months = []
    for month in _month_range({month for month, _event in by_month if month}, filters):
        cells = [by_month.get((month, column.code), 0) for column in event_types]
        months.append(MonthRow(month, month_label(month), cells, sum(cells)))

    # By cause, in the order of the choices (which groups them by class).
    by_cause = counts_by_cause(user, filters)
    causes = [
        CauseRow(
            Cause.class_of(code), cause_class_label(Cause.class_of(code)), code, cause_label(code), count
        )
        for code in _ordered(by_cause, list(Cause.values))
        if (count := by_cause[code])
    ]

    return Statistics(
        filters=filters,
        total=total,
        event_types=event_types,
        cause_classes=cause_classes,
        sector_by_event_type=sector_table,
        event_type_by_cause_class=class_table,
        months=months,
        causes=causes,
        cause_class_totals=class_totals,
    )


# -- the CSV --------------------------------------------------------------------------------------


def csv_header() -> list[str]:
    return [
        _("Month"),
        _("Sector code"),
        _("Sector"),
        _("Event type code"),
        _("Event type"),
        _("Cause class code"),
        _("Cause class"),
        _("Cause code"),
        _("Cause"),
        _("Reports"),
    ]


def csv_rows(user, filters: Filters | None = None) -> list[list[str | int]]:
    """One row per (month, sector, event type, cause class, cause) with the number of reports, ordered
    by month, then the registry's and the choices' order."""
    counts = detailed_counts(user, filters)
    sectors = sector_labels()
    sector_order = {code: index for index, code in enumerate(sectors)}
    event_order = {code: index for index, code in enumerate(EventType.values)}
    cause_order = {code: index for index, code in enumerate(Cause.values)}

    def order(key):
        month, sector, event_type, _cause_class, cause = key
        return (
            month or date.max,
            sector_order.get(sector, len(sector_order)),
            sector,
            event_order.get(event_type, len(event_order)),
            event_type,
            cause_order.get(cause, len(cause_order)),
            cause,
        )

    rows = []
    for key in sorted(counts, key=order):
        month, sector, event_type, cause_class, cause = key
        rows.append(
            [
                month_label(month),
                sector,
                sectors.get(sector, ""),
                event_type,
                event_type_label(event_type),
                cause_class,
                cause_class_label(cause_class),
                cause,
                cause_label(cause),
                counts[key],
            ]
        )
    return rows


def csv_table(user, filters: Filters | None = None) -> list[list[str | int]]:
    """The header and the rows: what the download hands `utilities.exports` to write (the sector names are
    the registry's text)."""
    return [csv_header(), *csv_rows(user, filters)]
