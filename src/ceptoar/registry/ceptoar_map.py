"""The CEPTOAR characteristics map (セプター特性把握マップ), regenerated from the registry.

NISC published the map as a table: one row per characteristic, one column per CEPTOAR. `build_ceptoar_map`
rebuilds that table from the registry, and the `map_to_*` functions turn it into CSV, XLSX and JSON, so the
page, the downloads and `ceptoar map` all show one and the same map.

In Japanese the cells use the published map's own notation (和暦 months, counters such as 社 and 機関 glued
to the number, its words for the means of communication): that notation is the format being reproduced, so
it is written here rather than left to the message catalogue, and it is right whether or not a catalogue is
installed. Other languages get plain text through gettext.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ceptoar.registry.models import (
    CeptoarProfile,
    CommunicationMeans,
    CouncilSeat,
    HandlingRules,
    Membership,
    MemberUnit,
)
from ceptoar.utilities import exports


@dataclass(frozen=True)
class MapCell:
    text: str
    # 1 = an ordinary cell; n > 1 = this cell covers the next n - 1 columns too; 0 = covered by a cell on its left.
    # A covered cell still carries the text, so that CSV can repeat it in every column.
    colspan: int = 1


@dataclass(frozen=True)
class MapRow:
    key: str
    label: str
    cells: tuple[MapCell, ...]

    @property
    def texts(self) -> list[str]:
        return [cell.text for cell in self.cells]


@dataclass(frozen=True)
class MapColumn:
    """One CEPTOAR on the map, with its member counts by unit, for callers that want numbers, not text."""

    code: str
    member_counts: dict[str, int]
    observer_counts: dict[str, int]


@dataclass(frozen=True)
class CeptoarMap:
    language: str
    generated_on: datetime.date
    columns: tuple[MapColumn, ...]
    rows: tuple[MapRow, ...]

    def row(self, key: str) -> MapRow:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def as_table(self) -> list[list[str]]:
        """Label first, then one text per column; merged cells repeated (the CSV shape)."""
        return [[row.label, *row.texts] for row in self.rows]


# The seed's rows in the seed's order. Rows whose key is in MERGED_ROWS are merged across adjacent
# columns where the published map merges them (sector, council name, set-up and POC dates).
ROWS = (
    ("sector", _("Critical-infrastructure sector")),
    ("business_scope", _("Business scope")),
    ("name", _("Name")),
    ("secretariat", _("Secretariat")),
    ("established", _("Set-up status")),
    ("members", _("Members (main operators etc.)")),
    ("poc", _("Emergency point of contact (POC)")),
    ("handling_rules", _("Information handling rules")),
    ("information_and_means", _("Information and means of communication")),
    ("features", _("Features")),
)
MERGED_ROWS = frozenset({"sector", "name", "established", "poc"})

# The published map lists operators first and public institutions last: 22社1団体 1機関, 2グループ 3機関.
UNIT_ORDER = (
    MemberUnit.COMPANY,
    MemberUnit.BODY,
    MemberUnit.COMPANY_OR_BODY,
    MemberUnit.WATER_UTILITY,
    MemberUnit.GROUP,
    MemberUnit.INSTITUTION,
)
JA_COUNTERS = {
    MemberUnit.COMPANY: "社",
    MemberUnit.BODY: "団体",
    MemberUnit.COMPANY_OR_BODY: "社・団体",
    MemberUnit.WATER_UTILITY: "水道事業者",
    MemberUnit.GROUP: "グループ",
    MemberUnit.INSTITUTION: "機関",
}
JA_MEANS = {
    CommunicationMeans.EMAIL: "メール",
    CommunicationMeans.PHONE: "電話",
    CommunicationMeans.MOBILE: "携帯電話",
    CommunicationMeans.SATELLITE_PHONE: "衛星電話",
    CommunicationMeans.FAX: "FAX",
    CommunicationMeans.WEB: "WEB",
    CommunicationMeans.MEETING: "会議体",
}
MEANS_ORDER = tuple(CommunicationMeans.values)

# Start of each era, newest first. 平成 began on 8 January 1989, 令和 on 1 May 2019.
JAPANESE_ERAS = (
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
)


def japanese_era_month(day: datetime.date) -> str:
    """2007-03-31 → 平成19年3月; the first year of an era is 元年 (2019-05-01 → 令和元年5月)."""
    for start, era in JAPANESE_ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{day.month}月"
    return f"{day.year}年{day.month}月"


def _is_japanese(language: str) -> bool:
    return language.split("-")[0] == "ja"


def _english_month(day: datetime.date) -> str:
    return dateformat.format(day, "F Y")


def _set_up_text(day: datetime.date, japanese: bool) -> str:
    if japanese:
        return f"{japanese_era_month(day)}末に整備"
    return gettext("Set up by end of %(month)s") % {"month": _english_month(day)}


def _poc_text(day: datetime.date, japanese: bool) -> str:
    if japanese:
        return f"{japanese_era_month(day)}より運用開始"
    return gettext("POC in operation since %(month)s") % {"month": _english_month(day)}


def _rules_text(day: datetime.date | None, japanese: bool) -> str:
    if day is None:
        return ""
    if japanese:
        return f"{japanese_era_month(day)}制定"
    return gettext("Enacted %(month)s") % {"month": _english_month(day)}


def _english_count(unit: str, count: int) -> str:
    values = {"count": f"{count:,}"}
    if unit == MemberUnit.COMPANY:
        return ngettext("%(count)s company", "%(count)s companies", count) % values
    if unit == MemberUnit.BODY:
        return ngettext("%(count)s body", "%(count)s bodies", count) % values
    if unit == MemberUnit.COMPANY_OR_BODY:
        return ngettext("%(count)s company or body", "%(count)s companies or bodies", count) % values
    if unit == MemberUnit.WATER_UTILITY:
        return ngettext("%(count)s water utility", "%(count)s water utilities", count) % values
    if unit == MemberUnit.GROUP:
        return ngettext("%(count)s group", "%(count)s groups", count) % values
    if unit == MemberUnit.INSTITUTION:
        return ngettext("%(count)s institution", "%(count)s institutions", count) % values
    return f"{count:,} {MemberUnit(unit).label if unit in MemberUnit.values else unit}"


def _ordered_units(counts: dict[str, int]) -> list[str]:
    known = [unit for unit in UNIT_ORDER if counts.get(unit)]
    return known + sorted(unit for unit in counts if unit not in UNIT_ORDER and counts[unit])


def _members_text(counts: dict[str, int], observers: dict[str, int], description: str, japanese: bool) -> str:
    parts: list[str] = []
    text = ""
    for unit in _ordered_units(counts):
        count, watching = counts[unit], observers.get(unit, 0)
        if japanese:
            counter = JA_COUNTERS.get(unit, unit)
            piece = f"{count:,}{counter}"
            if watching:
                piece += f"(含むオブザーバー{watching:,}{counter})"
            # The published map sets public institutions apart with a space (317社 10機関, 22社1団体 1機関).
            text += (" " if unit == MemberUnit.INSTITUTION and text else "") + piece
        else:
            piece = _english_count(unit, count)
            if watching:
                piece += " " + ngettext(
                    "(including %(count)s observer)", "(including %(count)s observers)", watching
                ) % {"count": f"{watching:,}"}
            parts.append(piece)
    if not japanese:
        text = ", ".join(parts)
    if description:
        text = f"{text} ({description})" if text else description
    return text


def _means_text(profile: CeptoarProfile, japanese: bool) -> str:
    means = sorted(
        profile.communication_means or [],
        key=lambda value: MEANS_ORDER.index(value) if value in MEANS_ORDER else len(MEANS_ORDER),
    )
    if japanese:
        words = "、".join(JA_MEANS.get(value, value) for value in means)
    else:
        labels = dict(CommunicationMeans.choices)
        words = ", ".join(str(labels.get(value, value)) for value in means)
    return " ".join(part for part in (profile.information_shared, words) if part)


def _localised_name(organisation, japanese: bool) -> str:
    return organisation.name if japanese else (organisation.name_en or organisation.name)


def _merge(values: list[tuple[str, object]]) -> tuple[MapCell, ...]:
    """Cells from (text, merge key) pairs: runs of adjacent equal, non-empty keys become one merged cell."""
    cells: list[MapCell] = []
    index = 0
    while index < len(values):
        text, key = values[index]
        end = index + 1
        if key is not None:
            while end < len(values) and values[end][1] == key:
                end += 1
        cells.append(MapCell(text, end - index))
        cells.extend(MapCell(values[covered][0], 0) for covered in range(index + 1, end))
        index = end
    return tuple(cells)


def build_ceptoar_map(language: str | None = None, today: datetime.date | None = None) -> CeptoarMap:
    """The map as it stands in the registry now, in `language` (default: the active language).

    Four queries whatever the number of CEPTOARs: profiles, map-named council seats, member counts
    aggregated by CEPTOAR and unit, and the first version of each CEPTOAR's handling rules.
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        return _build(language, today or timezone.localdate())


def _build(language: str, today: datetime.date) -> CeptoarMap:
    japanese = _is_japanese(language)
    profiles = list(
        CeptoarProfile.objects.select_related("ceptoar__sector", "secretariat").order_by(
            "map_position", "ceptoar__code"
        )
    )
    ceptoar_ids = [profile.ceptoar_id for profile in profiles]

    council_of: dict[int, object] = {}
    seats = (
        CouncilSeat.objects.filter(shown_on_map=True, ceptoar_id__in=ceptoar_ids)
        .select_related("council")
        .order_by("council__code")
    )
    for seat in seats:
        council_of.setdefault(seat.ceptoar_id, seat.council)

    counts: dict[int, dict[str, int]] = defaultdict(dict)
    observers: dict[int, dict[str, int]] = defaultdict(dict)
    aggregated = (
        Membership.objects.filter(ceptoar_id__in=ceptoar_ids)
        .values("ceptoar_id", "unit")
        .annotate(total=Count("pk"), watching=Count("pk", filter=Q(is_observer=True)))
        .order_by()
    )
    for entry in aggregated:
        counts[entry["ceptoar_id"]][entry["unit"]] = entry["total"]
        if entry["watching"]:
            observers[entry["ceptoar_id"]][entry["unit"]] = entry["watching"]

    # The map dates the rules by their first enactment, not by the latest revision.
    first_rules = dict(
        HandlingRules.objects.filter(ceptoar_id__in=ceptoar_ids, version=1).values_list(
            "ceptoar_id", "enacted_on"
        )
    )

    values: dict[str, list[tuple[str, object]]] = {key: [] for key, _label in ROWS}
    for profile in profiles:
        ceptoar, sector = profile.ceptoar, profile.ceptoar.sector
        council = council_of.get(ceptoar.pk)
        set_up = _set_up_text(profile.established_on, japanese)
        poc = _poc_text(profile.poc_started_on, japanese)
        values["sector"].append((_localised_name(sector, japanese) if sector else "", sector and sector.pk))
        values["business_scope"].append((profile.business_scope, None))
        if council is not None:
            values["name"].append((_localised_name(council, japanese), ("council", council.pk)))
        else:
            values["name"].append((_localised_name(ceptoar, japanese), None))
        values["secretariat"].append((_localised_name(profile.secretariat, japanese), None))
        values["established"].append((set_up, set_up))
        values["members"].append(
            (
                _members_text(
                    counts.get(ceptoar.pk, {}),
                    observers.get(ceptoar.pk, {}),
                    profile.member_description,
                    japanese,
                ),
                None,
            )
        )
        values["poc"].append((poc, poc))
        values["handling_rules"].append((_rules_text(first_rules.get(ceptoar.pk), japanese), None))
        values["information_and_means"].append((_means_text(profile, japanese), None))
        values["features"].append((profile.features, None))

    rows = tuple(
        MapRow(
            key,
            str(label),
            _merge(values[key]) if key in MERGED_ROWS else tuple(MapCell(text) for text, _k in values[key]),
        )
        for key, label in ROWS
    )
    columns = tuple(
        MapColumn(
            profile.ceptoar.code,
            dict(counts.get(profile.ceptoar_id, {})),
            dict(observers.get(profile.ceptoar_id, {})),
        )
        for profile in profiles
    )
    return CeptoarMap(language=language, generated_on=today, columns=columns, rows=rows)


def map_to_csv(ceptoar_map: CeptoarMap) -> str:
    """The map as CSV text (no byte-order mark): one line per row, label first; merged cells repeated in
    each column. Through the one export writer: a name cannot become a formula."""
    return exports.to_csv(ceptoar_map.as_table())


def map_to_json(ceptoar_map: CeptoarMap) -> dict:
    return {
        "language": ceptoar_map.language,
        "generated_on": ceptoar_map.generated_on.isoformat(),
        "columns": [
            {
                "code": column.code,
                "member_counts": column.member_counts,
                "observer_counts": column.observer_counts,
            }
            for column in ceptoar_map.columns
        ],
        "rows": [
            {
                "key": row.key,
                "label": row.label,
                "cells": [{"text": cell.text, "colspan": cell.colspan} for cell in row.cells],
            }
            for row in ceptoar_map.rows
        ],
    }


LABEL_COLUMN_WIDTH = 22
CELL_COLUMN_WIDTH = 24
LINE_HEIGHT_POINTS = 15


def _display_width(text: str) -> int:
    # Full-width (Japanese) characters take two columns of a spreadsheet's width unit.
    return sum(1 if ord(character) < 0x2E80 else 2 for character in text)


def map_to_xlsx(ceptoar_map: CeptoarMap) -> bytes:
    """The map as an Excel workbook: merged cells as on the published map, wrapped text, bold labels,
    the label column (and the sector row) frozen. Every text is a string cell (`utilities.exports`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    with translation.override(ceptoar_map.language):
        sheet_title = gettext("CEPTOAR map")[:31]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    wrap = Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    label_fill = PatternFill("solid", fgColor="E8EEF4")

    column_count = len(ceptoar_map.columns)
    sheet.column_dimensions["A"].width = LABEL_COLUMN_WIDTH
    for index in range(column_count):
        sheet.column_dimensions[get_column_letter(index + 2)].width = CELL_COLUMN_WIDTH

    for row_number, row in enumerate(ceptoar_map.rows, start=1):
        label = exports.put(sheet, row_number, 1, row.label)
        label.font = Font(bold=True)
        label.alignment = wrap
        label.fill = label_fill
        label.border = border
        lines = math.ceil(_display_width(row.label) / LABEL_COLUMN_WIDTH) or 1
        for index, cell in enumerate(row.cells):
            column = index + 2
            target = sheet.cell(row=row_number, column=column)
            target.border = border
            if cell.colspan == 0:
                continue
            exports.write_cell(target, cell.text)
            target.alignment = wrap
            if row.key == "sector":
                target.font = Font(bold=True)
            if cell.colspan > 1:
                sheet.merge_cells(
                    start_row=row_number,
                    start_column=column,
                    end_row=row_number,
                    end_column=column + cell.colspan - 1,
                )
            width = CELL_COLUMN_WIDTH * cell.colspan
            lines = max(lines, math.ceil(_display_width(cell.text) / width) or 1)
        # openpyxl cannot autofit; an estimate keeps long cells (features) readable when the file opens.
        sheet.row_dimensions[row_number].height = min(409, LINE_HEIGHT_POINTS * lines)

    sheet.freeze_panes = "B2"
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToHeight = 0
    return exports.xlsx_bytes(workbook)
