"""The movement over the session (e.g. knee angle) with each counted repetition marked."""

from __future__ import annotations

import math
from collections.abc import Sequence

from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.properties import ListProperty
from kivy.uix.widget import Widget


class MovementChart(Widget):
    line_colour = ListProperty([0.15, 0.38, 0.70, 1])
    mark_colour = ListProperty([0.95, 0.62, 0.10, 1])
    bg_colour = ListProperty([1, 1, 1, 1])

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._t: list[float] = []
        self._v: list[float | None] = []
        self._marks: list[float] = []
        self.bind(pos=self._draw, size=self._draw, line_colour=self._draw, bg_colour=self._draw)

    def set_data(self, t: Sequence[float], values: Sequence[float | None],
                 marks: Sequence[float]) -> None:
        self._t, self._v, self._marks = list(t), list(values), list(marks)
        self._draw()

    @property
    def mark_count(self) -> int:
        return len(self._marks)

    def _draw(self, *_args: object) -> None:
        self.canvas.clear()
        with self.canvas:
            Color(*self.bg_colour)
            Rectangle(pos=self.pos, size=self.size)
        vals = [v for v in self._v if v is not None and math.isfinite(v)]
        if len(self._t) < 2 or not vals:
            return
        t0, t1 = self._t[0], self._t[-1]
        lo, hi = min(vals), max(vals)
        if hi - lo < 1e-6:
            hi = lo + 1
        pad = min(self.width, self.height) * 0.06

        def px(t: float) -> float:
            return self.x + pad + (t - t0) / max(t1 - t0, 1e-6) * (self.width - 2 * pad)

        def py(v: float) -> float:
            return self.y + pad + (v - lo) / (hi - lo) * (self.height - 2 * pad)

        with self.canvas:
            Color(*self.line_colour)
            segment: list[float] = []
            for t, v in zip(self._t, self._v, strict=False):
                if v is None or not math.isfinite(v):
                    if len(segment) >= 4:
                        Line(points=segment, width=2)
                    segment = []
                    continue
                segment += [px(t), py(v)]
            if len(segment) >= 4:
                Line(points=segment, width=2)
            Color(*self.mark_colour)
            r = max(5.0, self.height * 0.03)
            for m in self._marks:
                x = px(min(max(m, t0), t1))
                Line(points=[x, self.y + pad, x, self.top - pad], width=1.2, dash_length=6,
                     dash_offset=4)
                Ellipse(pos=(x - r, self.top - pad - r), size=(2 * r, 2 * r))
