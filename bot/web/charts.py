"""Bar charts as SVG, drawn on the server: no script, no CDN, readable without colour alone."""

from __future__ import annotations

from html import escape

COLOURS = ("#0b4f8a", "#c45500", "#2e7d32", "#6a1b9a", "#00838f")
"""Distinguishable, and each bar also carries its number as text."""


def horizontal_bars(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> str:
    """One group of bars per label, one bar per series (e.g. per city), values written beside them."""
    label_width, bar_area, row_height, bar_height = 260, 380, 16 * max(1, len(series)) + 12, 14
    height = 40 + row_height * len(labels) + 24
    biggest = max([1, *(v for _name, values in series for v in values)])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_width + bar_area + 60} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, label in enumerate(labels):
        top = 30 + index * row_height
        parts.append(f'<text x="0" y="{top + 12}" font-size="12" fill="#1a1a1a">{escape(label)}</text>')
        for number, (_name, values) in enumerate(series):
            value = values[index]
            width = round(bar_area * value / biggest)
            y = top + number * 16
            colour = COLOURS[number % len(COLOURS)]
            parts.append(f'<rect x="{label_width}" y="{y}" width="{width}" height="{bar_height}" fill="{colour}"/>')
            parts.append(
                f'<text x="{label_width + width + 4}" y="{y + 11}" font-size="11" fill="#1a1a1a">{value}</text>'
            )
    parts.append(_legend(series, 0, height - 14))
    parts.append("</svg>")
    return "".join(parts)


def vertical_bars(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> str:
    """Columns over time: one group per label (e.g. per week), one column per series."""
    group, column, chart_height = 14 * len(series) + 14, 12, 160
    width = 40 + group * len(labels)
    biggest = max([1, *(v for _name, values in series for v in values)])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {max(width, 360)} {chart_height + 70}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="30" y1="{chart_height + 10}" x2="{width}" y2="{chart_height + 10}" stroke="#4a4a4a"/>',
    ]
    for index, label in enumerate(labels):
        left = 34 + index * group
        for number, (_name, values) in enumerate(series):
            value = values[index]
            bar = round(chart_height * value / biggest)
            x = left + number * (column + 2)
            colour = COLOURS[number % len(COLOURS)]
            parts.append(
                f'<rect x="{x}" y="{chart_height + 10 - bar}" width="{column}" height="{bar}" fill="{colour}"/>'
            )
            if value:
                parts.append(f'<text x="{x}" y="{chart_height + 6 - bar}" font-size="9" fill="#1a1a1a">{value}</text>')
        parts.append(
            f'<text x="{left}" y="{chart_height + 24}" font-size="9" fill="#1a1a1a">{escape(label[5:])}</text>'
        )
    parts.append(_legend(series, 30, chart_height + 50))
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: list[tuple[str, list[int]]], left: int, top: int) -> str:
    items = []
    for number, (name, _values) in enumerate(series):
        x = left + number * 150
        colour = COLOURS[number % len(COLOURS)]
        items.append(f'<rect x="{x}" y="{top - 9}" width="10" height="10" fill="{colour}"/>')
        items.append(f'<text x="{x + 14}" y="{top}" font-size="11" fill="#1a1a1a">{escape(name)}</text>')
    return "".join(items)
