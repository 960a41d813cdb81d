"""Activity kinds: how an activity is measured, what its target is, and its result with a unit.

Why this module exists: "how many squats" and "how long did you stand on one
leg" are different measurements, and the camera-scored fitness tests add two
more (repetitions within a fixed time, seconds to complete a task). Before
this module the exercise kind was a bare string compared in many places and a
hold's seconds were stored as "repetitions". Now vision owns one object per
kind that says how it counts, what a target means, when a session is done and
what its result is (a value *with a unit*). The kiosk, the records and the
server ask this object instead of comparing strings.

Kinds:

- ``reps``: count repetitions up to a target count (squats);
- ``hold``: seconds held in a pose, up to a target time (one-leg stance);
- ``reps_in_time``: repetitions within a fixed time limit (30-second chair
  stand, 2-minute step test); the target is the time limit, the result the count;
- ``timed``: seconds to complete one task (timed up-and-go); no target, the
  result is the time taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """Units of targets and results. The value is what records and the server store."""

    REPS = "reps"
    SECONDS = "s"
    KILOGRAMS = "kg"
    CENTIMETRES = "cm"
    BMI = "kg/m2"
    RATIO = "ratio"
    """0..1 (e.g. a lesson's progress)."""
    POINTS = "points"
    """A score (e.g. quiz points, a 1..5 rating)."""


@dataclass(frozen=True)
class Quantity:
    """A number with its unit (a target or a result)."""

    value: float
    unit: Unit

    def whole(self) -> int:
        return int(self.value)

    def to_json(self) -> dict[str, object]:
        return {"value": self.value, "unit": str(self.unit)}


@dataclass(frozen=True)
class Progress:
    """What the engine has measured so far in one session (or test trial)."""

    reps: int = 0
    """Repetitions counted."""
    hold_s: float = 0.0
    """Longest hold so far, in seconds."""
    elapsed_s: float = 0.0
    """Seconds since the measured part started ("go")."""
    task_done: bool = False
    """A timed task (e.g. up-and-go) has been completed."""


@dataclass(frozen=True)
class ActivityKind:
    """How one kind of activity is measured. Instances are the constants below.

    Everything that differs between kinds is an attribute here, so callers
    (the engine, the kiosk, records) never compare kind names.
    """

    id: str
    counts_reps: bool
    """Repetitions are counted (and each one gets form flags)."""
    holds: bool
    """The engine times how long a pose is held (the result is the longest hold)."""
    target_unit: Unit | None
    """The unit of the target the resident picks, or None when the kind has no target."""
    result_unit: Unit
    time_limited: bool = False
    """The target is a time limit; the session ends when it runs out."""

    def __str__(self) -> str:
        return self.id

    def measured(self, p: Progress) -> float:
        """The number the result is made of (repetitions, seconds held, seconds taken)."""
        if self.counts_reps:
            return float(p.reps)
        if self.holds:
            return p.hold_s
        return p.elapsed_s

    def result(self, p: Progress) -> Quantity:
        """The session's result from what was measured."""
        if self.counts_reps:
            return Quantity(float(p.reps), self.result_unit)
        if self.holds:
            return Quantity(round(p.hold_s, 1), self.result_unit)
        return Quantity(round(p.elapsed_s, 2), self.result_unit)

    def target(self, value: float | None) -> Quantity | None:
        """The target the resident picked, with its unit (None for kinds without one)."""
        if self.target_unit is None or value is None:
            return None
        return Quantity(float(value), self.target_unit)

    def _towards_target(self, p: Progress) -> float:
        """What moves towards the target: elapsed time when it is a time limit."""
        return p.elapsed_s if self.time_limited else self.measured(p)

    def done(self, p: Progress, target: float | None) -> bool:
        """True when the session has reached its end (target count, target time, time limit)."""
        if self.target_unit is None:
            return p.task_done
        return target is not None and self._towards_target(p) >= target

    def fraction(self, p: Progress, target: float | None) -> float:
        """0..1 for a progress ring (time used for time-limited kinds)."""
        if self.target_unit is None or target is None or target <= 0:
            return 1.0 if p.task_done else 0.0
        return max(0.0, min(1.0, self._towards_target(p) / target))


REPS = ActivityKind("reps", counts_reps=True, holds=False, target_unit=Unit.REPS,
                    result_unit=Unit.REPS)
HOLD = ActivityKind("hold", counts_reps=False, holds=True, target_unit=Unit.SECONDS,
                    result_unit=Unit.SECONDS)
REPS_IN_TIME = ActivityKind("reps_in_time", counts_reps=True, holds=False,
                            target_unit=Unit.SECONDS, result_unit=Unit.REPS, time_limited=True)
TIMED = ActivityKind("timed", counts_reps=False, holds=False, target_unit=None,
                     result_unit=Unit.SECONDS)

KINDS: dict[str, ActivityKind] = {k.id: k for k in (REPS, HOLD, REPS_IN_TIME, TIMED)}


class UnknownKindError(ValueError):
    pass


def activity_kind(kind_id: str) -> ActivityKind:
    """The kind called ``kind_id``; raises ``UnknownKindError`` naming the known ones."""
    try:
        return KINDS[kind_id]
    except (KeyError, TypeError):
        raise UnknownKindError(
            f"unknown activity kind {kind_id!r} (known: {', '.join(KINDS)})") from None
