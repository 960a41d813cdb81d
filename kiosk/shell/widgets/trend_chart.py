"""One measurement over time (a fitness test's results) against its normal range band."""

from __future__ import annotations

from collections.abc import Sequence

from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.properties import ListProperty
from kivy.uix.widget import Widget


class TrendChart(Widget):
    line_colour = ListProperty([0.15, 0.38, 0.70, 1])
    band_colour = ListProperty([0.10, 0.55, 0.25, 0.25])
    axis_colour = ListProperty([0.35, 0.35, 0.38, 1])

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.points: list[tuple[float, float]] = []
        self.band: tuple[float, float] | None = None
        self.bind(pos=self._draw, size=self._draw, line_colour=self._draw,
                  band_colour=self._draw, axis_colour=self._draw)

    def set_data(self, points: Sequence[tuple[float, float]],
                 band: tuple[float, float] | None) -> None:
        """``points``: (day number, value) oldest first; ``band``: (low, high) or None."""
        self.points = [(float(x), float(y)) for x, y in points]
        self.band = band
        self._draw()

    def _draw(self, *_args: object) -> None:
        self.canvas.clear()
        if not self.points or self.width < 10:
            return
        ys = [y for _x, y in self.points] + (list(self.band) if self.band else [])
        lo, hi = min(ys), max(ys)
        pad_v = max((hi - lo) * 0.15, 1.0)
        lo, hi = lo - pad_v, hi + pad_v
        x0, x1 = self.points[0][0], self.points[-1][0]
        pad = min(self.width, self.height) * 0.08

        def px(x: float) -> float:
            if x1 == x0:
                return self.center_x
            return self.x + pad + (x - x0) / (x1 - x0) * (self.width - 2 * pad)

        def py(y: float) -> float:
            return self.y + pad + (y - lo) / (hi - lo) * (self.height - 2 * pad)

        with self.canvas:
            if self.band is not None:
                Color(*self.band_colour)
                Rectangle(pos=(self.x, py(self.band[0])),
                          size=(self.width, py(self.band[1]) - py(self.band[0])))
            Color(*self.axis_colour)
            Line(points=[self.x, self.y + 1, self.right, self.y + 1], width=1)
            Color(*self.line_colour)
            if len(self.points) > 1:
                Line(points=[c for x, y in self.points for c in (px(x), py(y))], width=2)
            r = max(4.0, self.height * 0.05)
            for x, y in self.points:
                Ellipse(pos=(px(x) - r, py(y) - r), size=(2 * r, 2 * r))
