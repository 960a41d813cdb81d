"""A resident's way through a lesson: navigation, answers with feedback, score, the record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from content.lessons import load_lesson
from content.progress import LessonRun
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
    assert again.score() == (1, 2) and again.step == 2 and again.practice == {2: (5.0, "reps")}
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
