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
