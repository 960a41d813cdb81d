"""A seeded community dataset for the page tests, and what it implies, computed independently.

Two communities: ``东城`` (east, kiosks e1 and e2, 40 residents, enough for
figures to show) and ``west`` (kiosk w1, 3 residents, so most of its figures
read "<5"); kiosks e3 (east, silent: stale) and w2 (west, camera failed) send
no records. Records cover the 100 days up to today (the pages' clock is the
real one, in Asia/Shanghai like the kiosks' offset of 480 minutes).

The expectations below are plain loops over the records, written without
the server's aggregate code, with the privacy rule applied by hand.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sync.records import ExerciseSession, FitnessTestResult, LessonProgress, Record, Target

TZ = ZoneInfo("Asia/Shanghai")
OFFSET_MIN = 480
EAST, WEST = "东城", "west"
KIOSKS = {"e1": EAST, "e2": EAST, "e3": EAST, "w1": WEST, "w2": WEST}
ACTIVE_KIOSKS = {"e1": EAST, "e2": EAST, "w1": WEST}
RESIDENTS = {
    EAST: [f"east-res-{i:02d}" for i in range(40)],
    WEST: [f"west-res-{i:02d}" for i in range(3)],
}
EXERCISES = ["squat", "sit_to_stand", "bicep_curl", "lunge"]
LESSONS = ["falls-1", "scams-1", "eating-1"]


def demographics_of(resident: str) -> tuple[str | None, str | None]:
    """Age group and sex of the seeded residents (the pluggable lookup the server is given)."""
    if not resident.startswith("east-res-"):
        return None, None
    i = int(resident[-2:])
    groups = ["65-69", "70-74", "75-79", "80-84"]
    return groups[i % 4], ("female" if i % 2 == 0 else "male")


def local_today() -> date:
    return datetime.now(TZ).date()


def _at(day: date, minute_of_day: int) -> datetime:
    local = datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(minutes=minute_of_day)
    return local.astimezone(UTC)


def make_records(today: date, seed: int = 14) -> list[Record]:
    rng = random.Random(seed)
    out: list[Record] = []
    now_local = datetime.now(TZ)
    for back in range(100):
        day = today - timedelta(days=back)
        for kiosk, community in ACTIVE_KIOSKS.items():
            people = RESIDENTS[community]
            count = rng.randrange(2, 7) if community == EAST else rng.randrange(0, 3)
            if back == 0 and community == EAST:
                count = 7  # today has enough residents in the east to show figures
            for j in range(count):
                if back == 0:
                    # today: only times already past, so the records are not "in the future"
                    minute = min(now_local.hour * 60 + now_local.minute, 24 * 60 - 1) * j // 8
                else:
                    minute = rng.randrange(6 * 60, 21 * 60)
                end = _at(day, minute)
                resident = people[(back * 3 + j) % len(people)] if j < 6 else "guest"
                reps = rng.randrange(3, 25)
                out.append(
                    ExerciseSession(
                        kiosk_id=kiosk,
                        resident=resident,
                        exercise=EXERCISES[(back + j) % len(EXERCISES)],
                        target=Target(value=10, unit="reps"),
                        value=reps,
                        unit="reps",
                        repetitions=reps,
                        good_repetitions=reps // 2,
                        duration_s=float(rng.randrange(40, 400)),
                        started_at=end - timedelta(minutes=5),
                        ended_at=end,
                        utc_offset_min=OFFSET_MIN,
                        completed=rng.random() < 0.85,
                    )
                )
            if back % 3 == 0:
                for j, lesson in enumerate(LESSONS):
                    resident = people[(back + j) % len(people)]
                    done = (back + j) % 2 == 0
                    # lessons with a quiz of 4 questions (all but the last): right answers so far
                    quiz = lesson != LESSONS[-1]
                    out.append(
                        LessonProgress(
                            kiosk_id=kiosk,
                            resident=resident,
                            lesson_id=lesson,
                            progress=1.0 if done else 0.5,
                            completed=done,
                            updated_at=_at(day, 10 * 60 + j) if back else _at(day, 0),
                            utc_offset_min=OFFSET_MIN,
                            score=((back + j) % 5 if done else (back + j) % 3) if quiz else None,
                            questions=4 if quiz else None,
                        )
                    )
            if back % 2 == 0 and community == EAST:
                for j in range(4):
                    resident = people[(back * 3 + j * 7) % len(people)]
                    out.append(
                        FitnessTestResult(
                            kiosk_id=kiosk,
                            resident=resident,
                            test="chair_stand_30s",
                            value=float(6 + (back + j * 7) % 14),
                            unit="reps",
                            measured_at=_at(day, 9 * 60 + j) if back else _at(day, 0),
                            utc_offset_min=OFFSET_MIN,
                        )
                    )
    return out


# --- what the records imply ---------------------------------------------------------


def local_day(rec: Record) -> date:
    return (rec.timestamp() + timedelta(minutes=rec.utc_offset_min)).date()


def in_scope(rec: Record, community: str | None) -> bool:
    return community is None or KIOSKS[rec.kiosk_id] == community


def shown(value: float, people: int) -> str:
    """The privacy rule, written out again: 0 is 0, under 5 people is "<5"."""
    if value == 0 and people == 0:
        return "0"
    if people < 5:
        return "<5"
    return f"{round(value):,}"


def residents_shown(n: int) -> str:
    return "0" if n == 0 else ("<5" if n < 5 else f"{n:,}")


@dataclass(frozen=True)
class Expected:
    sessions: str
    repetitions: str
    minutes: str
    lessons_completed: str
    fitness_tests: str
    residents: str


def expected(records: Iterable[Record], community: str | None, days: Sequence[date]) -> Expected:
    """The overview's figures for ``community`` (None: all) over the local ``days``."""
    wanted = set(days)
    recs = [r for r in records if in_scope(r, community) and local_day(r) in wanted]

    def people(rs: Sequence[Record]) -> int:
        return len({r.resident for r in rs if r.resident != "guest"}) + sum(
            1 for r in rs if r.resident == "guest"
        )

    sessions = [r for r in recs if isinstance(r, ExerciseSession)]
    lessons = [r for r in recs if isinstance(r, LessonProgress)]
    tests = [r for r in recs if isinstance(r, FitnessTestResult)]
    return Expected(
        sessions=shown(len(sessions), people(sessions)),
        repetitions=shown(sum(r.repetitions for r in sessions), people(sessions)),
        minutes=shown(sum(r.duration_s for r in sessions) / 60, people(sessions)),
        lessons_completed=shown(sum(1 for r in lessons if r.completed), people(lessons)),
        fitness_tests=shown(len(tests), people(tests)),
        residents=residents_shown(len({r.resident for r in recs if r.resident != "guest"})),
    )


def week_days(today: date) -> list[date]:
    start = today - timedelta(days=today.weekday())
    return [start + timedelta(days=i) for i in range((today - start).days + 1)]


def month_days(today: date) -> list[date]:
    start = today.replace(day=1)
    return [start + timedelta(days=i) for i in range((today - start).days + 1)]
