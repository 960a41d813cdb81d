"""A result on a scale with the normal range drawn as a band: where one stands at a glance."""

from __future__ import annotations

from kivy.graphics import Color, Line, Rectangle, Triangle
from kivy.properties import BooleanProperty, ListProperty
from kivy.uix.widget import Widget


class NormBand(Widget):
    band_colour = ListProperty([0.10, 0.55, 0.25, 0.35])
    line_colour = ListProperty([0.35, 0.35, 0.38, 1])
    mark_colour = ListProperty([0.95, 0.62, 0.10, 1])
    shown = BooleanProperty(False)
    """A band and a value are set (kv rules size the widget by it)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.low: float | None = None
        self.high: float | None = None
        self.value: float | None = None
        self.bind(pos=self._draw, size=self._draw, band_colour=self._draw,
                  line_colour=self._draw, mark_colour=self._draw)

    def set_band(self, low: float | None, high: float | None, value: float | None) -> None:
        self.low, self.high, self.value = low, high, value
        self.shown = low is not None and high is not None and value is not None
        self._draw()

    def _draw(self, *_args: object) -> None:
        self.canvas.clear()
        if self.low is None or self.high is None or self.value is None or self.width < 10:
            return
        lo, hi, v = self.low, self.high, self.value
        span = max(hi - lo, 1e-6)
        left, right = min(lo - span * 0.6, v - span * 0.1), max(hi + span * 0.6, v + span * 0.1)

        def px(x: float) -> float:
            return self.x + (x - left) / (right - left) * self.width

        mid = self.y + self.height * 0.45
        bar = self.height * 0.3
        with self.canvas:
            Color(*self.line_colour)
            Line(points=[self.x, mid, self.right, mid], width=2)
            Color(*self.band_colour)
            Rectangle(pos=(px(lo), mid - bar / 2), size=(px(hi) - px(lo), bar))
            Color(*self.mark_colour)
            x = px(v)
            Line(points=[x, mid - bar, x, mid + bar], width=4)
            t = self.height * 0.18
            Triangle(points=[x - t, mid + bar + t, x + t, mid + bar + t, x, mid + bar])
