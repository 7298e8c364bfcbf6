"""The after-action report as a PDF (A4), from `report.build`: the same sections as the page, its three
charts drawn with reportlab.graphics, and 【訓練/EXERCISE】 in the header and footer of every page so that
no printed page can be taken for a real incident.

Japanese text is set in IPAexGothic, embedded as a subset (`exercises.fonts` finds the installed file), so
the PDF reads on any PC, whether or not its reader has a Japanese font pack.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ceptoar.exercises import fonts
from ceptoar.exercises.report import format_duration

FONT = "IPAexGothic"
INK = colors.HexColor("#333333")
GRID = colors.HexColor("#d0d7de")
HEAD = colors.HexColor("#eef1f4")
# The page's colours (Okabe–Ito), so the printed and on-screen charts look alike.
HOP_COLOUR = colors.HexColor("#0072B2")
SECTOR_COLOUR = colors.HexColor("#009E73")
SLOW_COLOUR = colors.HexColor("#D55E00")
WIDTH = A4[0] - 36 * mm
LABEL_CHARACTERS = 24


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        # A TrueType font is embedded as a subset of the glyphs used (reportlab does it for TTFont).
        pdfmetrics.registerFont(TTFont(FONT, str(fonts.font_path())))
        # One weight only: <b> (the exercise mark) is set in the same face rather than failing.
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FONT, bold, italic, FONT)


def _styles() -> dict[str, ParagraphStyle]:
    # Japanese has no spaces to break lines at; English must not be broken inside words.
    wrap = "CJK" if (get_language() or "").startswith("ja") else None
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, textColor=INK, wordWrap=wrap)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
        "mark": ParagraphStyle(
            "mark",
            parent=base,
            fontSize=12,
            leading=16,
            borderColor=INK,
            borderWidth=1,
            borderPadding=4,
            spaceAfter=8,
        ),
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=22, spaceBefore=4, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=10.5, alignment=2),
    }


def _text(value) -> str:
    return escape("" if value is None else str(value))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _table(styles, header: list[str], rows: list[list], numeric_from: int = 1, widths=None) -> Table:
    """A table of Paragraph cells (so long names wrap), numbers right-aligned from column `numeric_from`."""

    def cell(value, column):
        text = _text(value).replace("\n", "<br/>")
        return Paragraph(text, styles["num"] if column >= numeric_from else styles["cell"])

    data = [[cell(value, column) for column, value in enumerate(header)]]
    data += [[cell(value, column) for column, value in enumerate(row)] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


# -- charts ---------------------------------------------------------------------------------------


def _caption(drawing: Drawing, text: str, y: float) -> None:
    drawing.add(String(0, y, text, fontName=FONT, fontSize=9, fillColor=INK))


def curve_drawing(curve: dict) -> Drawing:
    """Chart 1: cumulative share confirmed (%) against minutes since the inject."""
    points = curve["points"]
    drawing = Drawing(WIDTH, 72 * mm)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 16 * mm, 14 * mm, WIDTH - 22 * mm, 50 * mm
    plot.data = [[(point["minute"], round(point["rate"] * 100, 1)) for point in points]]
    plot.lines[0].strokeColor = HOP_COLOUR
    plot.lines[0].strokeWidth = 1.6
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(points[-1]["minute"], 1)
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, 100, 25
    plot.yValueAxis.labelTextFormat = "%d%%"
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = GRID
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = FONT, 8
    drawing.add(plot)
    _caption(drawing, _("Minutes since the inject was sent"), 2 * mm)
    return drawing


def _bar_drawing(labels: list[str], values: list[float], colour, value_max: float, label_format) -> Drawing:
    row = 7 * mm
    height = row * len(labels) + 14 * mm
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 62 * mm, 8 * mm
    chart.width, chart.height = WIDTH - 80 * mm, row * len(labels)
    chart.data = [values]
    chart.bars[0].fillColor = colour
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = [_short(label) for label in labels]
    chart.categoryAxis.reverseDirection = 1  # the first row on top, as in the tables
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, value_max
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 8
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.barLabelFormat = label_format
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT, 7.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def rate_drawing(rates: list[dict], group: str) -> Drawing | None:
    """Chart 2 (one panel per group): confirmed-receipt rate (%) by hop or by sector."""
    rows = [row for row in rates if row["group"] == group]
    if not rows:
        return None
    drawing = _bar_drawing(
        [row["label"] for row in rows],
        [round(row["rate"] * 100, 1) for row in rows],
        HOP_COLOUR if group == "hop" else SECTOR_COLOUR,
        100,
        lambda value: f"{value:.1f}%",
    )
    drawing.contents[0].valueAxis.labelTextFormat = "%d%%"
    return drawing


def slowest_drawing(slowest: list[dict]) -> Drawing | None:
    """Chart 3: the slowest organisations' time to confirmed receipt (minutes)."""
    if not slowest:
        return None
    minutes = [entry["seconds"] / 60 for entry in slowest]
    drawing = _bar_drawing(
        [f"{entry['label']} ({entry['code']})" for entry in slowest],
        minutes,
        SLOW_COLOUR,
        max(max(minutes) * 1.25, 1),
        lambda value: format_duration(value * 60),
    )
    _caption(drawing, _("Time to confirmed receipt (minutes)"), 1 * mm)
    return drawing


# -- the document ---------------------------------------------------------------------------------


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _local_seconds(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _group_table(styles, rows: list[dict], statuses: list[dict], header: str) -> Table | Paragraph:
    if not rows:
        return Paragraph(_text(_("Nothing has been sent yet.")), styles["body"])
    head = [header, _("Sent to"), _("Confirmed"), _("Rate"), *[status["label"] for status in statuses]]
    body = [
        [
            row["label"],
            row["total"],
            row["acknowledged"],
            row["rate_display"],
            *[s["count"] for s in row["statuses"]],
        ]
        for row in rows
    ]
    rest = (WIDTH - 52 * mm) / (len(head) - 1)
    return _table(styles, head, body, widths=[52 * mm, *[rest] * (len(head) - 1)])


def story(built: dict) -> list:
    styles = _styles()
    exercise = built["exercise"]
    headline = built["headline"]
    parts: list = [
        Paragraph(
            f"<b>{_text(built['mark'])}</b> "
            + _text(_("This report is about an exercise, not a real incident.")),
            styles["mark"],
        ),
        Paragraph(_text(f"{_('After-action report')}: {exercise['name']}"), styles["title"]),
    ]
    if built["final"]:
        kind = _("Final report: the figures as they stood when the exercise ended (%(at)s).")
    else:
        kind = _(
            "Interim report: the exercise has not ended; these figures were computed at %(at)s and will change."
        )
    parts.append(Paragraph(_text(kind % {"at": _local(built["generated_at"])}), styles["body"]))

    parts.append(Paragraph(_text(_("Exercise")), styles["h2"]))
    facts = [
        [_("Name"), exercise["name"]],
        [_("Kind"), exercise["kind_label"]],
        [_("Organiser"), exercise["organiser"]],
        [_("Planned window"), f"{_local(exercise['starts_at'])} – {_local(exercise['ends_at'])}"],
        *[[item["label"], _local_seconds(item["at"]) or item["missing"]] for item in built["actual_times"]],
        [_("Status"), exercise["status_label"]],
    ]
    parts.append(_table(styles, facts[0], facts[1:], numeric_from=99, widths=[40 * mm, WIDTH - 40 * mm]))
    if built["nothing_sent"]:
        parts.append(Paragraph(_text(built["nothing_sent_text"]), styles["body"]))

    parts.append(Paragraph(_text(_("Confirmed receipt")), styles["h2"]))
    parts.append(
        _table(
            styles,
            [
                _("Confirmed-receipt rate (members)"),
                _("Confirmed-receipt rate (all recipients)"),
                _("Recipients confirmed"),
            ],
            [
                [
                    headline["confirmed_rate_display"],
                    headline["overall_rate_display"],
                    f"{headline['acknowledged']} / {headline['recipients']}",
                ]
            ],
            numeric_from=0,
            widths=[WIDTH / 3] * 3,
        )
    )

    charts = built["charts"]
    parts.append(Paragraph(_text(_("Confirmed receipt over time")), styles["h2"]))
    if charts["ack_curve"]["points"]:
        parts.append(curve_drawing(charts["ack_curve"]))
    else:
        parts.append(Paragraph(_text(_("Nothing has been sent yet.")), styles["body"]))
    parts.append(Paragraph(_text(_("Confirmed-receipt rate by hop and by sector")), styles["h2"]))
    for group, heading in (("hop", _("By hop")), ("sector", _("By sector"))):
        drawing = rate_drawing(charts["rates"], group)
        if drawing is not None:
            parts.append(KeepTogether([Paragraph(_text(heading), styles["small"]), drawing]))
    parts.append(Paragraph(_text(_("The slowest organisations to confirm receipt")), styles["h2"]))
    drawing = slowest_drawing(charts["slowest"])
    if drawing is None:
        empty = (
            built["nothing_sent_text"]
            if built["nothing_sent"]
            else _("No organisation has confirmed receipt yet.")
        )
        drawing = Paragraph(_text(empty), styles["body"])
    parts.append(drawing)

    for heading, rows, header in (
        (_("By hop"), built["hops"], _("Hop")),
        (_("By sector"), built["sectors"], _("Sector")),
        (_("By CEPTOAR"), built["ceptoars"], _("CEPTOAR")),
    ):
        parts.append(Paragraph(_text(heading), styles["h2"]))
        parts.append(_group_table(styles, rows, built["statuses"], header))

    parts.append(Paragraph(_text(_("Time distributions")), styles["h2"]))
    parts.append(
        _table(
            styles,
            ["", _("Median"), _("90th percentile"), _("Longest"), _("Counted"), _("Not yet")],
            [
                [
                    row["label"],
                    row["median_display"],
                    row["p90_display"],
                    row["max_display"],
                    row["count"],
                    row["never"],
                ]
                for row in built["times"]
            ],
            widths=[50 * mm, *[(WIDTH - 50 * mm) / 5] * 5],
        )
    )

    parts.append(Paragraph(_text(_("Escalations and calls")), styles["h2"]))
    rows = [
        [_("Escalated to: %(step)s") % {"step": row["label"]}, row["count"]] for row in built["escalations"]
    ]
    rows.append([_("Calls made"), built["calls"]["total"]])
    rows += [[f"— {row['label']}", row["count"]] for row in built["calls"]["outcomes"]]
    parts.append(_table(styles, rows[0], rows[1:], widths=[100 * mm, 30 * mm]))

    parts.append(Paragraph(_text(_("Organisations not reached")), styles["h2"]))
    if built["unreached"]:
        rows = []
        for entry in built["unreached"]:
            tried = [
                f"{c['contact'] or '—'}: {c['channel_label']} {c['address']} — {c['result_label']}"
                for c in entry["contacts"]
            ] + [f"{_('Call')} {call['number']} — {call['outcome_label']}" for call in entry["calls"]]
            rows.append(
                [
                    f"{entry['organisation']} ({entry['code']})",
                    entry["status_label"],
                    "\n".join(tried) or _("No contact was tried."),
                ]
            )
        table = _table(
            styles,
            [_("Organisation"), _("Status"), _("Contacts tried")],
            rows,
            numeric_from=99,
            widths=[55 * mm, 28 * mm, WIDTH - 83 * mm],
        )
        parts.append(table)
    elif built["nothing_sent"]:
        # 0 of 0 is not "everyone confirmed".
        parts.append(Paragraph(_text(built["nothing_sent_text"]), styles["body"]))
    else:
        parts.append(Paragraph(_text(_("Every organisation sent to has confirmed receipt.")), styles["body"]))

    parts.append(Paragraph(_text(_("Contacts found wrong")), styles["h2"]))
    if built["wrong_contacts"]:
        parts.append(
            _table(
                styles,
                [_("Organisation"), _("Contact"), _("Channel"), _("Reason")],
                [
                    [
                        f"{c['organisation']} ({c['code']})",
                        c["contact"],
                        f"{c['channel_label']} {c['address']}",
                        c["cause_label"],
                    ]
                    for c in built["wrong_contacts"]
                ],
                numeric_from=99,
            )
        )
    else:
        parts.append(Paragraph(_text(_("No address or number proved wrong.")), styles["body"]))
    if built["flagged_contacts"] is None:
        flagged = _("Contacts are flagged for verification in the registry when the exercise ends.")
    else:
        flagged = _("Contacts flagged for verification in the registry: %(count)s") % {
            "count": built["flagged_contacts"]
        }
    parts.append(Paragraph(_text(flagged), styles["body"]))

    parts.append(Paragraph(_text(_("Comparison with the previous exercise")), styles["h2"]))
    comparison = built["comparison"]
    if comparison:
        parts.append(
            Paragraph(
                _text(
                    _(
                        "Compared with “%(name)s” (%(at)s), the previous finished exercise with the same participants."
                    )
                    % {
                        "name": comparison["exercise"]["name"],
                        "at": _local(comparison["exercise"]["starts_at"]),
                    }
                ),
                styles["body"],
            )
        )
        parts.append(
            _table(
                styles,
                ["", _("Previous exercise"), _("This exercise"), _("Change since then"), _("Assessment")],
                [
                    [
                        row["label"],
                        row["previous_display"],
                        row["now_display"],
                        f"{row['arrow']} {row['change_display']}".strip(),
                        row["verdict_label"],
                    ]
                    for row in comparison["rows"]
                ],
                widths=[70 * mm, 24 * mm, 24 * mm, 28 * mm, WIDTH - 146 * mm],
            )
        )
    else:
        parts.append(
            Paragraph(
                _text(
                    _("There is no previous finished exercise with the same participants to compare with.")
                ),
                styles["body"],
            )
        )
    return parts


def render(built: dict) -> bytes:
    """The PDF bytes of a report built by `report.build`."""
    _register_font()
    exercise = built["exercise"]
    title = f"{built['mark']} {_('After-action report')}: {exercise['name']}"
    header = f"{built['mark']} {_('After-action report')} — {exercise['name']}"

    def decorate(canvas, document):
        # Header and footer on every page: a page on its own still says it is about an exercise.
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(INK)
        width, height = A4
        canvas.drawString(18 * mm, height - 11 * mm, _short_line(header))
        canvas.drawString(18 * mm, 9 * mm, built["mark"])
        canvas.drawRightString(width - 18 * mm, 9 * mm, _("Page %(page)s") % {"page": document.page})
        canvas.setStrokeColor(GRID)
        canvas.line(18 * mm, height - 13 * mm, width - 18 * mm, height - 13 * mm)
        canvas.restoreState()

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=exercise["organiser"],
        subject=_("After-action report"),
        lang=get_language() or "ja",
    )
    document.build([*story(built), Spacer(1, 2 * mm)], onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _short_line(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
