"""Timing the up-and-go: seated, stand up, walk out, turn, walk back, sit down.

Why this module exists: the 8-foot up-and-go (and the 3 m timed up-and-go)
is timed from "go" until the resident sits down again. A camera that sees
the path can time it and can also tell that the whole task was done (a
resident who stands and sits again without walking has not taken the test).
``TugTimer`` follows the phases on every frame from the picture landmarks:

- seated: the ankles less than ``seat_margin`` torso lengths further below
  the hips than at rest on the chair (the resting drop is learnt while the
  resident waits, about 1 torso length; standing it is about 1.5);
- walking: the hips move away from where they were on the chair: across the
  picture (in torso lengths) or towards or away from the camera (the body's
  size in the picture changes);
- turning: the distance stops growing and starts to shrink;
- done: back near the chair and seated again for ``settle_s``.

The time starts at ``go(t)`` (the spoken start) or, when no start is given
(a recorded clip), at the moment the hips begin to rise. It stops at the
first moment of sitting. Lengths are in torso lengths (shoulders to hips)
measured on the chair, so the distance from the camera does not matter.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from vision.fitness_tests import SEATED_MAX_DROP, body_pose


class TugPhase(StrEnum):
    SEATED = "seated"
    STANDING_UP = "standing_up"
    WALKING_OUT = "walking_out"
    TURNING = "turning"
    WALKING_BACK = "walking_back"
    SITTING_DOWN = "sitting_down"
    DONE = "done"


@dataclass
class TugTimer:
    seat_margin: float = 0.12
    """Seated again: the drop is within this much of the resting drop (torso lengths)."""
    rise: float = 0.25
    """Standing: the drop is at least this much more than at rest."""
    min_walk: float = 1.5
    """The hips must get at least this far from the chair (torso lengths) for a valid trial."""
    depth_weight: float = 3.0
    """Distance towards or away from the camera: this times the log of the size change."""
    settle_s: float = 0.2
    aspect: float = 4 / 3
    phase: TugPhase = TugPhase.SEATED
    origin: float | None = None
    """When the time started (``go``, or the start of rising)."""
    seated_at: float | None = None
    farthest: float = 0.0
    """The farthest the hips got from the chair (torso lengths)."""
    phases: list[tuple[float, TugPhase]] = field(default_factory=list)
    """When each phase began."""

    def __post_init__(self) -> None:
        self._rest: deque[tuple[float, float, float, float]] = deque(maxlen=15)
        """(t, drop, hip x, torso) while seated before the start."""
        self._rest_drop: float | None = None
        self._x0 = 0.0
        self._torso0 = 1.0
        self._below_since: float | None = None
        self._last_calm: float | None = None
        """The last time the drop was still at rest (the hips begin to rise after it)."""
        self._dist: deque[tuple[float, float]] = deque(maxlen=9)
        self._settle: float | None = None
        self._go: float | None = None

    @property
    def done(self) -> bool:
        return self.phase is TugPhase.DONE

    @property
    def time_s(self) -> float | None:
        """Seconds from the start to sitting down, once done."""
        if self.seated_at is None or self.origin is None:
            return None
        return max(0.0, self.seated_at - self.origin)

    @property
    def valid(self) -> bool:
        """Done, and the resident walked out and back (not just stood up and sat down)."""
        return self.done and self.farthest >= self.min_walk

    def elapsed(self, now: float) -> float:
        if self.origin is None:
            return 0.0
        end = self.seated_at if self.seated_at is not None else now
        return max(0.0, end - self.origin)

    def go(self, t: float) -> None:
        """The spoken start: the time runs from here (whatever the resident is doing)."""
        self._go = t
        if self.origin is None:
            self.origin = t

    def update(self, t: float, landmarks: np.ndarray | None) -> None:
        if self.phase is TugPhase.DONE:
            return
        bp = body_pose(landmarks, self.aspect)
        if bp is None:
            return  # out of the picture for a moment (at the marker): keep the phase
        if self._rest_drop is None or self.phase is TugPhase.SEATED:
            self._at_rest(t, bp.drop, bp.hip_x, bp.torso)
            return
        dist = abs(bp.hip_x - self._x0) / self._torso0 + self.depth_weight * abs(
            math.log(max(bp.torso, 1e-6) / self._torso0))
        self._dist.append((t, dist))
        self.farthest = max(self.farthest, dist)
        up = bp.drop - self._rest_drop
        if self.phase is TugPhase.STANDING_UP:
            if dist >= self.min_walk / 2:
                self._enter(TugPhase.WALKING_OUT, t)
            elif up <= self.seat_margin:
                self._sit_check(t, up)  # stood up and sat back down without walking
        elif self.phase is TugPhase.WALKING_OUT:
            if self.farthest >= self.min_walk and dist < self.farthest - 0.5:
                self._enter(TugPhase.TURNING, t)
        elif self.phase is TugPhase.TURNING:
            if dist < self.farthest * 0.7:
                self._enter(TugPhase.WALKING_BACK, t)
        elif self.phase is TugPhase.WALKING_BACK:
            if dist < max(1.0, self.farthest * 0.3) and up < self.rise * 0.8:
                self._enter(TugPhase.SITTING_DOWN, t)
            elif up <= self.seat_margin:
                self._sit_check(t, up)
        if self.phase is TugPhase.SITTING_DOWN:
            self._sit_check(t, up)

    # -- internals ------------------------------------------------------------------------
    def _enter(self, phase: TugPhase, t: float) -> None:
        self.phase = phase
        self.phases.append((t, phase))

    def _at_rest(self, t: float, drop: float, x: float, torso: float) -> None:
        if self._rest_drop is None and drop >= SEATED_MAX_DROP:
            return  # not seated yet: the rest is learnt on the chair
        if self._rest_drop is not None and drop - self._rest_drop >= self.rise:
            # the hips have risen: standing up (the time started when they began to rise)
            if self.origin is None:
                self.origin = self._last_calm if self._last_calm is not None else t
            self._enter(TugPhase.STANDING_UP, self.origin if self._go is None else t)
            return
        if self._rest_drop is not None and drop - self._rest_drop <= 0.04:
            self._last_calm = t
        if self._rest_drop is not None and drop - self._rest_drop > self.seat_margin:
            return  # rising: do not learn the rest from it
        self._rest.append((t, drop, x, torso))
        self._rest_drop = float(np.median([r[1] for r in self._rest]))
        self._x0 = float(np.median([r[2] for r in self._rest]))
        self._torso0 = max(float(np.median([r[3] for r in self._rest])), 1e-4)
        if self._last_calm is None:
            self._last_calm = t

    def _sit_check(self, t: float, up: float) -> None:
        if up <= self.seat_margin:
            if self._settle is None:
                self._settle = t
            if t - self._settle >= self.settle_s - 1e-9:
                self.seated_at = self._settle
                self._enter(TugPhase.DONE, self._settle)
        else:
            self._settle = None
