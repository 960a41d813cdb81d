"""Aggregates stay exact through inserts, updates and deletions (SQLite and PostgreSQL).

The expected cells are computed here from the final set of records with plain
Python sets and sums, independently of ``aggregates.cell_keys`` and of the
reference counting, and compared with every row of ``agg_cells``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from sync.records import ExerciseSession, FitnessTestResult, LessonProgress, Record, Target
from sync.server.db import Database
from sync.server.tables import agg_cells, agg_members
from sync.server.web import aggregates
from sync.server.web.norms import load_norms
from sync.server.web.record_facts import age_group_of, facts_of

COMMUNITY = {"k1": "east", "k2": "east", "k3": "west"}
RESIDENTS = [f"res-{i:03d}" for i in range(12)] + ["guest"]
AGES = {r: 60 + 3 * i for i, r in enumerate(RESIDENTS)}
SEXES = {r: ("female" if i % 2 else "male") for i, r in enumerate(RESIDENTS)}


def demographics(rec: Record) -> tuple[str | None, str | None]:
    if rec.resident == "guest":
        return None, None
    return age_group_of(AGES[rec.resident]), SEXES[rec.resident]


def make_record(rng: random.Random, kiosk: str) -> Record:
    base = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 70))
    resident = rng.choice(RESIDENTS)
    kind = rng.choice(["exercise_session"] * 3 + ["lesson_progress", "fitness_test"])
    if kind == "exercise_session":
        reps = rng.randrange(0, 30)
        return ExerciseSession(
            kiosk_id=kiosk,
            resident=resident,
            exercise=rng.choice(["squat", "lunge", "bicep_curl"]),
            target=Target(value=10, unit="reps"),
            value=reps,
            unit="reps",
            repetitions=reps,
            good_repetitions=reps // 2,
            duration_s=rng.uniform(5, 300),
            started_at=base - timedelta(seconds=60),
            ended_at=base,
            utc_offset_min=480,
            completed=rng.random() < 0.8,
        )
    if kind == "lesson_progress":
        done = rng.random() < 0.5
        return LessonProgress(
            kiosk_id=kiosk,
            resident=resident,
            lesson_id=rng.choice(["falls", "scams", "eating"]),
            progress=1.0 if done else rng.random(),
            completed=done,
            updated_at=base,
            utc_offset_min=480,
        )
    return FitnessTestResult(
        kiosk_id=kiosk,
        resident=resident,
        test=rng.choice(["chair_stand_30s", "step_test_2min", "grip_strength"]),
        value=float(rng.randrange(3, 25)),
        unit="reps",
        measured_at=base,
        utc_offset_min=480,
    )


Key = tuple[str, str, str, date, str, str, str]


def expected_cells(recs: Sequence[Record]) -> dict[Key, tuple[int, int, int, int, int, int]]:
    """(n, guests, residents, completed, reps, duration_ms) per cell, from scratch."""
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    people: dict[Key, set[tuple[str, str]]] = defaultdict(set)
    norms = load_norms()
    for rec in recs:
        community = COMMUNITY[rec.kiosk_id]
        local = rec.timestamp() + timedelta(minutes=rec.utc_offset_min)
        day = local.date()
        periods = {
            "d": day,
            "w": day - timedelta(days=day.weekday()),
            "m": day.replace(day=1),
        }
        age, sex = demographics(rec)
        age, sex = age or "unknown", sex or "unknown"
        if isinstance(rec, ExerciseSession):
            subject, done, reps, ms = (
                rec.exercise,
                rec.completed,
                rec.repetitions,
                round(rec.duration_s * 1000),
            )
        elif isinstance(rec, LessonProgress):
            subject, done, reps, ms = rec.lesson_id, rec.completed, 0, 0
        else:
            assert isinstance(rec, FitnessTestResult)
            subject, done, reps, ms = rec.test, True, 0, 0
        keys: list[tuple[str, str, str, date, str, str, str]] = []
        for c in (community, "*"):
            for g, p in periods.items():
                keys.append((c, "", g, p, rec.kind, "", ""))
                keys.append((c, "", g, p, "*", "", ""))
            m = periods["m"]
            keys.append((c, "", "m", m, rec.kind, "subject", subject))
            keys.append((c, "", "m", m, rec.kind, "age", age))
            keys.append((c, "", "m", m, rec.kind, "hour", str(local.hour)))
            if rec.kind == "lesson_progress" and done:
                keys.append((c, "", "m", m, rec.kind, "done", subject))
            if isinstance(rec, FitnessTestResult):
                band = norms.band(subject, age, sex, rec.value)
                keys.append((c, "", "m", m, rec.kind, "norm", f"{subject}|{age}|{sex}|{band}"))
                keys.append((c, "", "m", m, rec.kind, "band", f"{subject}|{band}"))
        keys.append((community, rec.kiosk_id, "d", day, rec.kind, "", ""))
        keys.append((community, rec.kiosk_id, "m", periods["m"], rec.kind, "", ""))
        guest = rec.resident == "guest"
        for k in keys:
            s = sums[k]
            s[0] += 1
            s[1] += guest
            s[2] += done
            s[3] += reps
            s[4] += ms
            if not guest and not k[1]:
                people[k].add((community, rec.resident))
    return {k: (s[0], s[1], len(people[k]), s[2], s[3], s[4]) for k, s in sums.items()}


def stored_cells(db: Database) -> dict[Key, tuple[int, int, int, int, int, int]]:
    c = agg_cells.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                c.community,
                c.kiosk_id,
                c.grain,
                c.period,
                c.kind,
                c.dim,
                c.dim_value,
                c.n,
                c.guests,
                c.residents,
                c.completed,
                c.reps,
                c.duration_ms,
            )
        ).all()
    out: dict[Key, tuple[int, int, int, int, int, int]] = {}
    for r in rows:
        if r[7] != 0:
            out[(r[0], r[1], r[2], r[3], r[4], r[5], r[6])] = (
                int(r[7]),
                int(r[8]),
                int(r[9]),
                int(r[10]),
                int(r[11]),
                int(r[12]),
            )
    return out


def test_incremental_aggregates_equal_a_recount(web_db_url: str) -> None:
    rng = random.Random(14)
    db = Database(web_db_url)
    demo = demographics
    current: dict[str, Record] = {}
    try:
        for _round in range(12):
            kiosk = rng.choice(list(COMMUNITY))
            batch = [make_record(rng, kiosk) for _ in range(rng.randrange(1, 40))]
            mine = [r for r in current.values() if r.kiosk_id == kiosk]
            # replace some stored records with a new version (same uuid) and delete some
            replaced = rng.sample(mine, min(len(mine), rng.randrange(0, 5)))
            deleted = rng.sample(
                [r for r in mine if r not in replaced], min(len(mine) - len(replaced), 2)
            )
            new_versions = [
                make_record(rng, kiosk).model_copy(update={"uuid": r.uuid}) for r in replaced
            ]
            with db.engine.begin() as conn:
                aggregates.apply(
                    conn,
                    COMMUNITY[kiosk],
                    kiosk,
                    added=[facts_of(r, demo) for r in batch + new_versions],
                    removed=[facts_of(r, demo) for r in replaced + deleted],
                )
            for r in batch + new_versions:
                current[r.key] = r
            for r in deleted:
                del current[r.key]
        want = expected_cells(list(current.values()))
        got = stored_cells(db)
        assert got == want
        # no reference count left at zero or below
        with db.engine.connect() as conn:
            assert conn.execute(select(agg_members).where(agg_members.c.refs <= 0)).first() is None
    finally:
        db.dispose()


def test_facts_read_demographics_from_the_record_or_the_lookup() -> None:
    rec = make_record(random.Random(1), "k1")
    f = facts_of(rec, lambda _r: (71, "F"))
    assert (f.age_group, f.sex) == ("70-74", "female")
    assert facts_of(rec).age_group == "unknown"
    assert (
        age_group_of("95+") == "95+"
        and age_group_of(59) == "<60"
        and age_group_of(True) == "unknown"
    )


def test_the_records_age_groups_and_sexes_are_the_pages_own() -> None:
    """Every age group and sex a record or profile may carry is one the pages chart."""
    from typing import get_args

    from sync.records import AGE_GROUPS, AgeGroup, Sex
    from sync.server.web.record_facts import AGE_GROUPS as PAGE_GROUPS
    from sync.server.web.record_facts import SEXES, sex_of

    assert age_group_of("under_60") == "<60" and age_group_of("95_plus") == "95+"
    assert [age_group_of(g) for g in AGE_GROUPS] == list(PAGE_GROUPS)
    assert set(get_args(AgeGroup)) == set(AGE_GROUPS)
    assert [sex_of(s) for s in get_args(Sex)] == list(SEXES)
    young = FitnessTestResult(
        kiosk_id="k1",
        resident="res-001",
        test="chair_stand_30s",
        value=14,
        unit="reps",
        measured_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        utc_offset_min=480,
        age_group="under_60",
        sex="male",
    )
    f = facts_of(young, lambda _r: ("70-74", "female"))  # the record's own fields win
    assert (f.age_group, f.sex, f.band) == ("<60", "male", "no_norm")
    old = facts_of(young.model_copy(update={"age_group": "70-74"}))
    assert (old.age_group, old.band) == ("70-74", "within")  # men 70-74: 12 to 17


@pytest.mark.parametrize(
    ("test", "age", "sex", "value", "band"),
    [
        ("chair_stand_30s", "70-74", "female", 9, "below"),
        ("chair_stand_30s", "70-74", "female", 10, "within"),
        ("step_test_2min", "90-94", "female", 43, "below"),  # women 90-94: 44 to 72
        ("up_and_go_8ft", "70-74", "male", 6.1, "above"),  # men 70-74: 4.2 to 6.0 s
        ("chair_stand_30s", "70-74", "male", 18, "above"),
        ("up_and_go_8ft", "60-64", "male", 7.0, "above"),
        ("grip_strength", "70-74", "male", 30, "no_norm"),
        ("chair_stand_30s", "unknown", "male", 12, "no_norm"),
    ],
)
def test_norm_bands(test: str, age: str, sex: str, value: float, band: str) -> None:
    assert load_norms().band(test, age, sex, value) == band


def test_the_migration_backfills_the_aggregates_of_an_older_database(tmp_path) -> None:  # noqa: ANN001
    """A database made before the pages existed gets its figures at the upgrade."""
    import shutil
    from pathlib import Path

    from sqlalchemy import func

    from sync.server.tables import records

    legacy = Path(__file__).parents[1] / "sync" / "data" / "server-before-migrations.sqlite"
    path = tmp_path / "server.db"
    shutil.copy(legacy, path)
    db = Database(f"sqlite:///{path}")
    try:
        with db.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(records)).scalar_one()
            total = conn.execute(
                select(func.sum(agg_cells.c.n)).where(
                    agg_cells.c.community == "*",
                    agg_cells.c.grain == "m",
                    agg_cells.c.kind == "*",
                    agg_cells.c.dim == "",
                )
            ).scalar_one()
            before = sorted(tuple(r) for r in conn.execute(select(agg_cells)))
        assert stored > 0 and total == stored
        aggregates.rebuild(db.engine)
        with db.engine.connect() as conn:
            assert sorted(tuple(r) for r in conn.execute(select(agg_cells))) == before
    finally:
        db.dispose()


def test_facts_read_the_quiz_score_and_demographics_a_record_carries() -> None:
    """A lesson's quiz score is its right answers over its questions (records v4); age group
    and sex are read from any record whose schema has them."""

    class LessonWithDemographics(LessonProgress):
        age_group: str | None = None
        sex: str | None = None

    rec = LessonWithDemographics(
        kiosk_id="k1",
        resident="res-001",
        lesson_id="falls-1",
        progress=1.0,
        completed=True,
        updated_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        utc_offset_min=480,
        score=3,
        questions=4,
        age_group="75-79",
        sex="女",
    )
    f = facts_of(rec, lambda _r: ("60-64", "male"))  # the record's own fields win
    assert (f.score, f.age_group, f.sex, f.day, f.hour) == (
        0.75,
        "75-79",
        "female",
        date(2026, 3, 2),
        9,
    )
    plain = LessonProgress(**rec.model_dump(exclude={"age_group", "sex", "score", "questions"}))
    assert (facts_of(plain).score, facts_of(plain).age_group) == (None, "unknown")
    no_quiz = plain.model_copy(update={"score": 0, "questions": 0})
    assert facts_of(no_quiz).score is None  # a lesson without questions has no score
    assert facts_of(plain.model_copy(update={"score": 0, "questions": 5})).score == 0.0


def test_a_rate_never_gives_a_hidden_count_away() -> None:
    from sync.server.web.queries import Cell
    from sync.server.web.routes.lessons import LessonRow

    def row(started: int, done: int) -> LessonRow:
        return LessonRow("l", "l", Cell(n=started, residents=started), Cell(n=done, residents=done))

    assert row(8, 4).rate_shown() == "<5"  # 50% of 8 would say 4
    assert row(3, 3).rate_shown() == "<5"
    assert row(8, 0).rate_shown() == "0%"
    assert row(10, 5).rate_shown() == "50%"
    assert row(0, 0).rate_shown() == "–"
