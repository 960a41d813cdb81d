"""Bars of activity per week (minutes), oldest left, this week right and highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from kivy.graphics import Color, Line, Rectangle
from kivy.properties import ListProperty
from kivy.uix.widget import Widget


class WeekBars(Widget):
    bar_colour = ListProperty([0.15, 0.38, 0.70, 1])
    now_colour = ListProperty([0.95, 0.62, 0.10, 1])
    axis_colour = ListProperty([0.35, 0.35, 0.38, 1])

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.values: list[float] = []
        self.bind(pos=self._draw, size=self._draw, bar_colour=self._draw,
                  now_colour=self._draw, axis_colour=self._draw)

    def set_values(self, values: Sequence[float]) -> None:
        self.values = [max(0.0, float(v)) for v in values]
        self._draw()

    @property
    def bars(self) -> int:
        return len(self.values)

    def _draw(self, *_args: object) -> None:
        self.canvas.clear()
        if not self.values or self.width < 10:
            return
        top = max(max(self.values), 1.0)
        n = len(self.values)
        slot = self.width / n
        base = self.y + 2
        with self.canvas:
            Color(*self.axis_colour)
            Line(points=[self.x, base, self.right, base], width=1.5)
            for i, v in enumerate(self.values):
                Color(*(self.now_colour if i == n - 1 else self.bar_colour))
                h = (self.height - 4) * v / top
                Rectangle(pos=(self.x + i * slot + slot * 0.15, base), size=(slot * 0.7, h))
