"""The lesson player: one lesson, step by step, for an older resident.

Why this module exists: this is where a lesson meets the resident. It shows
the step the resident is on (``Position``, Kivy-free, decides where Next and
Back lead), reads each slide aloud when it appears (a recorded clip from the
bundle, else espeak-ng) with a button to listen again, plays a video with
subtitles in the resident's language, asks the quiz one question at a time
with the answer's feedback at once and the score at the end, and opens the
coaching screen for the practice step ("learn, then move"), coming back here
after its summary. Nothing moves on by itself unless the lesson says so
(``auto_advance``). Every change of progress, every answer and the practice
result is saved as the run's ``lesson_progress`` record on the store's thread.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from content.lessons import Lesson, PracticeStep, QuizStep, SlideStep, VideoStep
from content.progress import LessonRun
from kiosk.features.exercise.origin import Origin
from kiosk.features.lessons.position import Position
from kiosk.features.lessons.saving import LessonSaver
from kiosk.features.lessons.steps import (
    EndView,
    PracticeView,
    QuizView,
    ScoreView,
    SlideView,
    StepView,
    VideoView,
)
from kiosk.i18n import N_, text
from kiosk.session.flow import SessionResult
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)

AUTO_ADVANCE_PAUSE_S = 1.5
"""After the narration (or the video) of a step that advances by itself."""
SWIPE_UNITS = 14
"""A swipe is a mostly horizontal move of at least this many units."""
NOT_SAVED = N_("Your progress could not be saved on this kiosk.")
NO_EXERCISE = N_("This exercise is not available on this kiosk.")
TIMES, SECONDS = N_("{n} times"), N_("{n} seconds")
WELL_DONE = N_("Well done!")
GOOD_TRY = N_("Good try! Read the explanations again any time.")
START_PRACTICE, PRACTICE_AGAIN = N_("Start practice"), N_("Practice again")


def reading_time_s(words: str, lang: str) -> float:
    """About how long a slide takes to read when it cannot be heard."""
    per_s = 5.0 if lang == "zh_CN" else 14.0
    return max(4.0, len(words) / per_s)


class LessonScreen(Screen):
    lesson_title = StringProperty("")
    step_text = StringProperty("")
    next_text = StringProperty("")
    can_next = BooleanProperty(False)
    can_back = BooleanProperty(False)
    has_narration = BooleanProperty(False)
    kind = StringProperty("")
    """What is shown: slide, video, quiz, score, practice or end."""
    steps = NumericProperty(1)
    current = NumericProperty(0)
    furthest = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = kiosk_app()
        self.lesson: Lesson | None = None
        self.place: Position | None = None
        self.view: StepView | None = None
        self.saver = LessonSaver(app.services.store, app.cfg.kiosk.id)
        self.saver.on_saved.append(self._saved)
        self._auto: Any = None
        self._dirty = False
        self._narration_key = ""
        self._practising = False
        app.bind(lang=lambda *_: self._language_changed(), on_visit_end=self._visit_ended)

    # ----- what the lessons screen calls -------------------------------------------------
    def open(self, lesson: Lesson, run: LessonRun | None = None) -> None:
        """Show ``lesson`` from the start, or go on with ``run`` where it was left."""
        app = kiosk_app()
        content = app.services.content
        bundle = content.lesson_bundles().get(lesson.id) if content is not None else None
        resumed = run is not None
        if run is None:
            run = LessonRun(lesson, bundle=bundle)
        elif run.bundle is None:
            run.bundle = bundle
        self.lesson, self.place = lesson, Position(run)
        if resumed:
            self.place.resume()
        self._dirty = False
        self._practising = False
        log.info("lesson %s opened at step %d of %d", lesson.id, run.step + 1, run.steps)

    @property
    def run(self) -> LessonRun | None:
        return self.place.run if self.place is not None else None

    # ----- life cycle ------------------------------------------------------------------------
    def on_pre_enter(self, *args: object) -> None:
        self._practising = False
        self._show()

    def on_enter(self, *args: object) -> None:
        self._start_media()

    def on_pre_leave(self, *args: object) -> None:
        # before the next screen's on_pre_enter: the lessons screen then reads marks that
        # include this save (queued first on the store's thread) and a guest's place
        self._stop_media()
        if not self._practising:
            self._remember_guest_run()
        self._save_if_dirty()

    def _visit_ended(self, *_args: object) -> None:
        self._stop_media()
        self._save_if_dirty()
        self.lesson, self.place = None, None
        self._clear_stage()

    # ----- buttons and swipes -------------------------------------------------------------------
    def go_next(self) -> None:
        pos = self.place
        if pos is None:
            return
        if pos.finished:
            kiosk_app().back_to("lessons")
            return
        before = (pos.index, pos.finished)
        if pos.next():
            self._moved(before)

    def go_back(self) -> None:
        pos = self.place
        if pos is not None:
            before = (pos.index, pos.finished)
            if pos.back():
                self._moved(before)

    def _moved(self, before: tuple[int, bool]) -> None:
        pos = self.place
        assert pos is not None
        if (pos.index, pos.finished) != before:
            self._dirty = True
            self._save_if_dirty()
        self._stop_media()
        self._show()
        self._start_media()

    def replay(self) -> None:
        self._narrate()

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos) and self.ids.stage.collide_point(*touch.pos):
            touch.ud["lesson_swipe"] = (touch.x, touch.y)
        return bool(super().on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        start = touch.ud.get("lesson_swipe")
        if start is not None and not touch.ud.get("lesson_swiped") and self._is_swipe(touch, start):
            touch.ud["lesson_swiped"] = True
            for ref in list(touch.grab_list):  # a swipe is not a tap on the button it began on
                widget = ref()
                if widget is not None and widget is not self:
                    touch.ungrab(widget)
                    if getattr(widget, "state", None) == "down":
                        widget.state = "normal"
            return True
        return bool(super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        start = touch.ud.get("lesson_swipe")
        if start is not None and (touch.ud.get("lesson_swiped") or self._is_swipe(touch, start)):
            touch.ud["lesson_swipe"] = None
            if touch.x < start[0]:
                if self.can_next and self.place is not None and not self.place.finished:
                    self.go_next()
            elif self.can_back:
                self.go_back()
            return True
        return bool(super().on_touch_up(touch))

    @staticmethod
    def _is_swipe(touch: Any, start: tuple[float, float]) -> bool:
        dx, dy = touch.x - start[0], touch.y - start[1]
        return abs(dx) >= SWIPE_UNITS * kiosk_app().u and abs(dx) > 2 * abs(dy)

    # ----- showing the position -------------------------------------------------------------------
    def _clear_stage(self) -> None:
        if isinstance(self.view, VideoView):
            self.view.unload()
        self.ids.stage.clear_widgets()
        self.view = None

    def _show(self) -> None:
        """Build the view for where the resident is and fill it in their language."""
        self._cancel_auto()
        self._clear_stage()
        pos, lesson = self.place, self.lesson
        if pos is None or lesson is None:
            return
        step = pos.step
        view: StepView
        if pos.finished:
            view, self.kind = EndView(), "end"
        elif isinstance(step, SlideStep):
            view, self.kind = SlideView(), "slide"
        elif isinstance(step, VideoStep):
            video = VideoView()
            video.on_end = self._video_ended
            view, self.kind = video, "video"
        elif isinstance(step, QuizStep):
            if pos.on_score:
                view, self.kind = ScoreView(), "score"
            else:
                quiz = QuizView()
                quiz.on_choice = self.answer
                view, self.kind = quiz, "quiz"
        else:
            practice = PracticeView()
            practice.on_start = self.start_practice
            view, self.kind = practice, "practice"
        self.view = view
        self.ids.stage.add_widget(view)
        if isinstance(view, VideoView) and isinstance(step, VideoStep):
            view.start(str(step.video))
        self._fill()

    def _fill(self) -> None:
        """Every text of the screen and the view, in the resident's language."""
        pos, lesson, view = self.place, self.lesson, self.view
        if pos is None or lesson is None or view is None:
            return
        app = kiosk_app()
        lang = app.lang
        run = pos.run
        step = pos.step
        self.lesson_title = text(lesson.title, lang)
        self.steps, self.current, self.furthest = run.steps, run.step, run.furthest
        self.step_text = (app.t("Finished", lang) if pos.finished else
                          app.t("Step {step} of {steps}", lang, step=run.step + 1, steps=run.steps))
        self.can_back = pos.can_back()
        self.can_next = pos.finished or pos.can_next()
        self.next_text = (app.t("Back to lessons", lang) if pos.finished else
                          app.t("Finish", lang) + "  ✓" if run.at_end and not self._more_in_step()
                          else app.t("Next", lang) + "  ▶")
        self.has_narration = (not pos.finished and isinstance(step, SlideStep)
                              and step.narration is not None)
        if isinstance(view, EndView):
            self._fill_end(view, lang)
        elif isinstance(view, SlideView) and isinstance(step, SlideStep):
            view.title, view.body = text(step.title, lang), text(step.body, lang)
            view.source = str(step.image) if step.image else ""
            view.refit()
        elif isinstance(view, VideoView) and isinstance(step, VideoStep):
            view.title = text(step.title, lang)
            view.caption = text(step.caption, lang) if step.caption else text(step.title, lang)
            view.set_cues(step.subtitles.get(lang) or step.subtitles.get("en") or ())
        elif isinstance(view, ScoreView) and isinstance(step, QuizStep):
            right, total = run.quiz_score(run.step)
            view.score, view.perfect = f"{right} / {total}", right == total
            view.line = app.t("You answered {right} of {total} questions right.", lang,
                              right=right, total=total) + "\n" + app.t(
                WELL_DONE if right == total else GOOD_TRY, lang)
        elif isinstance(view, QuizView) and isinstance(step, QuizStep):
            self._fill_question(view, step, lang)
        elif isinstance(view, PracticeView) and isinstance(step, PracticeStep):
            self._fill_practice(view, step, lang)

    def _more_in_step(self) -> bool:
        """The last step is a quiz with questions (or its score) still to come."""
        pos = self.place
        return pos is not None and isinstance(pos.step, QuizStep) and not pos.on_score

    def _fill_question(self, view: QuizView, step: QuizStep, lang: str) -> None:
        pos = self.place
        assert pos is not None
        j = pos.question
        if j is None:
            return
        q = step.questions[j]
        app = kiosk_app()
        view.counter = app.t("Question {n} of {total}", lang, n=j + 1, total=len(step.questions))
        view.prompt = text(q.prompt, lang)
        chosen = pos.run.answered(pos.index, j)
        view.show_question(q, [text(c, lang) for c in q.choices], chosen)
        if chosen is None:
            view.feedback = view.explanation = ""
        else:
            view.right = q.is_right(chosen)
            view.feedback = ("✓  " + app.t("Right!", lang) if view.right else
                             "×  " + app.t("Not quite. The right answer: {answer}", lang,
                                           answer=text(q.choices[q.answer], lang)))
            view.explanation = text(q.explanation, lang)
        view.refit()

    def _fill_practice(self, view: PracticeView, step: PracticeStep, lang: str) -> None:
        app = kiosk_app()
        pos = self.place
        assert pos is not None
        spec = self._exercise(step)
        view.available = spec is not None
        view.title, view.body = text(step.title, lang), text(step.body, lang)
        unit = SECONDS if step.target_unit == "s" else TIMES
        name = text(spec.text("title"), lang) if spec is not None else step.exercise
        view.target = app.t("{exercise}: {amount}", lang, exercise=name,
                            amount=app.t(unit, lang, n=int(step.target_value)))
        done = pos.run.practice.get(pos.index)
        if spec is None:
            view.result = app.t(NO_EXERCISE, lang)
            view.done = False
        elif done is None:
            view.result = ""
            view.done = False
        else:
            amount = app.t(SECONDS if done.unit == "s" else TIMES, lang, n=int(done.value))
            view.result = ("✓  " + app.t("You did it: {amount}", lang, amount=amount)
                           if done.completed else app.t("You did {amount}. Try again any time.",
                                                        lang, amount=amount))
            view.done = done.completed
        view.start_text = "♥  " + app.t(PRACTICE_AGAIN if done else START_PRACTICE, lang)
        if spec is not None:
            from kiosk.features.exercise.choose import looping_pose

            try:
                view.ids.thumb.pose_at = looping_pose(spec.name)
                view.ids.thumb.start()
            except ValueError:
                log.info("no animation for %s", spec.name)
        view.refit()

    def _fill_end(self, view: EndView, lang: str) -> None:
        app = kiosk_app()
        run = self.run
        assert run is not None and self.lesson is not None
        view.heading = app.t('You finished "{lesson}"', lang, lesson=text(self.lesson.title, lang))
        lines = []
        right, total = run.score()
        if total:
            lines.append(app.t("Quiz: {right} of {total} right", lang, right=right, total=total))
        for i, p in sorted(run.practice.items()):
            step = self.lesson.steps[i]
            if isinstance(step, PracticeStep):
                amount = app.t(SECONDS if p.unit == "s" else TIMES, lang, n=int(p.value))
                lines.append(app.t("Practice: {amount}", lang, amount=amount)
                             + ("  ✓" if p.completed else ""))
        view.lines = "\n".join(lines)
        view.saved = app.t(NOT_SAVED, lang) if self.saver.failed else ""

    def _language_changed(self) -> None:
        if self.manager is not None and self.manager.current == self.name and self.view is not None:
            self._fill()
            if self.kind == "slide":
                self._narrate()  # say it again, in the language now chosen

    # ----- narration, video and auto-advance -----------------------------------------------------
    def _start_media(self) -> None:
        if self.kind == "slide":
            self._narrate()

    def _stop_media(self) -> None:
        self._cancel_auto()
        voice = kiosk_app().services.voice
        if voice is not None:
            voice.narrator.stop()
        if isinstance(self.view, VideoView):
            self.view.ids.video.state = "pause"
        if isinstance(self.view, PracticeView):
            self.view.ids.thumb.stop()

    def _narrate(self) -> None:
        pos = self.place
        if pos is None or pos.finished or not isinstance(pos.step, SlideStep):
            return
        step = pos.step
        app = kiosk_app()
        lang = app.lang
        self._cancel_auto()
        narration = step.narration
        words = text(narration.text, lang) if narration is not None else ""
        voice = app.services.voice
        key = f"{pos.run.lesson.id}/{pos.index}/{lang}"
        self._narration_key = key
        if narration is None or voice is None or not app.cfg.voice.enabled:
            self._narration_done(key, False, words or text(step.body, lang))
            return
        voice.narrator.narrate(
            key, words, lang, narration.audio.get(lang),
            on_done=lambda ok: Clock.schedule_once(lambda _dt: self._narration_done(key, ok, words)))

    def _narration_done(self, key: str, ok: bool, words: str) -> None:
        pos = self.place
        if key != self._narration_key or pos is None or pos.finished:
            return
        step = pos.step
        if isinstance(step, SlideStep) and step.auto_advance:
            wait = AUTO_ADVANCE_PAUSE_S if ok else reading_time_s(words, kiosk_app().lang)
            self._schedule_auto(wait)

    def _video_ended(self) -> None:
        pos = self.place
        if pos is not None and isinstance(pos.step, VideoStep) and pos.step.auto_advance:
            self._schedule_auto(AUTO_ADVANCE_PAUSE_S)

    def _schedule_auto(self, wait: float) -> None:
        self._cancel_auto()
        pos = self.place
        if pos is None:
            return
        at = (pos.index, pos.part)

        def advance(_dt: float) -> None:
            p = self.place
            if p is not None and (p.index, p.part) == at and self.manager is not None \
                    and self.manager.current == self.name:
                log.info("lesson %s: step %d advances by itself", p.run.lesson.id, p.index + 1)
                self.go_next()

        self._auto = Clock.schedule_once(advance, wait)

    def _cancel_auto(self) -> None:
        if self._auto is not None:
            self._auto.cancel()
            self._auto = None

    # ----- the quiz ------------------------------------------------------------------------------
    def answer(self, choice: int) -> None:
        pos = self.place
        if pos is None or pos.question is None:
            return
        first = pos.run.answered(pos.index, pos.question) is None
        feedback = pos.run.answer(pos.index, pos.question, choice)
        log.info("lesson %s: question %d.%d answered %s", pos.run.lesson.id, pos.index + 1,
                 pos.question + 1, "right" if feedback.right else "wrong")
        if first:
            self._dirty = True
            self._save_if_dirty()
        self._fill()

    # ----- the practice step ("learn, then move") ---------------------------------------------------
    def _exercise(self, step: PracticeStep) -> Any:
        vision = kiosk_app().services.vision
        return vision.exercises().get(step.exercise) if vision is not None else None

    def start_practice(self) -> None:
        pos = self.place
        if pos is None or not isinstance(pos.step, PracticeStep):
            return
        step = pos.step
        spec = self._exercise(step)
        if spec is None:
            return
        app = kiosk_app()
        from kiosk.features.exercise.coach import CoachScreen

        index = pos.index
        run = pos.run
        coach = app.screen_as("coach", CoachScreen)
        coach.prepare(spec, int(step.target_value),
                      Origin("lesson", lambda result: self._practised(run, index, result)))
        self._practising = True
        app.go("coach")

    def _practised(self, run: LessonRun, index: int, result: SessionResult) -> None:
        """The coaching screen's result for the practice step (UI thread)."""
        record = result.record
        run.record_practice(index, float(result.result.value), str(result.result.unit),
                            completed=result.completed,
                            session=record.uuid if record is not None else None)
        log.info("lesson %s: practice %s %s (%s)", run.lesson.id, result.result.value,
                 result.result.unit, "target reached" if result.completed else "ended early")
        if self.run is run:
            self._dirty = True
        self.saver.save(run, kiosk_app().resident_id)

    # ----- saving ------------------------------------------------------------------------------------
    def _save_if_dirty(self) -> None:
        run = self.run
        if run is None or not self._dirty:
            return
        self._dirty = False
        self.saver.save(run, kiosk_app().resident_id)

    def _saved(self, _record: Any, error: BaseException | None) -> None:
        if error is not None and isinstance(self.view, EndView):
            self._fill()

    def _remember_guest_run(self) -> None:
        """A guest's unfinished run is kept for this visit (the lessons screen resumes it)."""
        run = self.run
        if run is None or kiosk_app().resident_id:
            return
        from kiosk.features.lessons.listing import LessonsScreen

        app = kiosk_app()
        if app.sm.has_screen("lessons"):
            listing = app.screen_as("lessons", LessonsScreen)
            if run.completed and self.place is not None and self.place.finished:
                listing.guest_runs.pop(run.lesson.id, None)
            else:
                listing.guest_runs[run.lesson.id] = run
