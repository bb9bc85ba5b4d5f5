"""Charts drawn on the server as SVG geometry for the templates (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 190
PLOT_WIDTH = 300


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None
    y: int
    width: float
    css: str

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 5

    @property
    def value_x(self) -> float:
        return LABEL_WIDTH + self.width + 4


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    label_width: int = LABEL_WIDTH
    plot_width: int = PLOT_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return len(self.bars) * (BAR_HEIGHT + GAP) + GAP

    @property
    def width(self) -> int:
        return LABEL_WIDTH + PLOT_WIDTH + 60

    @property
    def grid(self) -> list[tuple[float, int]]:
        """x positions of the 0, 50 and 100% lines with their labels."""
        return [(LABEL_WIDTH + PLOT_WIDTH * p / 100, p) for p in (0, 50, 100)]


def percent_bars(title: str, items: list[tuple[str, Decimal | None]], target: int) -> BarChart:
    """One bar per item (label, percent); bars under ``target`` percent are marked."""
    bars = []
    for index, (label, value) in enumerate(items):
        width = float(value or 0) * PLOT_WIDTH / 100
        css = "none" if value is None else ("good" if value >= target else "weak")
        short = label if len(label) <= 28 else label[:27] + "…"
        bars.append(Bar(short, value, GAP + index * (BAR_HEIGHT + GAP), width, css))
    return BarChart(title, bars)


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    x: float
    width: float
    css: str


def stacked(
    items: list[tuple[str, int, str]], width: int = PLOT_WIDTH + LABEL_WIDTH
) -> list[Segment]:
    """Segments of one horizontal bar, in proportion to the values."""
    total = sum(value for _, value, _ in items) or 1
    segments, x = [], 0.0
    for label, value, css in items:
        part = value * width / total
        segments.append(Segment(label, value, x, part, css))
        x += part
    return segments
