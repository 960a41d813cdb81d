"""Bench: time to load "My records" for a resident with 5,000 records stored.

The kiosk's store service (``kiosk.services.store.StoreService``, its own
thread, as the app runs it) holds 5,000 records of one resident (exercise
sessions, lesson progress and fitness tests over the last 300 days) and
15,000 of other residents and guests. Each run asks the store's thread for
the summary the screen shows (``kiosk.features.records.summary.my_records``:
from the store's index, no record parsed) and waits on the calling thread
(the "UI thread") until the answer is posted back: that wall time is the
figure. In the same run, the plain alternative (``my_records_scan``: read
and parse every record of the resident, then summarise) is timed the same
way. Both are checked to give the same summary. Figures are medians of
``--runs`` runs (the first, warm-up run of each is left out).

Target (issue 13): under 200 ms. Last line: one JSON object
``{"my_records_ms", "scan_ms", "ratio", "records", "others"}``.

Run: .venv/bin/python bench/my_records_bench.py [--records 5000] [--others 15000] [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, median, table  # noqa: E402
from kiosk.config import DataLayout, parse_config  # noqa: E402
from kiosk.features.records.summary import MyRecords, my_records, my_records_scan  # noqa: E402
from kiosk.services.store import StoreService  # noqa: E402
from sync.records import ExerciseSession, FitnessTestResult, LessonProgress, Record  # noqa: E402

RESIDENT = "r-bench-000001"
TESTS = (("chair_stand_30s", "reps"), ("arm_curl_30s", "reps"), ("step_test_2min", "reps"),
         ("one_leg_stance", "s"), ("up_and_go_8ft", "s"), ("grip_strength", "kg"))


def record(i: int, resident: str, now: datetime, days: int = 300) -> Record:
    """The ``i``-th record of a resident's history, spread over the last ``days`` days."""
    when = now - timedelta(minutes=(i * 7919) % (days * 24 * 60))
    kind = i % 10
    if kind < 6:
        reps = 8 + i % 8
        return ExerciseSession(
            uuid=uuid.uuid4(), kiosk_id="bench-kiosk", resident=resident,
            exercise=["squat", "sit_to_stand", "bicep_curl", "knee_raise"][i % 4],
            target={"value": 12, "unit": "reps"}, value=reps, unit="reps", repetitions=reps,
            good_repetitions=reps - i % 3, rep_flags=[[] for _ in range(reps)],
            duration_s=40.0 + i % 50, started_at=when - timedelta(seconds=60), ended_at=when,
            utc_offset_min=480)
    if kind < 8:
        return LessonProgress(
            uuid=uuid.uuid4(), kiosk_id="bench-kiosk", resident=resident,
            lesson_id=f"lesson-{i % 30}", progress=1.0 if i % 3 else 0.5, completed=bool(i % 3),
            updated_at=when, utc_offset_min=480)
    test, unit = TESTS[i % len(TESTS)]
    return FitnessTestResult(
        uuid=uuid.uuid4(), kiosk_id="bench-kiosk", resident=resident, test=test,
        value=float(10 + i % 9), unit=unit, measured_at=when, utc_offset_min=480,
        age_group="70-74", sex="female")


class UiThread:
    """The calling thread stands for the UI thread: the store posts answers to it."""

    def __init__(self) -> None:
        self.posted: queue.Queue[Callable[[], None]] = queue.Queue()

    def post(self, fn: Callable[[], None]) -> None:
        self.posted.put(fn)

    def ask(self, svc: StoreService, query: Callable[..., MyRecords]) -> tuple[float, MyRecords]:
        """Wall time from asking the store's thread to the answer handled here."""
        got: list[MyRecords | None] = []
        t = time.perf_counter()
        svc.query_async(query, lambda data, err: got.append(data))
        while not got:
            self.posted.get(timeout=60)()
        ms = (time.perf_counter() - t) * 1000
        assert got[0] is not None, "the query failed"
        return ms, got[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=5000, help="records of the resident")
    ap.add_argument("--others", type=int, default=15000, help="records of everyone else")
    ap.add_argument("--runs", type=int, default=9)
    a = ap.parse_args(argv)
    now = datetime.now(UTC)
    today = date.today()
    ui = UiThread()
    with tempfile.TemporaryDirectory(prefix="my-records-bench-") as tmp:
        svc = StoreService(parse_config(""), post=ui.post, layout=DataLayout(Path(tmp)))
        svc.start()
        store = svc.store
        t = time.perf_counter()
        mine = [record(i, RESIDENT, now) for i in range(a.records)]
        others = [record(i, "guest" if i % 5 == 0 else f"r-other-{i % 400:04d}", now)
                  for i in range(a.others)]
        for i in range(0, len(mine) + len(others), 2000):
            batch = (mine + others)[i:i + 2000]
            store.save_many(batch)
        fill_s = time.perf_counter() - t

        def index(st: object) -> MyRecords:
            return my_records(svc.store, RESIDENT, today, "70-74", "female", 480)

        def scan(st: object) -> MyRecords:
            return my_records_scan(svc.store, RESIDENT, today, "70-74", "female", 480)

        fast: list[float] = []
        slow: list[float] = []
        first: MyRecords | None = None
        base: MyRecords | None = None
        for run in range(a.runs + 1):  # alternate, so both see the same machine load
            ms, first = ui.ask(svc, index)
            if run:
                fast.append(ms)
            ms, base = ui.ask(svc, scan)
            if run:
                slow.append(ms)
        svc.stop()
    assert first is not None and base is not None
    same = (first.total, first.streak_days, [w.sessions for w in first.weeks],
            [(s.test, len(s.points)) for s in first.tests]) == (
        base.total, base.streak_days, [w.sessions for w in base.weeks],
        [(s.test, len(s.points)) for s in base.tests])
    if not same or first.total != a.records:
        print(f"my_records_bench: the index and the scan disagree ({first.total} vs {base.total})",
              file=sys.stderr)
        return 1
    idx_ms, scan_ms = median(fast), median(slow)
    print(f"My records for one resident with {a.records:,} records, {a.others:,} of others stored "
          f"(filled in {fill_s:.1f} s); {machine()}, load {os.getloadavg()[0]:.1f}")
    print(table(["way", "median ms", "min ms", "max ms", "runs"], [
        ["index, store thread (ours)", f"{idx_ms:.1f}", f"{min(fast):.1f}", f"{max(fast):.1f}",
         len(fast)],
        ["full scan, store thread", f"{scan_ms:.1f}", f"{min(slow):.1f}", f"{max(slow):.1f}",
         len(slow)],
    ]))
    print(f"ratio scan/index: {scan_ms / idx_ms:.1f}x   target < 200 ms: "
          f"{'met' if idx_ms < 200 else 'MISSED'}   (weeks {len(first.weeks)}, "
          f"tests {len(first.tests)}, streak {first.streak_days} days)")
    print(json.dumps({"my_records_ms": round(idx_ms, 1), "scan_ms": round(scan_ms, 1),
                      "ratio": round(scan_ms / idx_ms, 1), "records": a.records,
                      "others": a.others}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
