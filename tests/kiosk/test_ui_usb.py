"""Content from a USB stick in the real app: a stick is a folder written under the configured
mount root by the maintainer's own tool (``export``); residents never see it; in maintainer
mode the kiosk shows what it offers, installs it with a progress bar and reports every file;
the exercise the bundle brought appears on the exercise screen and its lesson in the list."""

from __future__ import annotations

import os
import shutil

import pytest

from content.repository import ContentRepository
from tests.content.helpers import TreeSpec, chair_squat_toml, make_bundle
from tests.kiosk.ui_harness import save_screenshot

pytestmark = pytest.mark.ui


def enter_maintainer(ui):
    app = ui.app
    if app.sm.current == "attract":
        ui.tap(ui.screen)
    ui.tap(ui.shell.ids.bottom.ids.corner, hold=1.8)
    pin = app.screen("pin")
    keys = {b.key: b for b in pin.ids.keypad.children}
    for d in app.cfg.maintainer.pin:
        ui.tap(keys[d])
    ui.tap(keys["ok"])
    assert app.sm.current == "maintainer"
    return app.screen("maintainer")


def test_maintainer_installs_from_a_stick_with_progress_and_a_per_file_report(
        ui, sample_installed, tmp_path):
    app = ui.app
    content = app.services.content
    repo = ContentRepository(sample_installed / "repo", sample_installed / "keys")
    bundle = make_bundle(tmp_path, "usb-demo", 1, TreeSpec(
        lessons=["stick_lesson"], voice={},
        exercises={"chair_squat": chair_squat_toml(), "broken": "name = 'broken'\n"},
        # a big file, so that the install takes long enough to be seen half-way
        extra={"lessons/stick_lesson/extra.mp4": os.urandom(24 * 1024 * 1024)}))
    repo.publish(bundle)
    before_exercises = set(app.services.vision.exercises())
    assert "chair_squat" not in before_exercises

    # a resident is at the kiosk when the stick goes in: nothing shows
    ui.tap(ui.screen)
    stick = ui.media / "KINGSTON"
    repo.export(stick)
    ui.wait_for(lambda: content.sticks, timeout=10, what="the stick noticed")
    ui.pump(0.5)
    assert app.sm.current == "home" and not app.sm.has_screen("content_usb")

    status = enter_maintainer(ui)
    assert status.sticks == 1 and status.ids.usb.opacity == 1
    ui.screenshot("50_maintainer_with_stick_zh")
    ui.tap(status.ids.usb)
    usb = app.screen("content_usb")
    assert app.sm.current == "content_usb"
    ui.wait_for(lambda: usb.flow.stage == "offer", timeout=20, what="the stick read")
    offer = {a.bundle_id: a for a in usb.flow.offer.available}
    assert offer["usb-demo"].action == "install" and offer["sample-lessons"].action == "up to date"
    assert usb.can_install and str(stick) in usb.heading
    ui.screenshot("51_usb_offer_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("51_usb_offer_en")
    ui.tap(usb.ids.install)
    # the bar's every value is checked below (flow.seen); the picture is taken while it runs
    ui.wait_for(lambda: usb.flow.stage in ("installing", "done") and usb.fraction > 0,
                timeout=30, what="the progress bar moving")
    save_screenshot(ui.shots / "52_usb_installing_en.png")
    ui.wait_for(lambda: usb.flow.stage == "done", timeout=60, what="the install")
    result = usb.flow.result
    assert result.ok and [r.bundle_id for r in result.reports] == ["usb-demo"]
    seen = usb.flow.seen
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(set(seen)) >= 3, seen
    rows = usb.report_rows()
    names = {r.name: r for r in rows}
    assert names["exercises/chair_squat.toml"].state == "Checked"
    assert names["lessons/stick_lesson/lesson.json"].state == "Checked"
    broken = [r for r in rows if r.name == "exercises/broken.toml"]
    assert broken and broken[0].state == "Skipped" and "invalid exercise" in broken[0].detail
    assert sum(1 for r in rows if r.state == "Checked") == 5  # the lesson's 4 files, the toml
    ui.screenshot("53_usb_report_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("53_usb_report_large_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.tap(ui.shell.ids.topbar.ids.lang)
    assert content.installed_versions()["usb-demo"] == 1

    # a stick pulled out and another plugged in while the status page is shown opens at once
    ui.tap(usb.ids.leave)
    assert app.sm.current == "maintainer"
    shutil.rmtree(stick)
    ui.wait_for(lambda: not content.sticks, timeout=10, what="the stick gone")
    repo.export(ui.media / "SANDISK")
    ui.wait_for(lambda: app.sm.current == "content_usb", timeout=10, what="the new stick shown")
    ui.wait_for(lambda: usb.flow.stage == "offer", timeout=20, what="the new stick read")
    assert not usb.can_install  # everything on it is installed now
    ui.screenshot("54_usb_nothing_new_zh")
    ui.tap(usb.ids.leave)
    ui.tap(status.ids.exit)

    # the new exercise is on the exercise screen, the new lesson in the list
    ui.tap(app.screen("home").tiles["exercise"])
    choose = app.screen("exercise")
    assert "chair_squat" in choose._cards and "broken" not in choose._cards
    ui.tap(ui.shell.ids.topbar.ids.back)
    ui.tap(app.screen("home").tiles["lessons"])
    assert "stick_lesson" in app.screen("lessons").cards
    shutil.rmtree(ui.media / "SANDISK")
    ui.wait_for(lambda: not content.sticks, timeout=10, what="the stick gone")
