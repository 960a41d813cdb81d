"""The lessons screen: installed lessons grouped by topic, with the resident's done marks.

Why this module exists: it is the way into the lessons. The lessons come from
the content service (read again whenever installed content changed); the
signed-in resident's marks (done, where they left off) are read from the
store on its own thread, so the screen never waits for the disk. A guest's
progress is kept for the visit only (guests cannot be told apart).
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from content.lessons import Lesson
from content.progress import LessonRun
from kiosk.features.lessons.catalog import (
    LessonEntry,
    LessonMarks,
    duration_text,
    group_by_topic,
    mark_text,
    progress_by_lesson,
    resume_text,
    topic_title,
)
from kiosk.i18n import N_, text
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)

NO_LESSONS = N_("No lessons are installed yet. Please check back soon.")
GUEST_HINT = N_("Tap your resident card first to keep your progress.")


class LessonsScreen(Screen):
    hint = StringProperty("")
    loading = BooleanProperty(False)
    """True while the resident's marks are read on the store's thread (tests wait on it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lessons: list[Lesson] = []
        self.problems: list[str] = []
        self.marks: dict[str, LessonMarks] = {}
        self.cards: dict[str, Any] = {}
        self._content_key: str | None = None
        self._asked = 0
        self.guest_runs: dict[str, LessonRun] = {}
        """A guest's unfinished runs, for this visit only."""
        app = kiosk_app()
        app.bind(lang=lambda *_: self._refresh_if_shown(), on_visit_end=self._visit_ended,
                 portrait=lambda *_: self._refresh_if_shown())

    # ----- life cycle --------------------------------------------------------------------
    def on_pre_enter(self, *args: object) -> None:
        # Kivy tells the screen coming in before the one going out: let the lesson player
        # leave first (it saves progress and keeps a guest's place), then show
        Clock.schedule_once(lambda _dt: self._entered(), 0)

    def _entered(self) -> None:
        if self.manager is None or self.manager.current != self.name:
            return
        self.reload_if_changed()
        self.marks = {}
        self._show()
        self._ask_marks()

    def on_leave(self, *args: object) -> None:
        self._asked += 1  # an answer on its way is for a screen no longer shown

    def _visit_ended(self, *_args: object) -> None:
        self.guest_runs.clear()
        self.marks = {}
        self.ids.sections.clear_widgets()  # nothing of a resident stays on a hidden screen
        self.cards = {}

    def _refresh_if_shown(self) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self._show()

    # ----- lessons and marks ---------------------------------------------------------------
    def reload_if_changed(self) -> None:
        """Read the installed lessons again if content was installed since the last read."""
        content = kiosk_app().services.content
        key = content.version_key() if content is not None else ""
        if key == self._content_key:
            return
        self._content_key = key
        if content is None:
            self.lessons, self.problems = [], []
            return
        self.lessons, self.problems = content.lessons()
        for p in self.problems:
            log.warning("lesson not shown: %s", p)
        log.info("lessons loaded: %d (%d not readable)", len(self.lessons), len(self.problems))

    def _ask_marks(self) -> None:
        app = kiosk_app()
        store = app.services.store
        resident = app.resident_id
        self._asked += 1
        if not resident or store is None or not store.available:
            self.loading = False
            return
        asked = self._asked
        self.loading = True
        store.query_async(lambda st: progress_by_lesson(st, resident),
                          lambda marks, err: self._got_marks(asked, resident, marks, err))

    def _got_marks(self, asked: int, resident: str, marks: dict[str, LessonMarks] | None,
                   error: BaseException | None) -> None:
        if asked != self._asked or resident != kiosk_app().resident_id:
            return  # an older question, or the resident changed meanwhile
        self.loading = False
        if error is not None:
            log.error("could not read lesson progress: %s", error)
        self.marks = marks or {}
        self._show()

    def marks_for(self, lesson_id: str) -> LessonMarks:
        return self.marks.get(lesson_id, LessonMarks())

    # ----- drawing ---------------------------------------------------------------------------
    def _show(self) -> None:
        app = kiosk_app()
        lang = app.lang
        box = self.ids.sections
        box.clear_widgets()
        self.cards = {}
        if not self.lessons:
            self.hint = app.t(NO_LESSONS, lang)
            return
        self.hint = "" if app.resident_id else app.t(GUEST_HINT, lang)
        groups = group_by_topic(self.lessons, self.marks)
        landscape = self.width >= self.height if self.width > 1 else True
        columns = [Factory.TopicColumn() for _ in range(2 if landscape and len(groups) > 1 else 1)]
        rows = [0] * len(columns)
        for topic, entries in groups:  # each topic into the shorter column, in topic order
            i = rows.index(min(rows))
            rows[i] += len(entries) + 1
            heading = Factory.TopicHeading()
            heading.text = topic_title(topic, lang)
            columns[i].add_widget(heading)
            for entry in entries:
                columns[i].add_widget(self._card(entry, lang))
        for column in columns:
            box.add_widget(column)

    def _card(self, entry: LessonEntry, lang: str) -> Any:
        lesson = entry.lesson
        card = Factory.LessonCard()
        card.lesson_id = lesson.id
        card.title = text(lesson.title, lang)
        card.summary = text(lesson.summary, lang)
        card.duration = duration_text(lesson.duration_min, lang)
        guest = self.guest_runs.get(lesson.id)
        if guest is not None and guest.step > 0:
            card.mark_kind, card.mark = "resume", resume_text(guest.step + 1, guest.steps, lang)
        else:
            card.mark_kind, card.mark = mark_text(entry, lang)
        card.done = entry.marks.done
        card.bind(on_release=lambda c: self.open_lesson(c.lesson_id))
        self.cards[lesson.id] = card
        return card

    # ----- opening a lesson --------------------------------------------------------------------
    def open_lesson(self, lesson_id: str) -> None:
        lesson = next((les for les in self.lessons if les.id == lesson_id), None)
        if lesson is None:
            return
        app = kiosk_app()
        from kiosk.features.lessons.player import LessonScreen

        marks = self.marks_for(lesson_id)
        run: LessonRun | None = None
        if app.resident_id and marks.resume is not None:
            run = LessonRun.from_record(lesson, marks.resume)
        elif not app.resident_id:
            run = self.guest_runs.get(lesson_id)
        player = app.screen_as("lesson", LessonScreen)
        player.open(lesson, run)
        app.go("lesson")
