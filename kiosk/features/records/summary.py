"""What "My records" shows, computed from the store's index, free of Kivy.

Why this module exists: the screen must open fast for a resident with
thousands of records (under 200 ms with 5,000; ``bench/my_records_bench.py``)
and never on the UI thread. ``my_records`` works on the store's small index
entries (``sync.record_index``: no record is parsed), on the store's thread
(``StoreService.query_async``), and hands back plain numbers and names:

- the most recent sessions, lessons and fitness tests;
- this week's totals and the weekly activity of the last 12 weeks (minutes);
- the streak: days in a row with something done, up to today (or yesterday);
- each fitness test over time, with its normal range band for the resident's
  age group and sex (``sync.fitness_norms``) when they gave them.

``my_records_scan`` computes the same from a plain scan of every record (the
bench compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sync.fitness_norms import normal_range
from sync.record_index import Entry, entry_of
from sync.store import Store

RECENT = 12
WEEKS = 12
ACTIVITY_KINDS = ("exercise_session", "lesson_progress", "fitness_test")
TEST_HIDDEN = ("body_height",)
"""Tests not charted (height does not change with practice)."""


@dataclass(frozen=True)
class RecentItem:
    kind: str
    name: str
    when: datetime
    """Local time."""
    value: float | None
    unit: str | None
    side: str | None = None
    completed: bool = True


@dataclass(frozen=True)
class WeekTotal:
    start: date
    """The Monday."""
    sessions: int = 0
    minutes: float = 0.0
    lessons: int = 0
    tests: int = 0

    @property
    def active(self) -> bool:
        return bool(self.sessions or self.lessons or self.tests)


@dataclass
class TestSeries:
    test: str
    unit: str
    points: list[tuple[date, float, str | None]] = field(default_factory=list)
    band: tuple[float, float] | None = None

    @property
    def latest(self) -> float:
        return self.points[-1][1]


@dataclass
class MyRecords:
    resident: str
    total: int
    recent: list[RecentItem]
    weeks: list[WeekTotal]
    """The last ``WEEKS`` weeks, oldest first; the last is this week."""
    streak_days: int
    tests: list[TestSeries]

    @property
    def this_week(self) -> WeekTotal:
        return self.weeks[-1]


def _local(e: Entry) -> datetime:
    return datetime.fromisoformat(e.ts.replace("Z", "+00:00"))


def summarise(entries: Iterable[Entry], resident: str, today: date,
              age_group: str | None = None, sex: str | None = None,
              utc_offset_min: int = 0) -> MyRecords:
    """The summary from index entries (oldest first)."""
    acts = [e for e in entries if e.kind in ACTIVITY_KINDS]
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=WEEKS - 1)
    weeks: dict[date, list[float]] = {first + timedelta(weeks=i): [0, 0.0, 0, 0]
                                      for i in range(WEEKS)}
    days: set[date] = set()
    tests: dict[str, TestSeries] = {}
    for e in acts:
        days.add(e.day)
        start = e.day - timedelta(days=e.day.weekday())
        w = weeks.get(start)
        if e.kind == "exercise_session":
            if w is not None:
                w[0] += 1
                w[1] += e.duration_s / 60
        elif e.kind == "lesson_progress":
            if w is not None and e.completed:
                w[2] += 1
        elif e.value is not None and e.name not in TEST_HIDDEN:
            if w is not None:
                w[3] += 1
            series = tests.get(e.name)
            if series is None:
                series = tests[e.name] = TestSeries(e.name, e.unit or "")
            series.points.append((e.day, e.value, e.side))
    for series in tests.values():
        band = normal_range(series.test, age_group, sex)
        series.band = (band.low, band.high) if band is not None else None
    streak = 0
    day = today if today in days else today - timedelta(days=1)
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    offset = timedelta(minutes=utc_offset_min)
    recent = [RecentItem(e.kind, e.name, _local(e) + offset, e.value, e.unit, e.side,
                         e.completed) for e in acts[-RECENT:][::-1]]
    return MyRecords(
        resident=resident, total=len(acts), recent=recent,
        weeks=[WeekTotal(start, int(v[0]), round(v[1], 1), int(v[2]), int(v[3]))
               for start, v in sorted(weeks.items())],
        streak_days=streak, tests=sorted(tests.values(), key=lambda s: s.test))


def my_records(store: Store, resident: str, today: date, age_group: str | None = None,
               sex: str | None = None, utc_offset_min: int = 0) -> MyRecords:
    """From the store's index (run it on the store's thread)."""
    return summarise(store.entries(resident, ACTIVITY_KINDS), resident, today, age_group,
                     sex, utc_offset_min)


def my_records_scan(store: Store, resident: str, today: date, age_group: str | None = None,
                    sex: str | None = None, utc_offset_min: int = 0) -> MyRecords:
    """The same from a plain scan of every stored record (the bench's baseline)."""
    entries = [entry_of(r.key, r.to_json_dict())
               for r in store.recent(limit=10**9, resident=resident)]
    entries.sort(key=lambda e: e.ts)
    return summarise(entries, resident, today, age_group, sex, utc_offset_min)
