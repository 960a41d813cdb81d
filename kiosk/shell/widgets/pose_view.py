"""The live camera picture, mirrored like a looking glass, with the skeleton drawn over it.

Frames arrive as BGR arrays and are blitted into one texture that is reused
while the size stays the same; nothing is copied to disk. Landmarks are
normalised to the source picture and mapped into the letterboxed picture rect.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty
from kivy.uix.widget import Widget

# MediaPipe BlazePose indices: arms, torso, legs, feet.
BONES = [
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
    (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 31), (24, 26), (26, 28), (28, 32),
]
JOINTS = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
MIN_VISIBILITY = 0.5


def fit_rect(box: tuple[float, float, float, float], aspect: float) -> tuple[float, float, float, float]:
    """Largest rect of ``aspect`` (w/h) centred in ``box`` (x, y, w, h)."""
    x, y, w, h = box
    if w / max(h, 1e-6) > aspect:
        dw, dh = h * aspect, h
    else:
        dw, dh = w, w / aspect
    return x + (w - dw) / 2, y + (h - dh) / 2, dw, dh


def landmark_points(landmarks: Any, rect: tuple[float, float, float, float],
                    mirror: bool) -> dict[int, tuple[float, float]]:
    """Window points for visible landmarks (normalised x right, y down in the picture)."""
    rx, ry, rw, rh = rect
    pts: dict[int, tuple[float, float]] = {}
    if landmarks is None:
        return pts
    for i in set(JOINTS) | {0, 31, 32}:
        x, y, _z, vis = (float(v) for v in landmarks[i][:4])
        if vis < MIN_VISIBILITY:
            continue
        if mirror:
            x = 1.0 - x
        pts[i] = (rx + x * rw, ry + (1.0 - y) * rh)
    return pts


class PoseView(Widget):
    mirror = BooleanProperty(True)
    bone_colour = ListProperty([0.2, 0.9, 0.4, 1])
    background = ListProperty([0.08, 0.08, 0.1, 1])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._texture: Texture | None = None
        self._aspect = 4 / 3
        self._landmarks: Any = None
        self.frames_shown = 0
        self.bind(pos=self._redraw, size=self._redraw, mirror=self._redraw)

    def clear(self) -> None:
        self._texture = None
        self._landmarks = None
        self._redraw()

    def show(self, frame: Any, landmarks: Any) -> None:
        """Display one BGR frame (or None: keep the last picture) and its landmarks."""
        if frame is not None:
            h, w = frame.shape[:2]
            if self._texture is None or self._texture.size != (w, h):
                self._texture = Texture.create(size=(w, h), colorfmt="bgr")
                self._texture.flip_vertical()
                if self.mirror:
                    self._texture.flip_horizontal()
                self._aspect = w / h
            self._texture.blit_buffer(frame.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
            self.frames_shown += 1
        self._landmarks = landmarks
        self._redraw()

    def _redraw(self, *_args: object) -> None:
        self.canvas.clear()
        rect = fit_rect((self.x, self.y, self.width, self.height), self._aspect)
        with self.canvas:
            Color(*self.background)
            Rectangle(pos=self.pos, size=self.size)
            if self._texture is not None:
                Color(1, 1, 1, 1)
                Rectangle(texture=self._texture, pos=rect[:2], size=rect[2:])
            pts = landmark_points(self._landmarks, rect, self.mirror)
            if not pts:
                return
            width = max(2.0, min(rect[2], rect[3]) / 120)
            Color(0, 0, 0, 0.5)
            for a, b in BONES:
                if a in pts and b in pts:
                    Line(points=[*pts[a], *pts[b]], width=width * 1.8, cap="round")
            Color(*self.bone_colour)
            for a, b in BONES:
                if a in pts and b in pts:
                    Line(points=[*pts[a], *pts[b]], width=width, cap="round")
            Color(1, 1, 1, 1)
            r = width * 1.6
            for j in JOINTS:
                if j in pts:
                    Ellipse(pos=(pts[j][0] - r, pts[j][1] - r), size=(2 * r, 2 * r))
            if 0 in pts:
                hr = width * 5
                Color(*self.bone_colour)
                Line(circle=(pts[0][0], pts[0][1], hr), width=width)
