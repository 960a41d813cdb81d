"""The USB watcher with a simulated stick (a folder under a configured mount root) and the
install that follows, with per-phase progress."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from content.repository import STICK_DIR
from content.usb import Stick, UsbWatcher, find_sticks
from tests.content.helpers import Setup, make_bundle


def test_find_sticks_depth_and_junk(tmp_path: Path) -> None:
    root = tmp_path / "media"
    (root / "maint" / "KINGSTON" / STICK_DIR / "metadata").mkdir(parents=True)
    (root / "other" / "PHOTOS").mkdir(parents=True)
    (root / "a" / "b" / "c" / "d" / STICK_DIR / "metadata").mkdir(parents=True)  # too deep
    sticks = find_sticks([root, tmp_path / "missing"])
    assert [s.mount.name for s in sticks] == ["KINGSTON"]


def test_watcher_sees_a_stick_arrive_and_leave_then_installs(setup: Setup) -> None:
    setup.publish(make_bundle(setup.tmp, "demo", 1))
    mount_root = setup.tmp / "media"
    mount_root.mkdir()
    seen: list[list[Stick]] = []
    changed = threading.Event()

    def on_change(sticks: list[Stick]) -> None:
        seen.append(sticks)
        changed.set()

    watcher = UsbWatcher([mount_root], on_change, poll_s=0.2, use_udev=False)
    watcher.start()
    try:
        assert watcher.mode == "polling"
        # "mount" a stick: the maintainer's export written under the mount root
        setup.repo.export(mount_root / "maint" / "STICK")
        assert changed.wait(10)
        (stick,) = seen[-1]
        assert stick.mount == mount_root / "maint" / "STICK"
        phases: list[str] = []
        result = setup.kiosk.install_from(stick.source, progress=lambda p, d, t: phases.append(p))
        assert result.ok, result.errors
        assert {"verify", "extract", "validate", "switch"} <= set(phases)
        assert [r.bundle_id for r in result.reports] == ["demo"]
        changed.clear()
        shutil.rmtree(mount_root / "maint")  # pulled out
        assert changed.wait(10)
        assert seen[-1] == []
    finally:
        watcher.stop()
    assert watcher.mode == "stopped"


def test_udev_mode_falls_back_to_polling_without_udev(tmp_path: Path) -> None:
    """In a container without udev the watcher says it polls (and still works)."""
    watcher = UsbWatcher([tmp_path], lambda s: None, poll_s=0.2, use_udev=True)
    watcher.start()
    try:
        assert watcher.mode in ("udev", "polling")
    finally:
        watcher.stop()
