"""The record schema: strict validation, UTC times, one schema for every kind, migrations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync.records import (
    SCHEMA_VERSION,
    ExerciseSession,
    RecordError,
    migrate,
    parse_record,
    record_json_schema,
)
from tests.sync.helpers import one_of_each, session


def test_every_kind_round_trips_through_json() -> None:
    for rec in one_of_each():
        wire = json.loads(json.dumps(rec.to_json_dict()))
        assert wire["schema_version"] == SCHEMA_VERSION
        assert parse_record(wire) == rec


def test_times_are_kept_in_utc_with_the_local_offset_alongside() -> None:
    local = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    rec = session(0, started_at=local, ended_at=local + timedelta(minutes=1))
    assert rec.started_at == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert rec.to_json_dict()["started_at"].endswith("Z")
    assert rec.utc_offset_min == 480


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"started_at": "2026-01-01T00:00:00"}, "started_at"),  # no time zone
        ({"repetitions": "ten"}, "repetitions"),
        ({"good_repetitions": 99}, "<record>"),  # more good than total
        ({"unknown_field": 1}, "unknown_field"),
        ({"uuid": "not-a-uuid"}, "uuid"),
        ({"heart_rate": {"avg_bpm": 100, "max_bpm": 90}}, "heart_rate"),
        ({"utc_offset_min": 10_000}, "utc_offset_min"),
        ({"kind": "bogus"}, "kind"),
        ({"schema_version": 99}, "schema_version"),
    ],
)
def test_invalid_records_name_the_field(change: dict, field: str) -> None:
    wire = session(3).to_json_dict() | change
    with pytest.raises(RecordError) as info:
        parse_record(wire)
    fields = [f for f, _m in info.value.problems]
    assert any(f.startswith(field) for f in fields), fields
    assert str(info.value)


def test_missing_fields_are_listed() -> None:
    with pytest.raises(RecordError) as info:
        parse_record({"kind": "exercise_session", "kiosk_id": "k1", "schema_version": 3})
    fields = {f for f, _m in info.value.problems}
    assert {"exercise", "target", "value", "unit", "started_at", "ended_at"} <= fields


def test_not_an_object() -> None:
    with pytest.raises(RecordError, match="JSON object"):
        parse_record(["a list"])


def test_v1_session_migrates_to_current() -> None:
    v1 = {
        "kind": "exercise_session",
        "uuid": "3f2b1f0e-8a57-4c53-9d7c-6a1d3c3e0b11",
        "kiosk_id": "k1",
        "resident": None,
        "exercise": "squat",
        "target": 12,
        "repetitions": 2,
        "good_repetitions": 1,
        "rep_flags": [[], ["knees_in"]],
        "duration_ms": 41500,
        "hr_avg": 96,
        "hr_max": 121,
        "started_at": "2025-05-01T10:00:00Z",
        "ended_at": "2025-05-01T10:00:41.5Z",
        "utc_offset_min": 480,
    }
    rec = parse_record(v1)
    assert isinstance(rec, ExerciseSession)
    assert rec.schema_version == SCHEMA_VERSION
    assert rec.resident == "guest"
    assert rec.duration_s == 41.5
    assert rec.target is not None and rec.target.unit == "reps" and rec.target.value == 12
    assert rec.activity == "reps" and rec.value == 2 and rec.unit == "reps"
    assert rec.heart_rate is not None and rec.heart_rate.max_bpm == 121
    assert migrate(rec.to_json_dict()) == rec.to_json_dict()  # current: a no-op


def test_json_schema_covers_all_kinds() -> None:
    text = json.dumps(record_json_schema())
    for kind in ("exercise_session", "lesson_progress", "fitness_test", "feedback"):
        assert kind in text


def test_v3_lesson_progress_migrates_unchanged_and_v4_fields_are_checked() -> None:
    from sync.records import LessonProgress
    from tests.sync.helpers import v3_lesson_progress_dict

    v3 = v3_lesson_progress_dict(1)
    rec = parse_record(v3)
    assert isinstance(rec, LessonProgress) and rec.schema_version == SCHEMA_VERSION == 4
    assert (rec.lesson_id, rec.progress, rec.completed) == ("fall_prevention_home", 0.5, False)
    assert rec.step is None and rec.answers == [] and rec.practice == [] and rec.score is None
    full = next(r for r in one_of_each() if isinstance(r, LessonProgress)).to_json_dict()
    assert parse_record(full).to_json_dict() == full
    bad = [
        ({"step": 9}, "step must be below steps"),
        ({"score": 2}, "score must count the right answers"),
        ({"score": None}, "score and questions go together"),
        ({"answers": full["answers"] * 2}, "one answer per question"),
        ({"practice": full["practice"] * 2}, "one result per step"),
        ({"answers": [dict(full["answers"][0], choice=-1)]}, "answers.0.choice"),
        ({"practice": [dict(full["practice"][0], unit="kg")]}, "practice.0.unit"),
    ]
    for change, message in bad:
        with pytest.raises(RecordError) as info:
            parse_record(full | change)
        assert message in str(info.value), (change, str(info.value))
