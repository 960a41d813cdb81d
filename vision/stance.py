"""Timing the one-leg stance: from the lifted foot leaving the floor until it touches down
or the standing foot moves, up to a limit.

Why this module exists: the engine's timed hold ends when the foot comes down,
but the stance test also ends when the standing foot moves (a hop or a shuffle
to keep balance), and the time must match a tester's stopwatch to within a
second. ``StanceTimer`` watches both feet on every frame: the foot that rises
first (its ankle clearly above the other, ``lift_on`` torso lengths) starts
the clock at the moment it crossed that height; the clock stops at the
moment the lifted foot came back below ``lift_off`` (if it stays there for
``grace_s``), when the standing ankle has moved more than ``moved``
torso lengths from where it was (for ``grace_s``), when the feet cannot be
seen for ``lost_s``, or at ``limit_s``. Crossing times are interpolated
between frames, so a 10-frames-a-second video times as well as a camera.

Either foot may be lifted: which leg the resident stands on is the
protocol's business (the kiosk asks for one); the timer reports which foot
it saw lifted in picture terms (``lifted``: ``left``/``right`` landmark).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

L_SHOULDER, R_SHOULDER = 11, 12
L_HIP, R_HIP = 23, 24
L_ANKLE, R_ANKLE = 27, 28
MIN_VIS = 0.5


class StanceEnd(StrEnum):
    FOOT_DOWN = "foot_down"
    FOOT_MOVED = "foot_moved"
    LIMIT = "limit"
    LOST = "lost"
    """The feet could not be seen any more."""


@dataclass
class StanceTimer:
    lift_on: float = 0.15
    lift_off: float = 0.07
    grace_s: float = 0.25
    moved: float = 0.3
    limit_s: float = 30.0
    lost_s: float = 1.0
    aspect: float = 4 / 3

    def __post_init__(self) -> None:
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.end: StanceEnd | None = None
        self.lifted: str | None = None
        self._prev: tuple[float, float, float] | None = None
        """(t, lift of the left foot, lift of the right foot) of the previous frame."""
        self._stand_ref: np.ndarray | None = None
        self._down_since: tuple[float, float] | None = None
        """(time it came down past lift_off, interpolated crossing time)."""
        self._moved_since: float | None = None
        self._lost_since: float | None = None
        self._last_t = 0.0

    @property
    def holding(self) -> bool:
        return self.started_at is not None and self.end is None

    @property
    def done(self) -> bool:
        return self.end is not None

    def hold_s(self, now: float | None = None) -> float:
        """Seconds held: the final time once ended, else so far (at ``now`` or the last frame)."""
        if self.started_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else (
            self._last_t if now is None else now)
        return max(0.0, min(self.limit_s, end - self.started_at))

    def update(self, t: float, landmarks: np.ndarray | None) -> None:
        if self.end is not None:
            return
        self._last_t = t
        feet = self._feet(landmarks)
        if feet is None:
            if self.started_at is not None:
                self._lost_since = t if self._lost_since is None else self._lost_since
                if t - self._lost_since >= self.lost_s:
                    self._finish(self._lost_since, StanceEnd.LOST)
            self._prev = None
            return
        self._lost_since = None
        lift_l, lift_r, p, torso = feet
        if self.started_at is None:
            self._wait_for_lift(t, lift_l, lift_r, p)
        else:
            self._while_holding(t, lift_l, lift_r, p, torso)
        self._prev = (t, lift_l, lift_r)
        if self.started_at is not None and self.end is None \
                and t - self.started_at >= self.limit_s:
            self._finish(self.started_at + self.limit_s, StanceEnd.LIMIT)

    # -- internals ----------------------------------------------------------------------
    def _feet(self, landmarks: np.ndarray | None
              ) -> tuple[float, float, np.ndarray, float] | None:
        if landmarks is None:
            return None
        lm = np.asarray(landmarks, dtype=np.float64)
        if not (lm[[L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_ANKLE, R_ANKLE], 3] >= MIN_VIS).all():
            return None
        p = lm[:, :2] * np.array([self.aspect, 1.0])
        sh = (p[L_SHOULDER] + p[R_SHOULDER]) / 2
        hip = (p[L_HIP] + p[R_HIP]) / 2
        torso = float(np.hypot(*(sh - hip)))
        if torso < 1e-4:
            return None
        d = float(p[L_ANKLE, 1] - p[R_ANKLE, 1]) / torso  # > 0: the right ankle is higher
        return -d, d, p, torso

    def _crossing(self, t: float, value: float, level: float, which: int) -> float:
        """When the lift crossed ``level`` between the previous frame and this one."""
        if self._prev is None:
            return t
        t0, v0 = self._prev[0], self._prev[which]
        if v0 == value:
            return t
        a = (level - v0) / (value - v0)
        return t0 + max(0.0, min(1.0, a)) * (t - t0)

    def _wait_for_lift(self, t: float, lift_l: float, lift_r: float, p: np.ndarray) -> None:
        for which, lift, name, standing in ((1, lift_l, "left", R_ANKLE),
                                            (2, lift_r, "right", L_ANKLE)):
            if lift >= self.lift_on:
                self.started_at = self._crossing(t, lift, self.lift_on, which)
                self.lifted = name
                self._stand_ref = p[standing].copy()
                return

    def _while_holding(self, t: float, lift_l: float, lift_r: float, p: np.ndarray,
                       torso: float) -> None:
        which = 1 if self.lifted == "left" else 2
        lift = lift_l if which == 1 else lift_r
        if lift < self.lift_off:
            if self._down_since is None:
                self._down_since = (t, self._crossing(t, lift, self.lift_off, which))
            if t - self._down_since[0] >= self.grace_s - 1e-9:
                self._finish(self._down_since[1], StanceEnd.FOOT_DOWN)
                return
        elif lift >= self.lift_off:
            self._down_since = None
        standing = R_ANKLE if which == 1 else L_ANKLE
        assert self._stand_ref is not None
        shift = float(np.hypot(*(p[standing] - self._stand_ref))) / torso
        if shift > self.moved:
            self._moved_since = t if self._moved_since is None else self._moved_since
            if t - self._moved_since >= self.grace_s - 1e-9:
                self._finish(self._moved_since, StanceEnd.FOOT_MOVED)
        else:
            self._moved_since = None

    def _finish(self, when: float, why: StanceEnd) -> None:
        assert self.started_at is not None
        self.ended_at = max(self.started_at, min(when, self.started_at + self.limit_s))
        self.end = why
