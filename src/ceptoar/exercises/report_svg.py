"""The after-action report's three charts as inline SVG, drawn on the server from `report.build`'s chart
data. The frame (title, description for screen readers, figure) and the gridline steps are the statistics
page's (`reports_charts`), so every chart of the platform reads the same way; the tables beside each chart
hold the same numbers."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ceptoar.reports.templatetags.reports_charts import GRID, INK, _figure, _nice_step, _svg

# Okabe–Ito blue and vermillion: told apart with the common colour-vision deficiencies, and each group of
# bars also has its heading, so colour is never the only cue.
HOP_COLOUR = "#0072B2"
SECTOR_COLOUR = "#009E73"
SLOW_COLOUR = "#D55E00"
CURVE_COLOUR = "#0072B2"
LABEL_CHARACTERS = 26


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _empty(message: str) -> SafeString:
    return format_html('<p class="muted">{}</p>', message)


def ack_curve_chart(curve: dict, chart_id: str = "chart-ack-curve") -> SafeString:
    """Cumulative share of recipients that confirmed receipt, against minutes since the inject."""
    points = curve["points"]
    if not points:
        return _empty(_("Nothing has been sent yet."))
    left, right, top, plot_width, plot_height, bottom = 52, 16, 12, 560, 200, 40
    width, height = left + plot_width + right, top + plot_height + bottom
    horizon = max(points[-1]["minute"], 1)

    def x(minute: float) -> float:
        return left + minute * plot_width / horizon

    def y(rate: float) -> float:
        return top + plot_height - rate * plot_height

    parts = []
    for percent in range(0, 101, 25):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="{}"/>'
                '<text x="{}" y="{y}" text-anchor="end" dominant-baseline="middle">{}%</text>',
                left,
                left + plot_width,
                GRID,
                left - 6,
                percent,
                y=f"{y(percent / 100):.1f}",
            )
        )
    step = _nice_step(horizon, ticks=8)
    for minute in range(0, horizon + 1, step):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                f"{x(minute):.1f}",
                top + plot_height + 16,
                minute,
            )
        )
    parts.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="middle">{}</text>',
            left + plot_width / 2,
            height - 4,
            _("Minutes since the inject was sent"),
        )
    )
    parts.append(
        format_html(
            '<line x1="{l}" x2="{r}" y1="{b}" y2="{b}" stroke="{ink}"/>'
            '<line x1="{l}" x2="{l}" y1="{t}" y2="{b}" stroke="{ink}"/>',
            l=left,
            r=left + plot_width,
            t=top,
            b=top + plot_height,
            ink=INK,
        )
    )
    coordinates = " ".join(f"{x(p['minute']):.1f},{y(p['rate']):.1f}" for p in points)
    parts.append(
        format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', coordinates, CURVE_COLOUR
        )
    )
    for point in points:
        parts.append(
            format_html(
                '<circle class="point" data-minute="{m}" data-rate="{r}" cx="{cx}" cy="{cy}" r="3" fill="{c}">'
                "<title>{text}</title></circle>",
                m=point["minute"],
                r=point["rate"],
                cx=f"{x(point['minute']):.1f}",
                cy=f"{y(point['rate']):.1f}",
                c=CURVE_COLOUR,
                text=_("%(minute)s min: %(acknowledged)s of %(total)s confirmed (%(rate)s)")
                % {
                    "minute": point["minute"],
                    "acknowledged": point["acknowledged"],
                    "total": curve["total"],
                    "rate": f"{point['rate'] * 100:.1f}%",
                },
            )
        )
    last = points[-1]
    description = _(
        "Line chart of the share of the %(total)s recipients that had confirmed receipt, from minute 0 to "
        "minute %(last)s after the inject was sent; at the end %(acknowledged)s had confirmed (%(rate)s)."
    ) % {
        "total": curve["total"],
        "last": last["minute"],
        "acknowledged": last["acknowledged"],
        "rate": f"{last['rate'] * 100:.1f}%",
    }
    title = _("Confirmed receipt over time")
    return _figure(_svg(chart_id, width, height, title, description, parts, font_size=11))


def _bar_rows(groups: list[tuple[str, str, list[dict]]], maximum: float, scale_label) -> tuple[list, int]:
    """Horizontal bars under group headings; returns (svg parts, height). Each item has label, value,
    display, key and an optional detail for its tooltip."""
    label_width, bar_width, row_height = 300, 300, 24
    parts, top = [], 4
    for group, heading, items in groups:
        if heading:
            parts.append(
                format_html(
                    '<text class="group-heading" x="4" y="{}" font-weight="bold" dominant-baseline="middle">'
                    "{}</text>",
                    top + row_height / 2,
                    heading,
                )
            )
            top += row_height
        for item in items:
            length = round(item["value"] * bar_width / maximum, 1) if maximum else 0
            middle = top + row_height / 2 - 1
            parts.append(
                format_html(
                    '<g class="bar" data-group="{group}" data-key="{key}" data-value="{value}">'
                    "<title>{label}: {tooltip}</title>"
                    '<text x="{lx}" y="{ty}" text-anchor="end" dominant-baseline="middle">{short}</text>'
                    '<rect x="{bx}" y="{by}" width="{bw}" height="{bh}" fill="{colour}"/>'
                    '<text x="{vx}" y="{ty}" dominant-baseline="middle">{display}</text></g>',
                    group=group,
                    key=item["key"],
                    value=item["value"],
                    label=item["label"],
                    tooltip=item.get("detail") or item["display"],
                    short=_short(item["label"]),
                    lx=label_width - 8,
                    ty=f"{middle:.1f}",
                    bx=label_width,
                    by=top + 3,
                    bw=length,
                    bh=row_height - 8,
                    colour=item["colour"],
                    vx=label_width + length + 6,
                    display=item["display"],
                )
            )
            top += row_height
    parts.append(
        format_html(
            '<line x1="{x}" x2="{x}" y1="2" y2="{b}" stroke="{ink}"/>'
            '<text x="{e}" y="{s}" text-anchor="end" class="muted">{scale}</text>',
            x=label_width,
            b=top,
            ink=INK,
            e=label_width + bar_width,
            s=top + 14,
            scale=scale_label,
        )
    )
    return parts, top + 20


def rate_chart(rates: list[dict], chart_id: str = "chart-rates") -> SafeString:
    """Confirmed-receipt rate per hop and per sector."""
    if not rates:
        return _empty(_("Nothing has been sent yet."))
    headings = {"hop": _("By hop"), "sector": _("By sector")}
    colours = {"hop": HOP_COLOUR, "sector": SECTOR_COLOUR}
    groups = []
    for group in ("hop", "sector"):
        items = [
            {
                "key": row["key"],
                "label": row["label"],
                "value": row["rate"],
                "display": row["display"],
                "detail": _("%(rate)s (%(acknowledged)s of %(total)s)")
                % {"rate": row["display"], "acknowledged": row["acknowledged"], "total": row["total"]},
                "colour": colours[group],
            }
            for row in rates
            if row["group"] == group
        ]
        if items:
            groups.append((group, headings[group], items))
    parts, height = _bar_rows(groups, 1.0, _("Scale: 0–100%"))
    title = _("Confirmed-receipt rate by hop and by sector")
    description = _(
        "Horizontal bars on a scale of 0 to 100%%: %(hops)s hop(s), then %(sectors)s sector(s). The tables "
        "below give the same rates with the counts."
    ) % {
        "hops": sum(1 for row in rates if row["group"] == "hop"),
        "sectors": sum(1 for row in rates if row["group"] == "sector"),
    }
    return _figure(_svg(chart_id, 680, height, title, description, parts, font_size=12))


def slowest_chart(slowest: list[dict], chart_id: str = "chart-slowest") -> SafeString:
    """The organisations that took longest to confirm receipt."""
    if not slowest:
        return _empty(_("No organisation has confirmed receipt yet."))
    maximum = max(entry["seconds"] for entry in slowest) or 1
    items = [
        {
            "key": entry["code"],
            "label": f"{entry['label']} ({entry['code']})",
            "value": entry["seconds"],
            "display": entry["display"],
            "detail": f"{entry['display']} · {entry['hop']}",
            "colour": SLOW_COLOUR,
        }
        for entry in slowest
    ]
    parts, height = _bar_rows([("slowest", "", items)], maximum, _("Time to confirmed receipt"))
    title = _("The slowest organisations to confirm receipt")
    description = _(
        "Horizontal bars, one per organisation, longest first: %(count)s organisation(s); the slowest took "
        "%(longest)s. The table below gives the same times."
    ) % {"count": len(slowest), "longest": slowest[0]["display"]}
    return _figure(_svg(chart_id, 680, height, title, description, parts, font_size=12))


def charts(chart_data: dict) -> dict[str, SafeString]:
    return {
        "ack_curve": ack_curve_chart(chart_data["ack_curve"]),
        "rates": rate_chart(chart_data["rates"]),
        "slowest": slowest_chart(chart_data["slowest"]),
    }
