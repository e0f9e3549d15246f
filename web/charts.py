"""A small inline SVG bar chart of deadline compliance by month, rendered on the server (no chart library)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"]
WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 220, 16, 40, 36


def compliance_chart(rows: list[dict[str, Any]]) -> SafeString:
    """Stacked bars (met green, missed red) per month, the compliance percentage over each bar."""
    peak = max([r["met"] + r["missed"] for r in rows] + [1])
    plot_h = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT) / max(len(rows), 1)
    bar = step * 0.6
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Cumplimiento de plazos por mes</title>',
        '<desc id="chart-desc">Plazos cumplidos y vencidos por mes de cierre, '
        "con el porcentaje cumplido.</desc>",
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" class="chart-axis"/>',
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
