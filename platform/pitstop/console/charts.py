"""Charts for the console, drawn on the server as SVG with pygal and shown as images.

An SVG image (``<img src="data:image/svg+xml;base64,…">``) keeps its own styles and never
runs a script, so the console's Content-Security-Policy (no inline style, no inline
script; images from ``data:``) stays as strict as it is; pygal's tooltip script is left
out (``js=[]``). Every chart sits beside a table of the same figures, which is what a
screen reader and a test read.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1d2433",
    foreground_strong="#1d2433",
    foreground_subtle="#5d6b82",
    colors=("#0b6bcb", "#b42318", "#067647", "#dc6803", "#6941c6"),
    font_family='"Noto Sans CJK SC", "PingFang SC", sans-serif',
)
CONFIG = {
    "style": STYLE,
    "js": [],
    "width": 720,
    "height": 280,
    "show_legend": False,
    "disable_xml_declaration": False,
    "print_values": False,
}


DOTTED_POINTS = 14
"""Up to two weeks of points a line marks each point with a dot; a longer line reads
without them, and pygal's dots (a circle and its tooltip nodes per point) are most of
what a long line costs to draw: a year's 53 weeks in half the time and half the bytes."""


def line(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """A data URI of a line chart of one series (None: no point that day)."""
    dotted = len(values) <= DOTTED_POINTS
    chart = pygal.Line(
        title=title, x_label_rotation=30, show_minor_x_labels=False, show_dots=dotted, **CONFIG
    )
    chart.x_labels = list(labels)
    chart.x_labels_major = list(labels)[:: max(1, len(labels) // 10)]
    chart.add(title, list(values))
    return str(chart.render_data_uri())


def bars(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """A data URI of a bar chart, one bar per label (a store, a segment)."""
    chart = pygal.Bar(title=title, **CONFIG)
    chart.x_labels = list(labels)
    chart.add(title, list(values))
    return str(chart.render_data_uri())
