"""Opening hours without a window: the config section, the controller that sleeps the screen
and closes the camera, and the notice's words in both languages.

The screen is switched by real commands (``CommandScreenPower`` writing to a file, as a
maintainer's ``wlopm``/``vcgencmd`` line would) and the camera is the real vision service.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import ConfigError, parse_config
from kiosk.services.vision import VisionService
from kiosk.system.opening import OpeningController, OpenState, closed_notice
from kiosk.system.screen_power import CommandScreenPower

MONDAY_5AM = datetime(2026, 11, 30, 5, 0)  # a Monday


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def screen(tmp_path: Path) -> tuple[CommandScreenPower, Path]:
    mark = tmp_path / "screen"
    return CommandScreenPower(f"sh -c 'echo off >> {mark}'", f"sh -c 'echo on >> {mark}'"), mark


def switched(mark: Path) -> list[str]:
    return mark.read_text().split() if mark.exists() else []


def test_hours_section_is_validated_with_the_key_named() -> None:
    cfg = parse_config('[hours]\nopen = "06:00"\nclose = "21:30"\nclosed_days = ["Sunday"]\n')
    hours = cfg.hours.opening_hours()
    assert not hours.always_open and hours.closed_days == frozenset({6})
    assert parse_config("").hours.opening_hours().always_open
    bad = {
        '[hours]\nopen = "6 am"\nclose = "21:00"\n': ("hours.open", 2, "not a time of day"),
        '[hours]\nopen = "06:00"\nclose = "24:00"\n': ("hours.close", 3, "not a time of day"),
        '[hours]\nopen = "06:00"\n': ("hours", 1, "give both open and close"),
        '[hours]\nopen = "06:00"\nclose = "06:00"\n': ("hours", 1, "the same time"),
        '[hours]\nopen = "06:00"\nclose = "21:00"\nclosed_days = ["someday"]\n':
            ("hours.closed_days", 4, "not a day: 'someday'"),
        '[hours]\nscreen_off_command = "wlopm --off *"\n': ("hours", 1, "screen_on_command"),
        '[hours]\nnotice_s = 1\n': ("hours.notice_s", 2, "greater than or equal to 3"),
        '[hours]\nopen_at = "06:00"\n': ("hours.open_at", 2, "unknown key"),
    }
    for text, (key, line, words) in bad.items():
        with pytest.raises(ConfigError) as info:
            parse_config(text, "k.toml")
        (problem,) = info.value.problems
        assert (problem.key, problem.line) == (key, line), text
        assert words in problem.message, problem.message


def test_the_notice_says_when_it_opens_in_both_languages() -> None:
    six = MONDAY_5AM.replace(hour=6)
    assert closed_notice(six, MONDAY_5AM, "en") == "We open at 6:00"
    assert closed_notice(six, MONDAY_5AM, "zh_CN") == "6:00 开放"
    tomorrow = six + timedelta(days=1)
    assert closed_notice(tomorrow, MONDAY_5AM.replace(hour=22), "en") == "We open tomorrow at 6:00"
    assert closed_notice(tomorrow, MONDAY_5AM.replace(hour=22), "zh_CN") == "明天 6:00 开放"
    wednesday = six + timedelta(days=2, minutes=30)
    assert closed_notice(wednesday, MONDAY_5AM, "en") == "We open on Wednesday at 6:30"
    assert closed_notice(wednesday, MONDAY_5AM, "zh_CN") == "星期三 6:30 开放"
    assert closed_notice(None, MONDAY_5AM, "en") == ""


def test_outside_the_hours_the_screen_sleeps_and_the_camera_closes(tmp_path: Path) -> None:
    cfg = parse_config('[camera]\nsource = "sim"\n[hours]\nopen = "06:00"\nclose = "21:00"\n'
                       "notice_s = 5\n")
    vision = VisionService(cfg)
    vision.start()
    power, mark = screen(tmp_path)
    clock = FakeClock(MONDAY_5AM)
    states: list[OpenState] = []
    ctl = OpeningController(cfg.hours.opening_hours(), power, camera=vision,
                            notice_s=cfg.hours.notice_s, now=clock, on_change=states.append)
    ctl.start(mono=0.0)
    assert ctl.state is OpenState.ASLEEP and not ctl.visits_allowed
    assert switched(mark) == ["off"] and vision.closed
    assert "closed outside opening hours" in vision.status()[0].detail
    with pytest.raises(RuntimeError, match="closed"):
        vision.make_live(vision.exercises()["squat"], 5, lambda u: None)

    # a touch wakes the screen and shows the notice; it is not passed on
    assert ctl.touch(mono=10.0) is True
    assert ctl.state is OpenState.NOTICE and switched(mark) == ["off", "on"]
    assert ctl.next_opening() == MONDAY_5AM.replace(hour=6) and vision.closed
    assert ctl.touch(mono=12.0) is False  # touches on the notice go on (the maintainer corner)
    ctl.update(mono=16.0, in_use=False)
    assert ctl.state is OpenState.NOTICE  # 5 s after the last touch, not the first
    ctl.update(mono=17.5, in_use=False)
    assert ctl.state is OpenState.ASLEEP and switched(mark) == ["off", "on", "off"]

    # six o'clock: awake, camera open
    clock.at = MONDAY_5AM.replace(hour=6)
    ctl.update(mono=20.0, in_use=False)
    assert ctl.state is OpenState.OPEN and ctl.visits_allowed and not vision.closed
    assert switched(mark) == ["off", "on", "off", "on"]
    assert ctl.touch(mono=21.0) is False

    # closing time waits for the resident using the kiosk
    clock.at = MONDAY_5AM.replace(hour=21, minute=0)
    ctl.update(mono=30.0, in_use=True)
    assert ctl.state is OpenState.OPEN and not vision.closed
    ctl.update(mono=31.0, in_use=False)
    assert ctl.state is OpenState.ASLEEP and vision.closed
    assert ctl.next_opening() == MONDAY_5AM.replace(hour=6) + timedelta(days=1)
    assert states == [OpenState.ASLEEP, OpenState.NOTICE, OpenState.ASLEEP, OpenState.OPEN,
                      OpenState.ASLEEP]
    vision.stop()


def test_touch_opens_the_kiosk_for_one_visit_when_configured(tmp_path: Path) -> None:
    cfg = parse_config('[camera]\nsource = "sim"\n[hours]\nopen = "06:00"\nclose = "21:00"\n'
                       "touch_opens = true\nnotice_s = 5\n")
    vision = VisionService(cfg)
    vision.start()
    power, mark = screen(tmp_path)
    ctl = OpeningController(cfg.hours.opening_hours(), power, camera=vision, notice_s=5,
                            touch_opens=cfg.hours.touch_opens,
                            now=FakeClock(MONDAY_5AM.replace(hour=23)))
    ctl.start(mono=0.0)
    assert ctl.asleep and vision.closed
    assert ctl.touch(mono=1.0) is False  # the touch goes on and starts the visit
    assert ctl.state is OpenState.OPENED and ctl.visits_allowed and not vision.closed
    ctl.update(mono=30.0, in_use=True)
    assert ctl.state is OpenState.OPENED
    ctl.update(mono=31.0, in_use=False)  # the visit ended: asleep again
    assert ctl.asleep and vision.closed and switched(mark) == ["off", "on", "off"]
    vision.stop()


@pytest.mark.model
def test_closing_stops_the_pose_worker_process() -> None:
    cfg = parse_config('[camera]\nsource = "sim"\n')
    vision = VisionService(cfg)
    vision.start()
    worker = vision._shared_worker()
    worker.start()
    assert worker.alive()
    vision.close_camera()
    assert not worker.alive()
    assert "stopped outside opening hours" in vision.status()[1].detail
    vision.open_camera()
    assert not vision.closed
