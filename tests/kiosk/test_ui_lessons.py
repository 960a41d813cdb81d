"""Lessons in the real app: the sample bundle installed with the real tools, a lesson from the
first slide to the end (narration, video with subtitles, quiz, practice on the coaching screen
with the simulated person), the saved record, resuming, and every slide's layout."""

from __future__ import annotations

import os

import pytest

from content.lessons import PracticeStep, QuizStep, SlideStep, VideoStep
from content.subtitles import cue_at

pytestmark = pytest.mark.ui

KNEE = "knee_friendly_squat"


def open_lessons(ui):
    app = ui.app
    if app.sm.current == "attract":
        ui.tap(ui.screen)
    ui.tap(app.screen("home").tiles["lessons"])
    assert app.sm.current == "lessons"
    return app.screen("lessons")


def player(ui):
    return ui.app.screen("lesson")


def tap_next(ui):
    ui.tap(player(ui).ids.next)


def lesson_records(ui, lesson_id):
    return [r for r in ui.app.services.store.store.recent("lesson_progress", limit=1000)
            if r.lesson_id == lesson_id]


def test_lessons_are_listed_by_topic(ui, sample_installed):
    listing = open_lessons(ui)
    assert set(listing.cards) == {KNEE, "healthy_eating", "fall_prevention_home", "phone_scams"}
    columns = list(reversed(listing.ids.sections.children))
    assert len(columns) == 2  # landscape: topics in two columns
    headings = [w.text for col in columns for w in reversed(col.children)
                if type(w).__name__ == "TopicHeading"]
    assert headings == ["健康", "安全", "使用智能手机"]
    card = listing.cards[KNEE]
    assert card.title == "护膝深蹲：坐站练习" and card.duration == "6 分钟"
    assert listing.hint  # a guest is told how to keep their progress
    ui.screenshot("30_lessons_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    assert listing.cards[KNEE].title == "Knee-friendly squats"
    ui.screenshot("30_lessons_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("30_lessons_large_en")


def test_a_lesson_from_first_slide_to_practice_and_back(ui, sample_installed):
    app = ui.app
    listing = open_lessons(ui)
    ui.tap(listing.cards[KNEE])
    assert app.sm.current == "lesson"
    screen = player(ui)
    lesson = screen.lesson
    assert screen.kind == "slide" and screen.step_text == "第 1 步，共 9 步"
    assert not screen.can_back and screen.can_next
    narrator = app.services.voice.narrator
    ui.wait_for(lambda: narrator.history and narrator.history[-1].key == f"{KNEE}/0/zh_CN",
                what="the first slide's narration")
    first = lesson.steps[0]
    assert isinstance(first, SlideStep) and narrator.history[-1].clip == first.narration.audio["zh_CN"]
    ui.screenshot("31_slide_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    assert screen.view.title == "Why strong legs matter"
    ui.wait_for(lambda: narrator.history[-1].key == f"{KNEE}/0/en", what="narration in English")
    ui.screenshot("31_slide_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("31_slide_large_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.tap(ui.shell.ids.topbar.ids.lang)
    n = len(narrator.history)
    ui.tap(screen.ids.replay)
    ui.wait_for(lambda: len(narrator.history) == n + 1, what="narration again")
    ui.pump(1.0)
    assert screen.current == 0, "moved on by itself"

    tap_next(ui)
    assert screen.current == 1 and screen.can_back
    ui.tap(screen.ids.back)
    assert screen.current == 0
    tap_next(ui)
    tap_next(ui)
    assert screen.current == 2
    # a swipe to the left is Next
    stage = screen.ids.stage
    x, y = stage.to_window(stage.center_x + stage.width * 0.3, stage.center_y)
    ui.swipe(x, y, x - stage.width * 0.5, y)
    assert screen.current == 3 and screen.kind == "video"

    video_step = lesson.steps[3]
    assert isinstance(video_step, VideoStep)
    video = screen.view.ids.video
    ui.wait_for(lambda: video.loaded and video.position > 1.5, timeout=30, what="the video to play")
    assert screen.view.subtitle == cue_at(video_step.subtitles["zh_CN"], video.position)
    assert screen.view.subtitle
    ui.screenshot("32_video_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.wait_for(lambda: screen.view.subtitle == cue_at(video_step.subtitles["en"], video.position),
                what="English subtitles")
    ui.screenshot("32_video_en")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.tap(screen.view.ids.play)
    assert video.state == "pause"

    for expected in (4, 5, 6, 7):
        tap_next(ui)
        assert screen.current == expected
    quiz = lesson.steps[7]
    assert isinstance(quiz, QuizStep) and screen.kind == "quiz"
    assert not screen.can_next  # the question must be answered first
    view = screen.view
    ui.tap(view.buttons[quiz.questions[0].answer])
    assert view.right and view.feedback.startswith("✓") and view.explanation
    assert screen.can_next
    ui.screenshot("33_quiz_right_zh")
    tap_next(ui)
    view = screen.view
    wrong = 1 - quiz.questions[1].answer
    ui.tap(view.buttons[wrong])
    assert not view.right and view.feedback.startswith("×") and view.explanation
    assert [b.mark for b in view.buttons][wrong] == "wrong"
    ui.screenshot("33_quiz_wrong_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("33_quiz_wrong_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("33_quiz_wrong_large_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.tap(ui.shell.ids.topbar.ids.lang)
    for j in (2, 3):
        tap_next(ui)
        ui.tap(screen.view.buttons[quiz.questions[j].answer])
    tap_next(ui)
    assert screen.kind == "score" and screen.view.score == "3 / 4"
    ui.screenshot("34_quiz_score_zh")

    tap_next(ui)
    assert screen.kind == "practice" and screen.current == 8
    practice = lesson.steps[8]
    assert isinstance(practice, PracticeStep)
    ui.screenshot("35_practice_zh")
    vision = app.services.vision
    coach = app.screen("coach")
    coach.make_live = lambda spec, tgt, cb: vision.make_live(
        spec, tgt, cb, source="sim:squat?reps=5&period=1.1&lead_in=4&tail=1")
    ui.tap(screen.view.ids.start)
    assert app.sm.current == "coach" and coach.spec.name == "squat" and coach.target == 5
    ui.wait_for(lambda: app.sm.current == "summary", timeout=40, what="the practice's summary")
    summary = app.screen("summary")
    assert summary.ids.done.text == "返回课程"
    ui.wait_for(lambda: coach.flow.result.saved is not None, what="the session saved")
    ui.screenshot("36_practice_summary_zh")
    ui.tap(summary.ids.done)
    assert app.sm.current == "lesson" and screen.kind == "practice"
    assert screen.view.done and "5" in screen.view.result
    ui.screenshot("37_practice_done_zh")
    tap_next(ui)
    assert screen.kind == "end"
    ui.screenshot("38_lesson_end_zh")
    ui.wait_for(lambda: screen.saver.pending == 0, what="the progress saved")
    (rec,) = [r for r in lesson_records(ui, KNEE) if r.uuid == screen.run.uuid]
    assert rec.completed and rec.progress == 1.0 and rec.steps == 9 and rec.step == 8
    assert (rec.score, rec.questions) == (3, 4)
    assert [(a.question, a.right) for a in rec.answers] == [(0, True), (1, False), (2, True), (3, True)]
    (done,) = rec.practice
    assert (done.exercise, done.value, done.unit, done.completed) == ("squat", 5, "reps", True)
    session = app.services.store.store.get(str(done.session))
    assert session is not None and session.exercise == "squat" and session.repetitions == 5
    assert rec.bundle_id == "sample-lessons"
    assert len(lesson_records(ui, KNEE)) >= 1 and app.services.store.store.waiting() >= 2
    tap_next(ui)
    assert app.sm.current == "lessons"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_every_slide_fits_its_screen(ui, sample_installed, lang, large):
    """Every slide of every sample lesson, in both languages and in large text: the texts stay
    inside their column (shrunk at most to MIN_FIT), the picture beside them, nothing overlaps."""
    from kiosk.features.lessons.steps import MIN_FIT, MIN_FIT_LARGE

    app = ui.app
    listing = open_lessons(ui)
    app.lang = lang
    app.large = app.hc = large
    every = os.environ.get("KIOSK_SHOTS") == "all"
    screen = player(ui)
    for lesson in listing.lessons:
        screen.open(lesson)
        app.go("lesson")
        for i, step in enumerate(lesson.steps):
            if isinstance(step, SlideStep):
                screen.place.run.go(i)
                screen.place.part = 0
                screen._show()
                ui.pump(0.05)
                view = screen.view
                column, picture = view.ids.column, view.ids.picture
                top = column.top - column.padding[1]
                text_h = view.ids.title.texture_size[1] + view.ids.body.texture_size[1]
                assert view.ids.body.y >= column.y - 1, (lesson.id, i, lang, large)
                assert text_h <= top - column.y, (lesson.id, i, lang, large, view.fit)
                assert view.fit >= (MIN_FIT_LARGE if large else MIN_FIT)
                assert picture.right <= column.x + 1 or picture.top <= column.y + 1
                if every or i in (0, 5):
                    size = "large" if large else "normal"
                    ui.screenshot(f"39_slide_{lesson.id}_{i}_{lang}_{size}")
        app.back_to("lessons")


def walk_to_the_end(ui, screen):
    """Next through slides, answering every question right, until the end page."""
    for _ in range(60):
        if screen.kind == "end":
            return
        if screen.kind == "quiz" and not screen.can_next:
            step = screen.place.step
            ui.tap(screen.view.buttons[step.questions[screen.place.question].answer])
        tap_next(ui)
    raise AssertionError("never reached the end")


def test_a_resident_comes_back_to_where_they_left_off(ui, sample_installed):
    from hardware.drivers.rdm6300 import encode_frame

    app = ui.app
    os.write(ui.card_writer, encode_frame("0B5E551077") * 3)
    # the first sign-in on this kiosk asks for consent; accepted, the visit is the resident's
    ui.wait_for(lambda: app.sm.current == "consent", timeout=5, what="the consent question")
    ui.tap(app.screen("consent").ids.accept)
    ui.wait_for(lambda: app.visit_active and app.resident_id, timeout=5, what="card login")
    listing = open_lessons(ui)
    ui.wait_for(lambda: not listing.loading, what="the resident's marks")
    assert listing.hint == ""  # signed in: no reminder to tap the card
    assert listing.cards["phone_scams"].mark == ""
    ui.tap(listing.cards["phone_scams"])
    screen = player(ui)
    for _ in range(3):
        tap_next(ui)
    assert screen.current == 3
    run = screen.run
    ui.tap(ui.shell.ids.topbar.ids.back)  # back to the list mid-lesson: the mark is there at once
    assert app.sm.current == "lessons"
    ui.wait_for(lambda: not listing.loading, what="the resident's marks")
    card = listing.cards["phone_scams"]
    assert card.mark == "上次学到第 4 步（共 7 步），点这里继续" and card.mark_kind == "resume"
    (rec,) = [r for r in lesson_records(ui, "phone_scams") if r.uuid == run.uuid]
    assert rec.resident == app.resident_id and rec.step == 3 and not rec.completed
    ui.screenshot("40_lessons_resume_zh")
    # walks off, comes back later
    ui.tap(ui.shell.ids.topbar.ids.home)
    listing = open_lessons(ui)
    ui.wait_for(lambda: not listing.loading, what="the resident's marks")
    card = listing.cards["phone_scams"]
    assert card.mark_kind == "resume"
    ui.tap(card)
    assert screen.current == 3 and screen.run.uuid == run.uuid  # the same run goes on
    walk_to_the_end(ui, screen)
    ui.wait_for(lambda: screen.saver.pending == 0, what="the progress saved")
    (rec,) = [r for r in lesson_records(ui, "phone_scams") if r.uuid == run.uuid]
    assert rec.completed and rec.score == rec.questions == 4
    tap_next(ui)  # back to the lessons
    ui.wait_for(lambda: not listing.loading, what="the resident's marks")
    card = listing.cards["phone_scams"]
    assert card.done and card.mark == "✓ 已学完"
    ui.screenshot("40_lessons_resident_marks_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("40_lessons_resident_marks_en")

    # the next person (a guest) sees none of it; a guest's place is kept for the visit only
    app.end_visit("test: next person")
    listing = open_lessons(ui)
    assert not listing.cards["phone_scams"].done and listing.cards["phone_scams"].mark == ""
    ui.tap(listing.cards["healthy_eating"])
    tap_next(ui)
    tap_next(ui)
    ui.tap(ui.shell.ids.topbar.ids.back)
    assert app.sm.current == "lessons"
    assert listing.cards["healthy_eating"].mark_kind == "resume"
    ui.tap(listing.cards["healthy_eating"])
    assert player(ui).current == 2
    app.end_visit("test: the guest left")
    listing = open_lessons(ui)
    assert listing.cards["healthy_eating"].mark == ""


def test_portrait_screen(ui, sample_installed):
    """A portrait kiosk (800 x 1280): the list in one column, the picture above the text."""
    from kivy.core.window import Window

    old = Window.size
    try:
        Window.size = (800, 1280)
        ui.pump(0.4)
        listing = open_lessons(ui)
        assert len(listing.ids.sections.children) == 1
        ui.screenshot("41_portrait_lessons_zh")
        ui.tap(listing.cards[KNEE])
        screen = player(ui)
        view = screen.view
        assert view.orientation == "vertical" and view.ids.picture.y >= view.ids.column.top - 1
        ui.screenshot("41_portrait_slide_zh")
        ui.tap(ui.shell.ids.topbar.ids.large)
        ui.screenshot("41_portrait_slide_large_zh")
        ui.tap(ui.shell.ids.topbar.ids.large)
        ui.tap(ui.shell.ids.topbar.ids.lang)
        screen.place.run.go(7)
        screen._show()
        ui.tap(screen.view.buttons[0])
        ui.screenshot("41_portrait_quiz_en")
        screen.place.run.go(8)
        screen._show()
        ui.screenshot("41_portrait_practice_en")
    finally:
        Window.size = old
        ui.pump(0.4)


def test_a_slide_advances_by_itself_only_when_the_lesson_says_so(ui, sample_installed, monkeypatch):
    """``auto_advance`` slides move on after their narration (here: silent, so after the
    reading time); the others wait for the resident."""
    from dataclasses import replace

    from kiosk.features.lessons import player as player_module

    monkeypatch.setattr(player_module, "reading_time_s", lambda words, lang: 0.5)
    app = ui.app
    listing = open_lessons(ui)
    knee = next(les for les in listing.lessons if les.id == KNEE)
    first = replace(knee.steps[0], auto_advance=True)
    lesson = replace(knee, steps=(first, *knee.steps[1:]))
    screen = player(ui)
    screen.open(lesson)
    app.go("lesson")
    ui.wait_for(lambda: screen.current == 1, timeout=15, what="the slide moving on by itself")
    ui.pump(2.0)
    assert screen.current == 1  # the next slide does not say so: it waits
