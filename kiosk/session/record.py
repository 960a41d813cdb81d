"""A finished activity session as the one record that is stored and synced, free of Kivy.

Why this module exists: the record must say exactly what the resident saw on
the summary screen (the result with its unit, the repetitions and their form
flags, the time, the heart rate), whatever kind of activity it was. The
activity kind (``vision.activity``) decides what the result is; this module
only turns the session's facts into an ``ExerciseSession``. The record's UUID
is chosen when the session starts, so a second save of the same session
would be an idempotent upsert, never a duplicate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from sync.records import GUEST, Activity, ExerciseSession, ExerciseUnit, HeartRate, Target
from vision.activity import ActivityKind, Quantity
from vision.engine import RepEvent

MIN_HR_SAMPLES = 3
MAX_FLAGS_PER_REP = 20


def local_utc_offset_min(at: datetime | None = None) -> int:
    at = at or datetime.now(UTC)
    offset = at.astimezone().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@dataclass
class HeartRateLog:
    """Pulse readings seen during the measured part of a session."""

    samples: list[float] = field(default_factory=list)

    def add(self, bpm: float) -> None:
        if 20 <= bpm <= 250:
            self.samples.append(float(bpm))

    def summary(self) -> HeartRate | None:
        if len(self.samples) < MIN_HR_SAMPLES:
            return None
        avg = sum(self.samples) / len(self.samples)
        return HeartRate(avg_bpm=round(avg, 1), max_bpm=max(self.samples))


@dataclass(frozen=True)
class SessionFacts:
    """Who did what, when: fixed when the session starts."""

    exercise: str
    kind: ActivityKind
    target: float | None
    kiosk_id: str
    resident: str
    started_at: datetime
    uuid: uuid.UUID = field(default_factory=uuid.uuid4)


def build_record(facts: SessionFacts, result: Quantity, reps: list[RepEvent],
                 duration_s: float, heart_rate: HeartRate | None, completed: bool,
                 ended_at: datetime | None = None) -> ExerciseSession:
    """The stored record of a session whose measured ``result`` the kind produced."""
    kind = facts.kind
    ended = max(ended_at or datetime.now(UTC), facts.started_at)
    goal = kind.target(facts.target)
    counted = len(reps) if kind.counts_reps else 0
    return ExerciseSession(
        uuid=facts.uuid,
        kiosk_id=facts.kiosk_id,
        resident=facts.resident or GUEST,
        exercise=facts.exercise,
        activity=cast(Activity, kind.id),  # the record validates it against its schema
        target=(Target(unit=cast(ExerciseUnit, goal.unit.value), value=goal.value)
                if goal is not None else None),
        value=float(counted) if kind.counts_reps else round(float(result.value), 2),
        unit=cast(ExerciseUnit, kind.result_unit.value),
        repetitions=counted,
        good_repetitions=sum(1 for r in reps if r.good) if kind.counts_reps else 0,
        rep_flags=[list(r.flags)[:MAX_FLAGS_PER_REP] for r in reps] if kind.counts_reps else [],
        duration_s=round(max(0.0, duration_s), 2),
        heart_rate=heart_rate,
        started_at=facts.started_at,
        ended_at=ended,
        utc_offset_min=local_utc_offset_min(ended),
        completed=completed,
    )
