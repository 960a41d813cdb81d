"""A resident's way through a lesson: navigation, answers with feedback, score, the record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from content.lessons import load_lesson
from content.progress import LessonRun, Practice
from tests.content.helpers import TreeSpec, make_tree


def test_run_through_a_lesson(tmp_path: Path) -> None:
    make_tree(tmp_path, TreeSpec(lessons=["l1"]))
    lesson = load_lesson(tmp_path / "lessons" / "l1", {"squat"})
    run = LessonRun(lesson)
    assert run.back() == 0 and run.progress == 0.0
    assert run.next() == 1
    fb = run.answer(1, 0, 1)  # true/false, the right answer is "true" (0)
    assert not fb.right and fb.right_choice == 0 and fb.explanation["en"]
    assert run.answer(1, 0, 0).right  # a second try is shown as right but the first counts
    assert run.answer(1, 1, 2).right
    assert run.score() == (1, 2)
    assert run.next() == 2 and run.at_end and run.next() == 2
    run.record_practice(2, 5, "reps")
    assert run.completed and run.progress == 1.0
    rec = run.to_record("kiosk-1", "guest", datetime(2026, 3, 1, 9, tzinfo=UTC), 480)
    assert (rec.kind, rec.lesson_id, rec.progress, rec.completed) == ("lesson_progress", "l1", 1.0, True)
    again = LessonRun.from_json(lesson, run.to_json())
    assert again.score() == (1, 2) and again.step == 2 and again.practice == {2: Practice(5.0, "reps")}
    with pytest.raises(ValueError):
        run.answer(0, 0, 0)
    with pytest.raises(ValueError):
        run.record_practice(1, 5, "reps")
    assert LessonRun.from_json(lesson, {"answers": "junk"}).step == 0


def test_partial_progress(tmp_path: Path) -> None:
    make_tree(tmp_path, TreeSpec(lessons=["l1"]))
    run = LessonRun(load_lesson(tmp_path / "lessons" / "l1", {"squat"}))
    run.next()
    run.next()  # reached the end without answering the quiz
    assert not run.completed and run.progress == 0.99
    run.back()
    assert run.to_json()["step"] == 1 and run.to_json()["furthest"] == 2


def test_the_record_carries_where_to_resume_the_answers_and_the_practice(tmp_path: Path) -> None:
    import json
    import uuid

    from sync.records import LessonProgress, parse_record

    make_tree(tmp_path, TreeSpec(lessons=["l1"]))
    lesson = load_lesson(tmp_path / "lessons" / "l1", {"squat"})
    run = LessonRun(lesson, bundle=("demo", 3))
    run.next()
    run.answer(1, 0, 1)  # wrong
    run.answer(1, 1, 2)  # right
    session = uuid.uuid4()
    run.next()
    run.record_practice(2, 4, "reps", completed=False, session=session)
    run.back()
    now = datetime(2026, 3, 1, 9, tzinfo=UTC)
    rec = run.to_record("kiosk-1", "r-1", now, 480)
    assert (rec.step, rec.steps, rec.score, rec.questions) == (1, 3, 1, 2)
    assert [(a.step, a.question, a.choice, a.right) for a in rec.answers] == [(1, 0, 1, False), (1, 1, 2, True)]
    (p,) = rec.practice
    assert (p.step, p.exercise, p.value, p.unit, p.completed, p.session) == (2, "squat", 4, "reps", False, session)
    assert p.target is not None and (p.target.value, p.target.unit) == (5, "reps")
    assert (rec.bundle_id, rec.bundle_version) == ("demo", 3)
    # every save of the run is the same record (the store and the server replace it)
    assert run.to_record("kiosk-1", "r-1", now, 480).uuid == rec.uuid == run.uuid
    stored = parse_record(json.loads(json.dumps(rec.to_json_dict())))
    assert isinstance(stored, LessonProgress)
    again = LessonRun.from_record(lesson, stored)
    assert (again.uuid, again.step, again.furthest, again.answers) == (run.uuid, 1, 2, run.answers)
    assert again.practice == {2: Practice(4, "reps", False, session)} and again.bundle == ("demo", 3)
    # a record from an older version of the lesson: what no longer fits is dropped
    odd = stored.model_copy(update={"step": 30, "steps": 40})
    assert LessonRun.from_record(lesson, odd).step == 2
    v3 = parse_record({"schema_version": 3, "kind": "lesson_progress", "kiosk_id": "k",
                       "uuid": "6f1c2d3e-0000-4000-8000-000000000001",
                       "lesson_id": "l1", "progress": 0.5, "updated_at": "2026-03-01T09:00:00Z",
                       "utc_offset_min": 480})
    assert isinstance(v3, LessonProgress)
    assert LessonRun.from_record(lesson, v3).step == 1  # half-way through three steps
