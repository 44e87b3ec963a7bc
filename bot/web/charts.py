"""Bar charts as SVG, drawn on the server: no script, no CDN, readable without colour alone.

This module only measures: it returns shapes, and the template `chart.html` writes them
out, so every label passes the templates' autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLOURS = ("#0b4f8a", "#c45500", "#2e7d32", "#6a1b9a", "#00838f")
"""Distinguishable, and each bar also carries its number as text."""


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int
    fill: str


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    size: int
    text: str


@dataclass(frozen=True)
class Line:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class Chart:
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def horizontal_bars(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> Chart:
    """One group of bars per label, one bar per series (e.g. per city), values written beside them."""
    label_width, bar_area, row_height, bar_height = 260, 380, 16 * max(1, len(series)) + 12, 14
    height = 40 + row_height * len(labels) + 24
    biggest = max([1, *(v for _name, values in series for v in values)])
    chart = Chart(title, label_width + bar_area + 60, height)
    for index, label in enumerate(labels):
        top = 30 + index * row_height
        chart.texts.append(Text(0, top + 12, 12, label))
        for number, (_name, values) in enumerate(series):
            value = values[index]
            width = round(bar_area * value / biggest)
            y = top + number * 16
            chart.rects.append(Rect(label_width, y, width, bar_height, COLOURS[number % len(COLOURS)]))
            chart.texts.append(Text(label_width + width + 4, y + 11, 11, str(value)))
    _legend(chart, series, 0, height - 14)
    return chart


def vertical_bars(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> Chart:
    """Columns over time: one group per label (e.g. per week), one column per series."""
    group, column, chart_height = 14 * len(series) + 14, 12, 160
    width = 40 + group * len(labels)
    biggest = max([1, *(v for _name, values in series for v in values)])
    chart = Chart(title, max(width, 360), chart_height + 70)
    chart.lines.append(Line(30, chart_height + 10, width, chart_height + 10))
    for index, label in enumerate(labels):
        left = 34 + index * group
        for number, (_name, values) in enumerate(series):
            value = values[index]
            bar = round(chart_height * value / biggest)
            x = left + number * (column + 2)
            chart.rects.append(Rect(x, chart_height + 10 - bar, column, bar, COLOURS[number % len(COLOURS)]))
            if value:
                chart.texts.append(Text(x, chart_height + 6 - bar, 9, str(value)))
        chart.texts.append(Text(left, chart_height + 24, 9, label[5:]))
    _legend(chart, series, 30, chart_height + 50)
    return chart


def _legend(chart: Chart, series: list[tuple[str, list[int]]], left: int, top: int) -> None:
    for number, (name, _values) in enumerate(series):
        x = left + number * 150
        chart.rects.append(Rect(x, top - 9, 10, 10, COLOURS[number % len(COLOURS)]))
        chart.texts.append(Text(x + 14, top, 11, name))
