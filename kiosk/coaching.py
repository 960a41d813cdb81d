"""One guided exercise session's bookkeeping, free of Kivy.

Why this module exists: the coaching screen must save a session exactly once,
whether it ends at the target, is stopped early, or is abandoned because the
resident walked away, and the record must say the same thing as the screen.
This class turns the vision engine's ``SetSummary`` plus the heart-rate
readings seen during the session into one ``ExerciseSession`` record and
hands it to the store. It keeps the record's UUID from the start, so even a
second save attempt of the same session would be an idempotent upsert.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sync.records import GUEST, ExerciseSession, HeartRate, Target
from vision.activity import ActivityKind

log = logging.getLogger(__name__)

MIN_HR_SAMPLES = 3


def local_utc_offset_min(at: datetime | None = None) -> int:
    at = at or datetime.now(UTC)
    offset = at.astimezone().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@dataclass
class HeartRateLog:
    samples: list[float] = field(default_factory=list)

    def add(self, bpm: float) -> None:
        if 20 <= bpm <= 250:
            self.samples.append(float(bpm))

    def summary(self) -> HeartRate | None:
        if len(self.samples) < MIN_HR_SAMPLES:
            return None
        avg = sum(self.samples) / len(self.samples)
        return HeartRate(avg_bpm=round(avg, 1), max_bpm=max(self.samples))


class CoachingSession:
    """Bookkeeping for one session: start time, heart rate, the single save."""

    def __init__(self, exercise: str, kind: ActivityKind, target: int, kiosk_id: str, resident: str,
                 save: Callable[[ExerciseSession], None]) -> None:
        self.uuid = uuid.uuid4()
        self.exercise = exercise
        self.kind = kind
        self.activity = kind.id
        goal = kind.target(target)
        self.target = Target(unit=goal.unit.value, value=goal.value) if goal is not None else None
        self.kiosk_id = kiosk_id
        self.resident = resident or GUEST
        self._save = save
        self.started_at = datetime.now(UTC)
        self._t0 = time.monotonic()
        self.heart_rate = HeartRateLog()
        self.record: ExerciseSession | None = None
        self._lock = threading.Lock()

    @property
    def saved(self) -> bool:
        return self.record is not None

    def elapsed_s(self) -> float:
        return time.monotonic() - self._t0

    def build_record(self, repetitions: int, good: int, rep_flags: list[list[str]],
                     duration_s: float | None = None, completed: bool = True) -> ExerciseSession:
        """``repetitions`` is the measured number: repetitions, or whole seconds for a hold."""
        ended = datetime.now(UTC)
        counts = self.kind.counts_reps
        flags = [list(f)[:20] for f in rep_flags] if len(rep_flags) == repetitions else []
        return ExerciseSession(
            uuid=self.uuid,
            kiosk_id=self.kiosk_id,
            resident=self.resident,
            exercise=self.exercise,
            activity=self.activity,
            target=self.target,
            value=float(repetitions),
            unit=self.kind.result_unit.value,
            repetitions=repetitions if counts else 0,
            good_repetitions=min(good, repetitions) if counts else 0,
            rep_flags=flags if counts else [],
            duration_s=round(self.elapsed_s() if duration_s is None else duration_s, 2),
            heart_rate=self.heart_rate.summary(),
            started_at=self.started_at,
            ended_at=max(ended, self.started_at),
            utc_offset_min=local_utc_offset_min(ended),
            completed=completed,
        )

    def finish(self, repetitions: int, good: int, rep_flags: list[list[str]],
               duration_s: float | None = None, completed: bool = True) -> ExerciseSession | None:
        """Save the session once; later calls return None and save nothing."""
        with self._lock:
            if self.record is not None:
                return None
            record = self.build_record(repetitions, good, rep_flags, duration_s, completed)
            self.record = record
        try:
            self._save(record)
        except Exception:
            log.exception("saving exercise session %s failed", record.uuid)
            with self._lock:
                self.record = None  # let a later attempt save it (same UUID: no duplicate)
            raise
        log.info("exercise session %s saved: %s %d reps (%s)", record.uuid, self.exercise,
                 repetitions, "completed" if completed else "abandoned")
        return record
