"""Bar charts for the organizers' dashboard, laid out here and drawn as SVG
by the template (no script, no CDN): bars, and both axes with their ticks."""

from collections.abc import Callable
from dataclasses import dataclass
from math import floor, log10

# The plot inside the drawing: room on the left for the values, below for
# the dates.
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 36, 12, 36
# At most this many dates under the bars, at least this far apart (a
# date's width in the drawing), so they never overlap.
_X_TICKS = 6
_TICK_SPACING = 72


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A labelled mark on an axis, at `at` along it (x or y, in the drawing)."""

    label: str
    at: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    peak: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    # The plot's edges in the drawing, where the axes are drawn.
    left: int = _LEFT
    bottom: int = 0
    right: int = 0

    @property
    def first_label(self) -> str:
        return self.bars[0].label if self.bars else ""

    @property
    def last_label(self) -> str:
        return self.bars[-1].label if self.bars else ""

    @property
    def top_label(self) -> str:
        """The value at the top of the value axis."""
        return self.y_ticks[-1].label if self.y_ticks else "0"


def axis_top(peak: int) -> tuple[int, int]:
    """The top of the value axis and its step: a round number (1, 2 or 5
    times a power of ten) at or above `peak`, in at most five steps."""
    if peak <= 0:
        return 1, 1
    for magnitude in (10 ** floor(log10(peak) - 1), 10 ** floor(log10(peak))):
        for step in (1, 2, 5, 10):
            size = max(1, int(step * magnitude))
            if size * 5 >= peak:
                top = -(-peak // size) * size
                return top, size
    return peak, peak  # pragma: no cover - the loops always return


def bar_chart(
    points: list[tuple[str, int]],
    *,
    tick_label: Callable[[str], str] = str,
    width: int = 720,
    height: int = 220,
) -> Chart:
    """Bars for `points` (label, value), with the value axis from 0 to a
    round top and up to _X_TICKS labels (`tick_label` of the bar's label)
    spread under the bars, the first and the last among them."""
    peak = max((value for _, value in points), default=0)
    top, step = axis_top(peak)
    plot_width = width - _LEFT - _RIGHT
    plot_height = height - _TOP - _BOTTOM
    bottom = _TOP + plot_height
    # Bars no wider than 24 units: a young petition's few days stay bars.
    slot = min(plot_width / max(len(points), 1), 24)
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = value / top * plot_height
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(_LEFT + index * slot + slot * 0.1, 2),
                y=round(bottom - bar_height, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
            )
        )
    # Evenly spread, the first and last bars among them, never closer than
    # a date's width.
    fit = 1 + floor((len(bars) - 1) * slot / _TICK_SPACING) if bars else 0
    shown = min(_X_TICKS, fit)
    marked = sorted(
        {round(k * (len(bars) - 1) / max(shown - 1, 1)) for k in range(shown)}
    )
    x_ticks = [
        Tick(
            label=tick_label(bars[i].label), at=round(bars[i].x + bars[i].width / 2, 2)
        )
        for i in marked
    ]
    y_ticks = [
        Tick(label=str(value), at=round(bottom - value / top * plot_height, 2))
        for value in range(0, top + 1, step)
    ]
    return Chart(
        bars=bars,
        width=width,
        height=height,
        peak=peak,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        bottom=bottom,
        right=width - _RIGHT,
    )
