"""The lessons list as data: lessons grouped by topic with the resident's marks, free of Kivy.

Why this module exists: what the lessons screen shows for each lesson — its
topic, title, duration, a done mark and where the resident left off — comes
from the installed lessons and the resident's ``lesson_progress`` records in
the local store. Reading the records runs on the store's thread
(``progress_by_lesson`` is handed to ``StoreService.query_async``); grouping
and the texts are plain functions, tested without a window.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.lessons import TOPICS, Lesson
from kiosk.i18n import N_, tr
from sync.records import LessonProgress
from sync.store import Store

TOPIC_TITLES: dict[str, str] = {
    "health": N_("Health"),
    "safety": N_("Safety"),
    "daily_life": N_("Daily life"),
    "smartphone": N_("Using a smartphone"),
}
"""Each lesson topic's heading (``content.lessons.TOPICS``)."""

MAX_RECORDS = 5000
"""How many of a resident's lesson records are read for the marks (newest first)."""


@dataclass(frozen=True)
class LessonMarks:
    """What the store knows about one resident and one lesson."""

    done: bool = False
    """The resident finished the lesson at least once."""
    latest: LessonProgress | None = None
    """The newest run (to resume when it is not finished)."""

    @property
    def resume(self) -> LessonProgress | None:
        """The run to go on with: the newest one, unless it was finished."""
        latest = self.latest
        return None if latest is None or latest.completed else latest


def progress_by_lesson(store: Store, resident: str) -> dict[str, LessonMarks]:
    """The resident's marks per lesson id (runs on the store's thread)."""
    done: set[str] = set()
    latest: dict[str, LessonProgress] = {}
    for rec in store.recent("lesson_progress", limit=MAX_RECORDS, resident=resident):
        if not isinstance(rec, LessonProgress):
            continue
        if rec.completed:
            done.add(rec.lesson_id)
        cur = latest.get(rec.lesson_id)
        if cur is None or rec.updated_at > cur.updated_at:
            latest[rec.lesson_id] = rec
    return {lid: LessonMarks(lid in done, latest.get(lid)) for lid in set(done) | set(latest)}


@dataclass(frozen=True)
class LessonEntry:
    lesson: Lesson
    marks: LessonMarks


def group_by_topic(lessons: list[Lesson],
                   marks: dict[str, LessonMarks]) -> list[tuple[str, list[LessonEntry]]]:
    """``[(topic, entries)]`` in the topics' fixed order, lessons in the given order."""
    groups: dict[str, list[LessonEntry]] = {}
    for lesson in lessons:
        groups.setdefault(lesson.topic, []).append(
            LessonEntry(lesson, marks.get(lesson.id, LessonMarks())))
    order = {t: i for i, t in enumerate(TOPICS)}
    return sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))


def topic_title(topic: str, lang: str) -> str:
    return tr(TOPIC_TITLES[topic], lang) if topic in TOPIC_TITLES else topic


def duration_text(minutes: float, lang: str) -> str:
    return tr("{n} min", lang, n=max(1, round(minutes)))


def mark_text(entry: LessonEntry, lang: str) -> tuple[str, str]:
    """``(kind, text)`` for the line under a lesson's title: ``resume`` (where the resident
    left off), ``done``, or ``""`` for a lesson not begun."""
    resume = entry.marks.resume
    if resume is not None and (resume.step or 0) > 0:
        steps = resume.steps or len(entry.lesson.steps)
        step = min((resume.step or 0) + 1, steps)
        return "resume", resume_text(step, steps, lang)
    if entry.marks.done:
        return "done", tr("✓ Done", lang)
    return "", ""


def resume_text(step: int, steps: int, lang: str) -> str:
    """``step`` counted from 1."""
    return tr("Continue at step {step} of {steps}", lang, step=step, steps=steps)
