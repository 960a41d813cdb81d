"""A full guided exercise session in the real app: choose, get ready, count, summary, saved."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO.parent / "shared" / "media"


def open_coach(ui, exercise: str, target: int, source: str):
    """Attract -> Home -> Exercise -> pick -> set target -> Start, with the given source."""
    ui.tap(ui.screen)
    return open_coach_from_home(ui, exercise, target, source)


def store_records(ui):
    return ui.app.services.store.store.recent("exercise_session", limit=1000)


def wait_saved(ui, coach, timeout=10.0):
    """Saving runs on the store's thread; the flow hears back on the UI thread."""
    ui.wait_for(lambda: coach.flow.result is not None and coach.flow.result.saved is not None,
                timeout=timeout, what="the save")
    assert coach.flow.result.saved, coach.flow.result.save_error


def wait_phase(ui, coach, phase, timeout=20.0):
    ui.wait_for(lambda: coach.phase == phase, timeout=timeout, what=f"phase {phase}")


def test_choose_screen_shows_every_exercise_in_both_languages(ui):
    app = ui.app
    ui.tap(ui.screen)
    ui.tap(app.screen("home").tiles["exercise"])
    choose = app.screen("exercise")
    assert len(choose._cards) >= 9
    assert choose._cards["squat"].title == "深蹲"
    ui.pump(0.5)
    ui.screenshot("10_choose_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    assert choose._cards["squat"].title == "Squat"
    ui.tap(choose._cards["single_leg_stance"])
    assert "seconds" in choose.target_text
    ui.screenshot("10_choose_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("10_choose_large_en")


def test_full_session_of_ten_squats_reaches_the_summary_and_is_saved(ui):
    before = {r.uuid for r in store_records(ui)}
    coach = open_coach(ui, "squat", 10, "sim:squat?reps=10&period=1.3&lead_in=5&tail=3")
    ui.pump(1.0)
    ui.screenshot("11_coach_getting_ready_zh")
    wait_phase(ui, coach, "countdown", 10)
    ui.pump(0.3)
    ui.screenshot("12_coach_countdown_zh")
    wait_phase(ui, coach, "active", 10)
    ui.wait_for(lambda: coach.count >= 4, timeout=30, what="4 repetitions")
    ui.screenshot("13_coach_counting_zh")
    ui.wait_for(lambda: ui.app.sm.current == "summary", timeout=30, what="the summary")
    summary = ui.app.screen("summary")
    ui.pump(0.3)
    ui.screenshot("14_summary_zh")
    assert summary.result.count == 10
    wait_saved(ui, coach)
    assert summary.ids.figures.children[-1].value.startswith("10")
    assert summary.ids.chart.mark_count == 10
    new = [r for r in store_records(ui) if r.uuid not in before]
    assert len(new) == 1
    rec = new[0]
    assert rec.exercise == "squat" and rec.repetitions == 10 and rec.completed
    assert rec.target.unit == "reps" and rec.target.value == 10
    assert rec.value == 10 and rec.unit == "reps" and rec.activity == "reps"
    assert 10 <= rec.duration_s <= 25
    assert len(rec.rep_flags) == 10
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("14_summary_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("14_summary_large_en")


def test_pause_stops_counting_and_resume_continues(ui):
    coach = open_coach(ui, "squat", 20, "sim:squat?reps=12&period=1.3&lead_in=5&tail=2")
    wait_phase(ui, coach, "active", 15)
    ui.wait_for(lambda: coach.count >= 2, timeout=30, what="2 repetitions")
    ui.tap(coach.ids.pause)
    assert coach.paused
    paused_at = coach.count
    ui.screenshot("15_coach_paused_zh")
    ui.pump(3.0)
    assert coach.count == paused_at, "counted while paused"
    ui.tap(coach.ids.pause)
    assert not coach.paused
    ui.wait_for(lambda: coach.count > paused_at, timeout=30, what="counting after resume")
    ui.tap(coach.ids.stop)
    assert ui.app.sm.current == "summary"
    assert coach.last_record.repetitions == coach.count
    assert not coach.last_record.completed


def test_stop_early_saves_a_partial_session_once(ui):
    before = {r.uuid for r in store_records(ui)}
    coach = open_coach(ui, "squat", 10, "sim:squat?reps=10&period=1.3&lead_in=5")
    wait_phase(ui, coach, "active", 15)
    ui.wait_for(lambda: coach.count >= 3, timeout=30, what="3 repetitions")
    ui.tap(coach.ids.stop)
    assert ui.app.sm.current == "summary"
    summary = ui.app.screen("summary")
    ui.screenshot("16_summary_stopped_early_zh")
    wait_saved(ui, coach)
    new = [r for r in store_records(ui) if r.uuid not in before]
    assert len(new) == 1 and not new[0].completed
    assert new[0].repetitions == summary.result.count == coach.count >= 3
    ui.tap(summary.ids.done)
    ui.pump(0.3)
    assert len([r for r in store_records(ui) if r.uuid not in before]) == 1


def test_walking_away_mid_set_saves_a_partial_session_once(ui):
    app = ui.app
    original = app.cfg
    app.cfg = original.model_copy(
        update={"kiosk": original.kiosk.model_copy(update={"idle_timeout_s": 5.0})})
    try:
        before = {r.uuid for r in store_records(ui)}
        # Three repetitions, then the simulated person is gone (no more pictures).
        coach = open_coach(ui, "squat", 10, "sim:squat?reps=3&period=1.3&lead_in=5&tail=0.5")
        wait_phase(ui, coach, "active", 15)
        ui.wait_for(lambda: app.sm.current == "attract", timeout=30, what="idle timeout")
        wait_saved(ui, coach)
        new = [r for r in store_records(ui) if r.uuid not in before]
        assert len(new) == 1, new
        assert new[0].repetitions == 3 and not new[0].completed
        assert coach.phase == "finished"
    finally:
        app.cfg = original


def test_voice_switch_silences_cues(ui):
    coach = open_coach(ui, "squat", 6, "sim:squat?reps=6&period=1.3&lead_in=5")
    voice = coach.voice
    wait_phase(ui, coach, "active", 15)
    ui.wait_for(lambda: coach.count >= 1, timeout=30, what="first repetition")
    ui.pump(0.5)
    spoken = [u.key for u in voice.history]
    assert "count.1" in spoken and "go" in spoken
    ui.tap(coach.ids.voice)
    assert not coach.voice_on
    ui.screenshot("17_coach_voice_off_zh")
    n = len(voice.history)
    ui.wait_for(lambda: coach.count >= 3, timeout=30, what="3 repetitions")
    ui.pump(0.5)
    assert len(voice.history) == n, "spoke with the voice switched off"
    ui.tap(coach.ids.voice)
    ui.wait_for(lambda: ui.app.sm.current == "summary", timeout=20, what="the summary")
    assert len(voice.history) > n


@pytest.mark.model
def test_real_clip_as_camera_counts_like_the_engine(ui):
    clip = MEDIA / "squat_randysamuel_front_a_trim.mp4"
    if not clip.exists():
        pytest.skip(f"test media not found at {clip}")
    from vision.exercises import load_exercises
    from vision.replay import analyze_video

    engine = analyze_video(clip, load_exercises()["squat"]).summary.count
    coach = open_coach(ui, "squat", 20, str(clip))
    assert coach.phase == "active"
    live = coach.live
    ui.wait_for(lambda: live.ended.is_set(), timeout=90, what="the clip to end")
    ui.pump(1.0)
    ui.screenshot("18_coach_real_clip_zh")
    count = coach.count
    ui.tap(coach.ids.stop)
    assert count == engine, f"screen counted {count}, the engine {engine}"
    assert coach.last_record.repetitions == engine


def test_card_tap_logs_a_resident_in_under_a_pseudonym(ui):
    import os

    from hardware.drivers.rdm6300 import card_number, encode_frame

    app = ui.app
    card = "0A1B2C3D4E"
    assert app.sm.current == "attract"
    os.write(ui.card_writer, encode_frame(card) * 3)  # held still: three frames, one login
    # the first sign-in asks for consent; the visit is a guest's until it is given
    ui.wait_for(lambda: app.sm.current == "consent", timeout=5, what="the consent question")
    assert app.visit_active and not app.resident_id and app.pending_resident
    ui.tap(app.screen("consent").ids.accept)
    ui.wait_for(lambda: app.visit_active and app.resident_id, timeout=5, what="card login")
    assert app.sm.current == "home"
    resident = app.resident_id
    assert card not in resident and str(card_number(card)) not in resident
    assert app.resident_label.startswith("居民")
    ui.screenshot("19_home_card_login_zh")
    coach = open_coach_from_home(ui, "squat", 2, "sim:squat?reps=2&period=1.3&lead_in=5")
    ui.wait_for(lambda: app.sm.current == "summary", timeout=30, what="the summary")
    assert coach.last_record.resident == resident
    ui.tap(app.screen("summary").ids.done)
    assert app.sm.current == "home", app.sm.current
    ui.tap(app.screen("home").tiles["records"])
    records = app.screen("records")
    ui.wait_for(lambda: not records.loading, timeout=5, what="records loaded off the UI thread")
    assert len(records.ids.rows.children) >= 1
    ui.screenshot("20_my_records_zh")
    for path in app.layout.root.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert card.encode() not in blob and str(card_number(card)).encode() not in blob, path


def open_coach_from_home(ui, exercise: str, target: int, source: str):
    """Home -> Exercise -> pick -> set target -> Start, with the given source."""
    app = ui.app
    vision = app.services.vision
    coach = app.screen("coach")
    coach.make_live = lambda spec, tgt, cb: vision.make_live(spec, tgt, cb, source=source)
    ui.tap(app.screen("home").tiles["exercise"])
    choose = app.screen("exercise")
    assert app.sm.current == "exercise"
    ui.tap(choose._cards[exercise])
    assert choose.chosen == exercise
    while choose.target > target:
        ui.tap(choose.ids.minus)
    while choose.target < target:
        ui.tap(choose.ids.plus)
    assert choose.target == target
    ui.tap(choose.ids.start)
    assert app.sm.current == "coach"
    return coach
