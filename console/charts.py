"""Bar charts drawn on the server as SVG (``charts.html`` renders them): no script, nothing
fetched, and every number also in words — a chart's ``<title>`` and ``<desc>``, each bar's own
title. The geometry is here, in the SVG's user units; the page scales it to its width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 360  # user units; the drawing scales to the page's width
LABELS = 20  # room under the columns for their labels, above them for their numbers
ROW = 26  # one bar of a horizontal chart
ROW_LABEL = 110  # room left of the rows for their labels


@dataclass(frozen=True)
class Bar:
    label: str  # under a column, left of a row
    value: int
    said: str  # the bar in words: "Monday: 12 calls"
    x: float
    y: float
    width: float
    height: float
    labelled: bool  # whether its label is drawn (every few hours on a chart of 24)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    width: int
    height: int
    bars: list[Bar]
    horizontal: bool
    numbers: bool  # the values drawn beside the bars (too crowded on a chart of 24)

    @property
    def described(self) -> str:
        return "; ".join(bar.said for bar in self.bars) + "."


def columns(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, str, int]],
    *,
    height: int = 180,
    label_every: int = 1,
) -> Chart:
    """Vertical bars, one per ``(label, said, value)``, scaled to the largest value."""
    top = max((value for _, _, value in items), default=0) or 1
    plot = height - 2 * LABELS
    slot = WIDTH / max(len(items), 1)
    bars = []
    for index, (label, said, value) in enumerate(items):
        tall = plot * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                said=said,
                x=round(index * slot + slot * 0.15, 1),
                y=round(LABELS + plot - tall, 1),
                width=round(slot * 0.7, 1),
                height=round(tall, 1),
                labelled=index % label_every == 0,
            )
        )
    return Chart(chart_id, title, WIDTH, height, bars, horizontal=False, numbers=len(items) <= 12)


def rows(chart_id: str, title: str, items: Sequence[tuple[str, str, int]]) -> Chart:
    """Horizontal bars with their labels on the left: room for labels of a few words."""
    top = max((value for _, _, value in items), default=0) or 1
    plot = WIDTH - ROW_LABEL - 40  # and room for the number after the bar
    bars = [
        Bar(
            label=label,
            value=value,
            said=said,
            x=ROW_LABEL,
            y=index * ROW + 4,
            width=round(plot * value / top, 1),
            height=ROW - 8,
            labelled=True,
        )
        for index, (label, said, value) in enumerate(items)
    ]
    return Chart(chart_id, title, WIDTH, len(items) * ROW, bars, horizontal=True, numbers=True)
