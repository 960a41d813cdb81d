"""The runtime object the kiosk starts: network check on start, USB sticks, status rows,
heartbeat versions, doctor line, and the folders the app reads from."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from content.runtime import ContentRuntime, doctor_check
from content.settings import ContentSection
from content.usb import Stick
from tests.content.helpers import TreeSpec, chair_squat_toml, make_bundle, make_setup


def test_runtime_installs_from_network_and_reports(tmp_path: Path) -> None:
    s = make_setup(tmp_path)
    s.clock.now = datetime.now(UTC)  # the runtime checks against the real clock
    s.publish(make_bundle(tmp_path, "demo", 1, TreeSpec(exercises={"chair_squat": chair_squat_toml()})))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(s.repo.repo_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    mounts = tmp_path / "media"
    mounts.mkdir()
    section = ContentSection(trusted_root=str(s.kiosk.trusted_root),
                             repository_url=f"http://127.0.0.1:{httpd.server_address[1]}",
                             usb_mount_roots=[str(mounts)], usb_poll_s=0.2)
    seen: list[list[Stick]] = []
    results = []
    rt = ContentRuntime(section, tmp_path / "kiosk2" / "content", "http://unused", "0.1.0",
                        on_sticks=seen.append, on_result=results.append)
    rt.start()
    try:
        deadline = time.monotonic() + 30
        while not results and time.monotonic() < deadline:
            time.sleep(0.05)
        assert results and results[0].ok, results and results[0].errors
        assert rt.heartbeat() == {"demo": 1}
        assert (rt.exercises_dir / "chair_squat.toml").is_file()
        assert (rt.voice_dir / "en" / "count.1.wav").is_file()
        assert (rt.lessons_dir / "l1" / "lesson.json").is_file()
        s.repo.export(mounts / "STICK")
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen and seen[-1][0].mount == mounts / "STICK"
        names = {line.name: line for line in rt.status_lines()}
        assert names["demo"].state == "ok" and "version 1" in names["demo"].detail
        assert names["last check"].state == "ok"
        assert "STICK" in names["usb"].detail
        status, detail = doctor_check(rt.content_dir)
        assert status == "ok" and "demo v1" in detail
    finally:
        rt.stop()
        httpd.shutdown()
        httpd.server_close()


def test_runtime_without_root_or_content(tmp_path: Path) -> None:
    rt = ContentRuntime(ContentSection(repository_url="off"), tmp_path / "content", "http://x", "0.1.0", usb=False)
    rt.start()
    try:
        lines = rt.status_lines()
        assert lines[0].name == "trusted root" and lines[0].state == "warning"
        assert any(line.detail == "no content bundle installed" for line in lines)
        assert rt.checker is None
        assert doctor_check(rt.content_dir) == ("warn", "no content bundle installed")
    finally:
        rt.stop()


def test_doctor_reports_last_failure(tmp_path: Path) -> None:
    s = make_setup(tmp_path)
    s.publish(make_bundle(tmp_path, "demo", 1))
    s.export()
    assert s.kiosk.install_path(s.stick).ok
    s.clock.advance(70)
    assert not s.kiosk.install_path(s.stick).ok
    status, detail = doctor_check(s.kiosk.store.root)
    assert status == "warn" and "expired" in detail and "demo v1" in detail
