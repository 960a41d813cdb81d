"""A large ring that fills toward the target, with the count in the middle."""

from __future__ import annotations

from kivy.graphics import Color, Line
from kivy.properties import ListProperty, NumericProperty
from kivy.uix.label import Label


class ProgressRing(Label):
    value = NumericProperty(0.0)
    """0..1"""
    ring_colour = ListProperty([0.15, 0.52, 0.30, 1])
    track_colour = ListProperty([0.85, 0.85, 0.85, 1])

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, value=self._draw, ring_colour=self._draw,
                  track_colour=self._draw)

    def _draw(self, *_args: object) -> None:
        self.canvas.before.clear()
        r = min(self.width, self.height) / 2 * 0.9
        w = max(4.0, r * 0.12)
        cx, cy = self.center
        with self.canvas.before:
            Color(*self.track_colour)
            Line(circle=(cx, cy, r), width=w)
            if self.value > 0:
                Color(*self.ring_colour)
                Line(circle=(cx, cy, r, 0, 360 * min(1.0, self.value)), width=w, cap="round")
