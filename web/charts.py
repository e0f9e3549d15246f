"""A small inline SVG bar chart of deadline compliance by month, rendered on the server (no chart library)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"]
HEIGHT, TOP, BOTTOM, LEFT = 220, 16, 40, 36


def compliance_chart(rows: list[dict[str, Any]], *, width: int = 640, css_class: str = "") -> SafeString:
    """Stacked bars (met green, missed red) per month, the compliance percentage over each bar.

    `width` is the drawing's own width: a narrower one keeps the text legible when the SVG is scaled down
    to a phone's width (the phone gets fewer months instead of smaller letters).
    """
    peak = max([r["met"] + r["missed"] for r in rows] + [1])
    plot_h = HEIGHT - TOP - BOTTOM
    step = (width - LEFT) / max(len(rows), 1)
    bar = step * 0.6
    parts = [
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title-{width} chart-desc-{width}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title-{width}">Cumplimiento de plazos por mes</title>',
        f'<desc id="chart-desc-{width}">Plazos cumplidos y vencidos por mes de cierre, '
        "con el porcentaje cumplido.</desc>",
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{width}" y2="{HEIGHT - BOTTOM}" class="chart-axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" class="chart-tick" text-anchor="end">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" class="chart-tick" text-anchor="end">0</text>',
    ]
    for i, row in enumerate(rows):
        x = LEFT + i * step + (step - bar) / 2
        met_h = plot_h * row["met"] / peak
        missed_h = plot_h * row["missed"] / peak
        base = HEIGHT - BOTTOM
        label = f"{MONTHS[row['month'].month - 1]} {row['month'].year % 100:02d}"
        tooltip = escape(f"{label}: {row['met']} cumplidos, {row['missed']} vencidos")
        parts.append(f"<g><title>{tooltip}</title>")
        if met_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - met_h:.1f}" width="{bar:.1f}" height="{met_h:.1f}" '
                'class="chart-met"/>'
            )
        if missed_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - met_h - missed_h:.1f}" width="{bar:.1f}" '
                f'height="{missed_h:.1f}" class="chart-missed"/>'
            )
        if row["rate"] is not None:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base - met_h - missed_h - 4:.1f}" class="chart-rate" '
                f'text-anchor="middle">{row["rate"]}%</text>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" class="chart-tick" '
            f'text-anchor="middle">{label}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text is escaped or numeric


def indicator_chart(series: list[Any], *, width: int = 640, css_class: str = "") -> SafeString:
    """One indicator over its periods: a bar per period's value, against the target (solid line), the
    baseline (dashed) and the admitted deviation below the target (a band), with a legend above the plot. A
    period without data shows "s/d" and no bar, never a bar of 0.

    `series` are `mapro.reports.indicators.IndicatorValue` of one indicator, oldest first.
    """
    if not series:
        return mark_safe("")
    first = series[0]
    uid = f"{first.procedure_code}-{first.indicator_id}-{width}".replace(".", "_")
    uid = escape(uid)
    top = TOP + 24  # room for the legend
    references = [v for v in (first.target, first.baseline) if v is not None]
    values = [v.value for v in series if v.value is not None]
    scale_max = float(max([100 if first.percent else 0, *values, *references, 1]))
    peak = scale_max * 1.12  # headroom for the value over the highest bar
    plot_h = HEIGHT - top - BOTTOM
    base = HEIGHT - BOTTOM
    step = (width - LEFT) / len(series)
    bar = step * 0.6
    unit = "%" if first.percent else ""

    def y(amount: Any) -> float:
        return base - plot_h * float(amount) / peak

    parts = [
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="ind-title-{uid} ind-desc-{uid}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="ind-title-{uid}">{escape(first.name)}</title>',
        f'<desc id="ind-desc-{uid}">Valor por periodo frente a la meta ({escape(first.target_text)}) y la '
        f"línea base ({escape(first.baseline_text or 'no indicada')}).</desc>",
        *_indicator_legend(first, unit),
    ]
    if first.target is not None and first.deviation is not None:
        low, high = max(float(first.target) - float(first.deviation), 0), float(first.target)
        if first.baseline is not None and first.baseline > first.target:  # a value to bring down
            low, high = float(first.target), float(first.target) + float(first.deviation)
        parts.append(
            f'<rect x="{LEFT}" y="{y(high):.1f}" width="{width - LEFT}" '
            f'height="{max(y(low) - y(high), 1):.1f}" class="chart-band"/>'
        )
    parts += [
        f'<line x1="{LEFT}" y1="{base}" x2="{width}" y2="{base}" class="chart-axis"/>',
        f'<text x="{LEFT - 6}" y="{y(scale_max) + 4:.1f}" class="chart-tick" text-anchor="end">'
        f"{scale_max:g}{unit}</text>",
        f'<text x="{LEFT - 6}" y="{base}" class="chart-tick" text-anchor="end">0</text>',
    ]
    for i, point in enumerate(series):
        parts += _indicator_bar(
            point, LEFT + i * step + (step - bar) / 2, bar, base, y, unit, first.frequency
        )
    for amount, css in ((first.baseline, "chart-baseline"), (first.target, "chart-target")):
        if amount is not None:
            parts.append(
                f'<line x1="{LEFT}" y1="{y(amount):.1f}" x2="{width}" y2="{y(amount):.1f}" class="{css}"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text is escaped or numeric


def _indicator_legend(first: Any, unit: str) -> list[str]:
    """Meta, línea base and desviación, in a row above the plot (their lines are often 1 % apart)."""
    y, x, parts = TOP, 6, []
    entries = [
        ("chart-target", "line", f"meta {first.target:g}{unit}" if first.target is not None else ""),
        (
            "chart-baseline",
            "line",
            f"línea base {first.baseline:g}{unit}" if first.baseline is not None else "",
        ),
        (
            "chart-band",
            "rect",
            f"desviación {first.deviation:g}{unit}" if first.deviation is not None else "",
        ),
    ]
    for css, shape, text in entries:
        if not text:
            continue
        if shape == "line":
            parts.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" class="{css}"/>')
        else:
            parts.append(f'<rect x="{x}" y="{y - 10}" width="22" height="12" class="{css}"/>')
        parts.append(f'<text x="{x + 28}" y="{y}" class="chart-tick">{escape(text)}</text>')
        x += 28 + 6 * len(text) + 14
    return parts


def _indicator_bar(
    point: Any, x: float, bar: float, base: float, y: Any, unit: str, frequency: str
) -> list[str]:
    label = _period_label(point.start, point.end, frequency)
    tooltip = escape(
        f"{label}: {point.value_text} ({point.verdict}); {point.numerator} / {point.denominator}"
    )
    parts = [f"<g><title>{tooltip}</title>"]
    if point.value is None:
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base - 4}" class="chart-nodata" text-anchor="middle">s/d</text>'
        )
    else:
        top = y(point.value)
        verdict = {"cumple": "ok", "no cumple": "bad"}.get(point.verdict, "near")
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar:.1f}" height="{max(base - top, 0.5):.1f}" '
            f'class="chart-value chart-value--{verdict}"/>'
            f'<text x="{x + bar / 2:.1f}" y="{top - 5:.1f}" class="chart-rate" text-anchor="middle">'
            f"{point.value:g}{unit}</text>"
        )
    parts.append(
        f'<text x="{x + bar / 2:.1f}" y="{base + 16}" class="chart-tick" text-anchor="middle">'
        f"{label}</text></g>"
    )
    return parts


def _period_label(start: Any, end: Any, frequency: str) -> str:
    if frequency in ("monthly", "on_demand"):
        return f"{MONTHS[start.month - 1]} {start.year % 100:02d}"
    if frequency in ("quarterly", "semiannual"):
        span = 3 if frequency == "quarterly" else 6
        return f"{'T' if span == 3 else 'S'}{(start.month - 1) // span + 1} {start.year % 100:02d}"
    if frequency == "annual":
        return str(start.year)
    return f"{start:%d/%m}"
