"""Residents in the real app under Xvfb: card sign-in with consent declined and accepted,
a number code made at the kiosk and signed in with a wrong then the right PIN, My records
with its charts, "Delete my data" on this kiosk and on a real server on 127.0.0.1, and a
visit that ends when the resident walks away. Screenshots in both languages and large text."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hardware.drivers.rdm6300 import encode_frame
from sync.records import ExerciseSession, FitnessTestResult, LessonProgress
from sync.server.app import create_app
from sync.server.db import Database
from tests.sync.helpers import start_thread_server

pytestmark = pytest.mark.ui


def tap_card(ui, card: str) -> None:
    ui.pump(1.7)  # the reader counts the same card again after it was away 1.5 s
    os.write(ui.card_writer, encode_frame(card) * 3)  # held still: one tap


def sign_in_with_card(ui, card: str, accept: bool = True) -> str:
    app = ui.app
    tap_card(ui, card)
    ui.wait_for(lambda: app.sm.current in ("consent", "home") and (
        app.pending_resident or app.resident_id), timeout=5, what="the card")
    if app.sm.current == "consent":
        consent = app.screen("consent")
        ui.tap(consent.ids.accept if accept else consent.ids.decline)
    ui.wait_for(lambda: app.sm.current == "home", timeout=5, what="home")
    return app.resident_id


def keypad(screen) -> dict:
    return {b.key: b for b in screen.ids.keypad.children}


def type_digits(ui, screen, digits: str) -> None:
    keys = keypad(screen)
    for d in digits:
        ui.tap(keys[d])
    ui.tap(keys["ok"])


def test_card_sign_in_asks_for_consent_declined_stores_nothing_accepted_stores_it(ui):
    app = ui.app
    store = app.services.store.store
    card = "1A2B3C4D5E"
    before = store.count()
    tap_card(ui, card)
    ui.wait_for(lambda: app.sm.current == "consent", timeout=5, what="the consent question")
    consent = app.screen("consent")
    pending = app.pending_resident
    assert pending and not app.resident_id and app.visit_active
    ui.pump(0.3)
    ui.screenshot("60_consent_zh")
    text = " ".join(w.text for w in consent.ids.paragraphs.children)
    assert "365" in text and "卡号" in text
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("60_consent_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("60_consent_large_en")
    ui.tap(consent.ids.decline)
    assert app.sm.current == "home" and not app.resident_id and not app.pending_resident
    assert app.screen("home").show_sign_in
    assert store.count() == before and store.entries(pending) == []
    # the same card again: asked again; accepted, the visit is theirs
    app.end_visit("test")
    resident = sign_in_with_card(ui, card, accept=True)
    assert resident == pending and app.resident_label
    ui.wait_for(lambda: len(store.entries(resident)) == 2, timeout=5, what="consent saved")
    assert sorted(e.kind for e in store.entries(resident)) == ["consent", "resident_profile"]
    assert not app.screen("home").show_sign_in
    ui.screenshot("61_home_signed_in_zh")
    app.end_visit("test")
    assert sign_in_with_card(ui, card) == resident  # not asked a second time
    assert app.sm.current == "home"


def test_number_code_made_here_then_a_wrong_and_the_right_pin(ui):
    app = ui.app
    ui.tap(ui.screen)
    ui.tap(app.screen("home").ids.sign_in)
    assert app.sm.current == "sign_in"
    ui.screenshot("62_sign_in_zh")
    ui.tap(app.screen("sign_in").ids.get_code)
    new = app.screen("new_code")
    code = new.code
    assert len(code) == 6 and new.code_text == f"{code[:3]} {code[3:]}"
    ui.screenshot("63_new_code_zh")
    ui.tap(new.ids.next)
    type_digits(ui, new, "1111")  # too easy
    assert new.step == "pin" and new.message
    type_digits(ui, new, "2580")
    assert new.step == "repeat"
    type_digits(ui, new, "2581")  # not the same
    assert new.step == "pin" and new.message
    type_digits(ui, new, "2580")
    type_digits(ui, new, "2580")
    assert app.sm.current == "consent"
    consent = app.screen("consent")
    assert code[:3] in consent.code_note
    ui.screenshot("64_consent_with_code_zh")
    ui.tap(consent.ids.accept)
    assert app.sm.current == "home" and app.resident_id.startswith("code-")
    resident = app.resident_id
    app.end_visit("test")
    # sign in with the code: a wrong PIN first, then the right one
    ui.tap(ui.screen)
    ui.tap(app.screen("home").ids.sign_in)
    ui.tap(app.screen("sign_in").ids.use_code)
    login = app.screen("code_login")
    type_digits(ui, login, code)
    assert login.step == "pin"
    type_digits(ui, login, "0000")
    ui.wait_for(lambda: not login.checking, timeout=10, what="the PIN check")
    assert login.message and app.sm.current == "code_login"
    assert login.last is not None and login.last.outcome.value == "wrong_pin"
    ui.screenshot("65_code_login_wrong_pin_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("65_code_login_wrong_pin_en")
    type_digits(ui, login, "2580")
    ui.wait_for(lambda: app.sm.current == "home", timeout=10, what="signed in")
    assert app.resident_id == resident


def seed_history(ui, resident: str, now: datetime) -> None:
    """Eight weeks of sessions, a lesson, and fitness tests over time, for one resident."""
    kiosk = ui.app.cfg.kiosk.id
    recs: list = []
    for day in range(0, 56, 2):
        end = now - timedelta(days=day, hours=1)
        recs.append(ExerciseSession(
            kiosk_id=kiosk, resident=resident, exercise="squat",
            target={"value": 10, "unit": "reps"}, value=10, unit="reps", repetitions=10,
            good_repetitions=9, duration_s=300 + 60 * (day % 5), started_at=end -
            timedelta(minutes=6), ended_at=end, utc_offset_min=480))
    recs.append(LessonProgress(kiosk_id=kiosk, resident=resident, lesson_id="falls-1",
                               progress=1.0, completed=True, updated_at=now - timedelta(days=1),
                               utc_offset_min=480))
    for i, value in enumerate((11, 12, 12, 14)):
        recs.append(FitnessTestResult(
            kiosk_id=kiosk, resident=resident, test="chair_stand_30s", value=value, unit="reps",
            measured_at=now - timedelta(days=40 - 12 * i), utc_offset_min=480,
            device="camera", age_group="70-74", sex="female"))
    for i, value in enumerate((6.5, 9.0, 11.2)):
        recs.append(FitnessTestResult(
            kiosk_id=kiosk, resident=resident, test="one_leg_stance", value=value, unit="s",
            measured_at=now - timedelta(days=30 - 12 * i), utc_offset_min=480,
            device="camera", side="right"))
    ui.app.services.store.store.save_many(recs)


def test_my_records_with_weekly_bars_streak_and_tests_against_their_band(ui):
    app = ui.app
    resident = sign_in_with_card(ui, "2B3C4D5E6F")
    app.services.residents.update_profile(resident, age_group="70-74", sex="female")
    seed_history(ui, resident, datetime.now(UTC))
    ui.tap(app.screen("home").tiles["records"])
    records = app.screen("records")
    ui.wait_for(lambda: not records.loading, timeout=5, what="records loaded off the UI thread")
    assert records.ids.weeks.bars == 12 and sum(records.ids.weeks.values) > 0
    assert len(records.ids.tests.children) == 2  # chair stand and stance over time
    trend = {re.split("[:：]", b.title)[0]: b for b in records.ids.tests.children}
    chair = next(b for t, b in trend.items() if "坐站" in t)
    assert chair.ids.chart.band == (10.0, 15.0) and len(chair.ids.chart.points) == 4
    assert "10至15" in chair.band
    assert len(records.ids.rows.children) >= 10
    assert records.week_text and records.streak_text
    ui.screenshot("66_my_records_charts_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.wait_for(lambda: not records.loading and records.week_text.startswith("This week"),
                timeout=5, what="English")
    ui.screenshot("66_my_records_charts_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.wait_for(lambda: not records.loading, timeout=5, what="reloaded")
    ui.screenshot("66_my_records_charts_large_en")
    ui.tap(records.ids.about_me)
    about = app.screen("about_me")
    assert about.age_group == "70-74" and about.sex == "female"
    ui.screenshot("67_about_me_large_en")
    # leaving ends the visit: nothing of theirs stays on any screen
    app.end_visit("test")
    ui.pump(0.2)
    assert records.ids.rows.children == [] and records.ids.tests.children == []
    assert records.week_text == "" and about.age_group == ""


@pytest.fixture
def server(ui, tmp_path):
    """A real server on 127.0.0.1 the app's sync service talks to (its loop paused)."""
    app = ui.app
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    token = db.add_kiosk(app.cfg.kiosk.id)
    handle = start_thread_server(create_app(db))
    sync = app.services.sync
    sync.stop()
    original = sync.cfg
    sync.cfg = original.model_copy(update={"sync": original.sync.model_copy(
        update={"server_url": handle.url, "token": token})})
    try:
        yield db, sync
    finally:
        sync.cfg = original
        handle.stop()
        db.dispose()


def test_delete_my_data_removes_it_here_and_on_the_server(ui, server):
    db, sync = server
    app = ui.app
    store = app.services.store.store
    resident = sign_in_with_card(ui, "3C4D5E6F7A")
    other = f"card-{uuid.uuid4().hex}"
    seed_history(ui, resident, datetime.now(UTC))
    store.save(ExerciseSession(
        kiosk_id=app.cfg.kiosk.id, resident=other, exercise="squat",
        target={"value": 5, "unit": "reps"}, value=5, unit="reps", repetitions=5,
        duration_s=60, started_at=datetime.now(UTC) - timedelta(minutes=2),
        ended_at=datetime.now(UTC), utc_offset_min=480))
    mine = len(store.entries(resident))
    assert sync.run_pass().ok
    assert db.count_resident_records(resident) == mine and db.count_resident_records(other) == 1
    ui.tap(app.screen("home").tiles["records"])
    records = app.screen("records")
    ui.wait_for(lambda: not records.loading, timeout=5, what="records")
    ui.tap(records.ids.delete)
    delete = app.screen("records_delete")
    assert app.sm.current == "records_delete"
    ui.screenshot("68_delete_my_data_zh")
    ui.tap(delete.ids.confirm)
    ui.wait_for(lambda: delete.deleted >= 0, timeout=10, what="deleted here")
    assert delete.deleted == mine
    assert [e.kind for e in store.entries(resident)] == ["erasure_request"]
    assert len(store.entries(other)) == 1
    assert not app.resident_id  # the rest of the visit is a guest's
    ui.screenshot("69_deleted_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("69_deleted_en")
    assert sync.run_pass().ok
    assert db.count_resident_records(resident) == 1  # only the request, as the proof
    assert db.count_resident_records(resident, "erasure_request") == 1
    assert db.count_resident_records(other) == 1
    # nobody is signed in now: confirming again (a stale screen) deletes nothing of anyone's
    from kiosk.features.records.delete import FAILED  # Kivy: after the app's start

    delete.confirm()
    assert delete.message == app.t(FAILED, app.lang) and delete.deleted == mine
    assert len(store.entries(other)) == 1 and len(store.entries(resident)) == 1
    # the next time the card is tapped, it is a new sign-in (asked for consent again)
    ui.tap(delete.ids.finish)
    app.end_visit("test")
    tap_card(ui, "3C4D5E6F7A")
    ui.wait_for(lambda: app.sm.current == "consent", timeout=5, what="asked again")
    ui.tap(app.screen("consent").ids.decline)


def test_walking_away_ends_the_visit_and_leaves_nothing_on_screen(ui):
    app = ui.app
    original = app.cfg
    app.cfg = original.model_copy(update={"kiosk": original.kiosk.model_copy(
        update={"walk_away_s": 4.0})})
    try:
        sign_in_with_card(ui, "4D5E6F7A8B")
        vision = app.services.vision
        coach = app.screen("coach")
        coach.make_live = lambda spec, tgt, cb: vision.make_live(
            spec, tgt, cb, source="simfit:stance?hold=30&lead_in=4&leave_at=6")
        ui.tap(app.screen("home").tiles["exercise"])
        choose = app.screen("exercise")
        ui.tap(choose._cards["single_leg_stance"])
        ui.tap(choose.ids.start)
        ui.wait_for(lambda: app.sm.current == "attract", timeout=30, what="the visit ended")
        assert not app.visit_active and app.resident_id == "" and app.resident_label == ""
        assert app.screen("records").ids.rows.children == []
        assert app.screen("fitness_result").value_text == ""
    finally:
        app.cfg = original
