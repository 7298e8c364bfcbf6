"""Charts of the report statistics, drawn on the server as inline SVG: no JavaScript, no CDN, readable
on a closed network and in print. Each chart has a <title> and a <desc> for screen readers, a <title> on
every bar (shown as a tooltip), and a legend; the tables on the same page hold the same numbers."""

from __future__ import annotations

import math

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), grey for "other".
EVENT_TYPE_COLOURS = {
    "precursor": "#E69F00",
    "leak": "#56B4E9",
    "destruction": "#D55E00",
    "unavailability": "#0072B2",
    "malware": "#CC79A7",
    "malicious_code": "#009E73",
    "intrusion": "#F0E442",
    "other": "#999999",
}
CAUSE_CLASS_COLOURS = {
    "intentional": "#D55E00",
    "accidental": "#0072B2",
    "environmental": "#009E73",
    "other": "#999999",
}
FALLBACK_COLOUR = "#555555"
INK = "#333333"
GRID = "#d0d7de"

# Geometry of the monthly chart, in SVG user units.
_PLOT_HEIGHT = 220
_TOP = 14
_LEFT = 46
_RIGHT = 12
_BOTTOM = 30
_LABEL_WIDTH = 52  # room a "2026-03" label needs under the axis


def _nice_step(maximum: int, ticks: int = 5) -> int:
    """A step of 1, 2 or 5 × 10ⁿ giving at most `ticks` gridlines up to `maximum`."""
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def _reports(count: int) -> str:
    return ngettext("%(count)d report", "%(count)d reports", count) % {"count": count}


def _legend(items: list[tuple[str, str]]) -> SafeString:
    return format_html(
        '<ul class="plain toc chart-legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg width="12" height="12" aria-hidden="true" focusable="false">'
            '<rect width="12" height="12" fill="{}" stroke="{}" stroke-width="0.5"/></svg> {}</li>',
            ((colour, INK, label) for colour, label in items),
        ),
    )


@register.simple_tag
def month_event_type_chart(statistics, chart_id: str = "chart-months") -> SafeString:
    """Stacked bars: one per month, a segment per event type."""
    months = statistics.months
    if not months:
        return format_html('<p class="muted">{}</p>', _("No reports to chart."))
    maximum = max(statistics.month_maximum, 1)
    step = _nice_step(maximum)
    top_value = math.ceil(maximum / step) * step
    count = len(months)
    slot = min(72, max(8, 900 // count))
    bar = max(4, round(slot * 0.7))
    width = _LEFT + count * slot + _RIGHT
    height = _TOP + _PLOT_HEIGHT + _BOTTOM
    every = max(1, math.ceil(_LABEL_WIDTH / slot))

    def y(value: float) -> float:
        return _TOP + _PLOT_HEIGHT - value * _PLOT_HEIGHT / top_value

    parts: list[str] = []
    for tick in range(0, top_value + 1, step):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
                _LEFT,
                width - _RIGHT,
                f"{y(tick):.1f}",
                f"{y(tick):.1f}",
                GRID,
                _LEFT - 6,
                f"{y(tick):.1f}",
                tick,
            )
        )
    for index, row in enumerate(months):
        x = _LEFT + index * slot + (slot - bar) / 2
        segments = []
        stacked = 0
        for column, value in zip(statistics.event_types, row.cells, strict=True):
            if not value:
                continue
            segments.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" class="event-{}">'
                    "<title>{} · {}: {}</title></rect>",
                    f"{x:.1f}",
                    f"{y(stacked + value):.1f}",
                    bar,
                    f"{y(stacked) - y(stacked + value):.1f}",
                    EVENT_TYPE_COLOURS.get(column.code, FALLBACK_COLOUR),
                    column.code or "none",
                    row.label,
                    column.label,
                    _reports(value),
                )
            )
            stacked += value
        label = ""
        if index % every == 0:
            label = format_html(
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                f"{x + bar / 2:.1f}",
                _TOP + _PLOT_HEIGHT + 16,
                row.label,
            )
        parts.append(
            format_html(
                '<g class="month" data-month="{}"><title>{}: {}</title>{}{}</g>',
                row.label,
                row.label,
                _reports(row.total),
                mark_safe("".join(segments)),  # noqa: S308 - each segment is built by format_html
                label,
            )
        )
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
            _LEFT,
            width - _RIGHT,
            _TOP + _PLOT_HEIGHT,
            _TOP + _PLOT_HEIGHT,
            INK,
        )
    )
    title = _("Reports by month of occurrence and event type")
    description = _(
        "Stacked bars, one per month from %(first)s to %(last)s, %(total)s in all; the highest month has "
        "%(maximum)s. The table below gives the same numbers."
    ) % {
        "first": months[0].label,
        "last": months[-1].label,
        "total": _reports(statistics.total),
        "maximum": _reports(statistics.month_maximum),
    }
    svg = _svg(chart_id, width, height, title, description, parts, font_size=11)
    legend = _legend(
        [
            (EVENT_TYPE_COLOURS.get(column.code, FALLBACK_COLOUR), column.label)
            for column in statistics.event_types
        ]
    )
    caption = format_html('<span class="visually-hidden">{}</span> {}', _("Legend:"), legend)
    return _figure(svg, caption)


@register.simple_tag
def cause_class_chart(statistics, chart_id: str = "chart-causes") -> SafeString:
    """Horizontal bars: reports with a cause of each class (a report may count under several)."""
    values = [
        (column, statistics.cause_class_totals.get(column.code, 0)) for column in statistics.cause_classes
    ]
    maximum = max((value for _column, value in values), default=0)
    if not maximum:
        return format_html('<p class="muted">{}</p>', _("No reports to chart."))
    label_width, bar_width, row_height = 290, 320, 26
    width = label_width + bar_width + 60
    height = row_height * len(values) + 8
    parts = []
    for index, (column, value) in enumerate(values):
        top = 4 + index * row_height
        length = round(value * bar_width / maximum, 1)
        parts.append(
            format_html(
                '<g class="cause-class" data-cause-class="{code}"><title>{label}: {reports}</title>'
                '<text x="{lx}" y="{ty}" text-anchor="end" dominant-baseline="middle">{label}</text>'
                '<rect x="{bx}" y="{by}" width="{bw}" height="{bh}" fill="{colour}"/>'
                '<text x="{vx}" y="{ty}" dominant-baseline="middle">{value}</text></g>',
                code=column.code,
                label=column.label,
                reports=_reports(value),
                lx=label_width - 8,
                ty=top + row_height / 2 - 2,
                bx=label_width,
                by=top + 2,
                bw=length,
                bh=row_height - 8,
                colour=CAUSE_CLASS_COLOURS.get(column.code, FALLBACK_COLOUR),
                vx=label_width + length + 6,
                value=value,
            )
        )
    title = _("Reports by cause class")
    description = _(
        "Horizontal bars, one per cause class. A report with causes of several classes counts under each."
    )
    return _figure(_svg(chart_id, width, height, title, description, parts, font_size=12))


def _svg(
    chart_id: str, width, height, title: str, description: str, parts: list, font_size: int
) -> SafeString:
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" font-size="{size}" '
        'fill="{ink}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=width,
        h=height,
        size=font_size,
        ink=INK,
        title=title,
        desc=description,
        body=mark_safe("".join(parts)),  # noqa: S308 - every part is built by format_html
    )


def _figure(svg: SafeString, caption: SafeString | None = None) -> SafeString:
    if caption is None:
        return format_html('<figure class="chart-figure"><div class="table-wrap">{}</div></figure>', svg)
    return format_html(
        '<figure class="chart-figure"><div class="table-wrap">{}</div><figcaption>{}</figcaption></figure>',
        svg,
        caption,
    )
