"""The lessons feature without a window: where Next and Back lead, the resident's marks read
from a real store, and saving a run on the store's thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from content.lessons import load_lesson
from content.progress import LessonRun
from kiosk.config import Config, KioskSection
from kiosk.features.lessons.catalog import (
    LessonEntry,
    LessonMarks,
    group_by_topic,
    mark_text,
    progress_by_lesson,
)
from kiosk.features.lessons.position import Position
from kiosk.features.lessons.saving import LessonSaver
from kiosk.services.store import StoreService
from sync.records import LessonProgress
from sync.store import Store
from tests.content.helpers import TreeSpec, make_tree


@pytest.fixture
def lesson(tmp_path: Path):
    """slide, quiz (true/false + single choice), practice (tests/content/helpers.lesson_json)."""
    make_tree(tmp_path / "tree", TreeSpec(lessons=["l1"]))
    return load_lesson(tmp_path / "tree" / "lessons" / "l1", {"squat"})


def test_next_and_back_through_slides_questions_the_score_and_the_end(lesson) -> None:
    place = Position(LessonRun(lesson))
    assert not place.can_back() and place.can_next()
    assert not place.back()
    assert place.next() and place.index == 1 and place.question == 0
    assert not place.can_next() and not place.next()  # answer first
    place.run.answer(1, 0, 1)
    assert place.next() and place.question == 1
    place.run.answer(1, 1, 2)
    assert place.next() and place.on_score and place.question is None
    assert place.next() and place.index == 2 and not place.finished  # the practice step
    assert place.next() and place.finished and not place.can_next()
    assert place.back() and not place.finished and place.index == 2
    assert place.back() and place.index == 1 and place.on_score  # back into the quiz's score
    assert place.back() and place.question == 1
    # resuming a run goes to the first question not answered yet
    run = LessonRun(lesson)
    run.go(1)
    run.answer(1, 0, 0)
    again = Position(run)
    again.resume()
    assert again.question == 1


def test_marks_come_from_the_residents_own_newest_records(lesson, tmp_path: Path) -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with Store(tmp_path / "store", retention_days=None) as store:
        done = LessonRun(lesson)
        for _ in range(3):
            done.next()
        done.answer(1, 0, 0)
        done.answer(1, 1, 2)
        store.save(done.to_record("k1", "r-1", now, 480))
        later = LessonRun(lesson)  # started again later, left at the quiz
        later.next()
        store.save(later.to_record("k1", "r-1", now + timedelta(days=1), 480))
        other = LessonRun(lesson)
        other.next()
        other.next()
        store.save(other.to_record("k1", "r-2", now, 480))
        marks = progress_by_lesson(store, "r-1")
    assert set(marks) == {"l1"}
    m = marks["l1"]
    assert m.done and m.resume is not None and m.resume.uuid == later.uuid and m.resume.step == 1
    entry = LessonEntry(lesson, m)
    assert mark_text(entry, "zh_CN") == ("resume", "上次学到第 2 步（共 3 步），点这里继续")
    assert mark_text(LessonEntry(lesson, LessonMarks(done=True)), "en") == ("done", "✓ Done")
    assert mark_text(LessonEntry(lesson, LessonMarks()), "en") == ("", "")
    assert [t for t, _ in group_by_topic([lesson], marks)] == ["health"]


def test_a_run_is_saved_off_the_calling_thread_as_one_record(lesson, tmp_path: Path) -> None:
    cfg = Config(kiosk=KioskSection(id="k1", data_dir=str(tmp_path)))
    posted: list[str] = []

    def post(fn) -> None:
        posted.append(threading.current_thread().name)
        fn()

    service = StoreService(cfg, post=post)
    service.start()
    try:
        saver = LessonSaver(service, "k1")
        done = threading.Event()
        saver.on_saved.append(lambda rec, err: done.set() if saver.pending == 0 else None)
        run = LessonRun(lesson)
        run.next()
        first = saver.save(run, "")
        run.answer(1, 0, 0)
        second = saver.save(run, "")
        assert done.wait(10) and saver.saved == 2 and saver.failed == 0
        assert posted and all(name.startswith("store-writer") for name in posted)
        assert first is not None and second is not None and first.uuid == second.uuid
        (stored,) = service.store.recent("lesson_progress")
        assert isinstance(stored, LessonProgress)
        assert stored.resident == "guest" and len(stored.answers) == 1  # the newest state
    finally:
        service.stop()
    gone = LessonSaver(None, "k1")
    assert gone.save(LessonRun(lesson), "r-1") is not None
    assert gone.failed == 1 and "not available" in gone.last_error

