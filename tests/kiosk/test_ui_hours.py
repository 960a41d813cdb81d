"""Opening hours in the real app under Xvfb, with a clock the test controls.

The app's ``OpeningController`` is given hours (06:00-21:00), a fake wall clock and a
screen switched by real commands writing to a file; the app's own one-second tick drives it,
and touches go through Kivy's input path like a finger's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.system.hours import OpeningHours
from kiosk.system.screen_power import CommandScreenPower

pytestmark = pytest.mark.ui

MONDAY_5AM = datetime(2026, 11, 30, 5, 0)


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def hours(ui, tmp_path: Path) -> Iterator[tuple[FakeClock, Path]]:
    ctl = ui.app.opening
    saved = (ctl.hours, ctl.screen, ctl.now, ctl.notice_s, ctl.touch_opens)
    mark = tmp_path / "screen"
    clock = FakeClock(MONDAY_5AM)
    ctl.hours = OpeningHours.parse("06:00", "21:00")
    ctl.screen = CommandScreenPower(f"sh -c 'echo off >> {mark}'", f"sh -c 'echo on >> {mark}'")
    ctl.now = clock
    ctl.notice_s = 3.0
    yield clock, mark
    ctl.hours = OpeningHours()  # always open again for the other tests
    ui.wait_for(lambda: ui.app.opening_state == "open", timeout=5, what="open again")
    ctl.hours, ctl.screen, ctl.now, ctl.notice_s, ctl.touch_opens = saved


def switched(mark: Path) -> list[str]:
    return mark.read_text().split() if mark.exists() else []


def mean_brightness(png: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(png) as img:
        return float(sum(ImageStat.Stat(img.convert("L")).mean))


def middle(ui) -> tuple[float, float]:
    from kivy.core.window import Window

    return Window.width / 2, Window.height / 2


def test_outside_hours_the_screen_sleeps_a_touch_says_when_it_opens(ui, hours) -> None:
    clock, mark = hours
    app = ui.app
    attract = app.screen("attract")
    vision = app.services.vision
    ui.wait_for(lambda: app.opening_state == "asleep", timeout=5, what="asleep at 5 a.m.")
    assert switched(mark) == ["off"] and vision is not None and vision.closed
    assert mean_brightness(ui.screenshot("30_closed_asleep")) < 2  # the window is black

    ui.tap_xy(*middle(ui))  # wakes the screen, shows the notice, starts no visit
    assert app.opening_state == "notice" and app.sm.current == "attract"
    assert not app.visit_active and switched(mark) == ["off", "on"]
    assert attract.ids.headline.text == "现在休息"
    assert attract.ids.invite.text == "6:00 开放" and attract.ids.card_hint.text == ""
    assert mean_brightness(ui.screenshot("31_closed_notice_zh")) > 10
    ui.tap_xy(*middle(ui))
    assert app.sm.current == "attract" and not app.visit_active and vision.closed
    ui.tap(ui.shell.ids.topbar.ids.lang)
    assert attract.ids.headline.text == "Closed now"
    assert attract.ids.invite.text == "We open at 6:00"
    ui.screenshot("31_closed_notice_en")
    ui.wait_for(lambda: app.opening_state == "asleep", timeout=10, what="asleep after the notice")
    assert switched(mark) == ["off", "on", "off"]

    # six o'clock: awake, camera open, a touch starts a visit
    clock.at = MONDAY_5AM.replace(hour=6)
    ui.wait_for(lambda: app.opening_state == "open", timeout=5, what="open at six")
    assert not vision.closed and switched(mark) == ["off", "on", "off", "on"]
    ui.tap(ui.screen)
    assert app.sm.current == "home" and app.visit_active

    # closing time waits for the resident, then sleeps
    clock.at = MONDAY_5AM.replace(hour=21)
    ui.pump(1.5)
    assert app.opening_state == "open" and app.sm.current == "home" and not vision.closed
    app.end_visit("idle")
    ui.wait_for(lambda: app.opening_state == "asleep", timeout=5, what="asleep after the visit")
    assert vision.closed

    # a resident card outside the hours wakes it like a touch, and logs nobody in
    from hardware.drivers.rdm6300 import encode_frame

    os.write(ui.card_writer, encode_frame("0B0B0B0B0B") * 3)
    ui.wait_for(lambda: app.opening_state == "notice", timeout=5, what="the notice after a card")
    assert not app.visit_active and app.resident_id == ""
    assert attract.ids.invite.text == "明天 6:00 开放"
    ui.screenshot("32_closed_notice_tomorrow_zh")


def test_touch_opens_the_kiosk_outside_hours_for_one_visit(ui, hours) -> None:
    clock, mark = hours
    app = ui.app
    app.opening.touch_opens = True
    clock.at = MONDAY_5AM + timedelta(hours=18)  # 23:00
    ui.wait_for(lambda: app.opening_state == "asleep", timeout=5, what="asleep at 23:00")
    ui.tap_xy(*middle(ui))
    assert app.opening_state == "opened" and app.sm.current == "home" and app.visit_active
    assert app.services.vision is not None and not app.services.vision.closed
    ui.screenshot("33_opened_by_touch_zh")
    app.end_visit("idle")
    ui.wait_for(lambda: app.opening_state == "asleep", timeout=10, what="asleep after the visit")
    assert app.services.vision.closed and switched(mark)[-1] == "off"
