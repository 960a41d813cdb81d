"""A small looping stick-figure animation of an exercise, drawn from the simulated person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.properties import ListProperty, ObjectProperty
from kivy.uix.widget import Widget

from kiosk.shell.widgets.pose_view import BONES, fit_rect, landmark_points

FPS = 12.0


class ExerciseThumb(Widget):
    pose_at = ObjectProperty(None, allownone=True)
    """``pose_at(t) -> (33, 4) landmarks`` looping over one repetition, or None."""
    colour = ListProperty([1, 1, 1, 1])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._t = 0.0
        self._event = None
        self.bind(pos=self._draw, size=self._draw, colour=self._draw)

    def start(self) -> None:
        if self._event is None:
            self._event = Clock.schedule_interval(self._tick, 1 / FPS)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _tick(self, dt: float) -> None:
        self._t += dt
        self._draw()

    def _draw(self, *_args: object) -> None:
        self.canvas.clear()
        fn: Callable[[float], Any] | None = self.pose_at
        if fn is None or self.width < 4:
            return
        rect = fit_rect((self.x, self.y, self.width, self.height), 1.0)
        pts = landmark_points(fn(self._t), rect, mirror=True)
        w = max(1.5, rect[3] / 45)
        with self.canvas:
            Color(*self.colour)
            for a, b in BONES:
                if a in pts and b in pts:
                    Line(points=[*pts[a], *pts[b]], width=w, cap="round")
            if 0 in pts:
                Line(circle=(pts[0][0], pts[0][1], w * 3.5), width=w)
