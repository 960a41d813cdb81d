"""Small helpers shared by the bench scripts: medians, percentiles, tables."""

from __future__ import annotations

import platform
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo))


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def sample_session(i: int, kiosk: str = "bench-kiosk", t0: datetime | None = None,
                   every_min: int = 7, residents: int = 500) -> Any:
    """A realistic exercise session record, the ``i``-th of a kiosk's history."""
    import uuid

    from sync.records import ExerciseSession

    end = (t0 or datetime(2026, 1, 1, tzinfo=UTC)) + timedelta(minutes=every_min * i)
    reps = 8 + i % 8
    return ExerciseSession(
        uuid=uuid.uuid4(),
        kiosk_id=kiosk,
        resident=f"r-{i % residents:05x}" if i % 4 else "guest",
        exercise=["squat", "sit_to_stand", "arm_raise", "march", "lunge"][i % 5],
        target={"value": 12, "unit": "reps"},
        value=reps,
        unit="reps",
        repetitions=reps,
        good_repetitions=reps - i % 3,
        rep_flags=[["shallow"] if j % 3 == 0 else [] for j in range(reps)],
        duration_s=40.0 + i % 50,
        heart_rate={"avg_bpm": 92.0, "max_bpm": 118.0} if i % 2 else None,
        started_at=end - timedelta(seconds=40 + i % 50),
        ended_at=end,
        utc_offset_min=480,
    )
