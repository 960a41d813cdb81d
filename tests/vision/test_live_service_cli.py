"""LiveEngine with the simulated person, the vision service, and the CLI's error paths."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from kiosk.cli import main
from vision.live import LiveEngine, make_source
from vision.sim import SimulatedPerson
from vision.sources import SourceError


def _collect():
    ups = []
    names = set()

    def cb(u):
        names.add(threading.current_thread().name)
        ups.append(u)
    return ups, names, cb


def test_live_sim_counts_off_the_calling_thread(specs):
    ups, names, cb = _collect()
    live = LiveEngine("sim:squat?reps=4&period=1.5&realtime=0&seed=2", specs["squat"], 4, cb)
    live.start()
    assert live.ended.wait(30)
    s = live.stop()
    assert s.count == 4 and s.good_count <= 4 and live.current_count() == 4
    assert threading.current_thread().name not in names
    assert ups[-1].count == 4 and ups[0].frame is not None and ups[0].landmarks.shape == (33, 4)
    assert all(u.captured > 0 for u in ups)
    assert live.stop() is s  # idempotent


def test_live_frames_and_landmarks_are_mirrored_together(specs):
    ups, _, cb = _collect()
    live = LiveEngine("sim:lateral_raise?reps=1&period=1&realtime=0&noise=0", specs["lateral_raise"], 1,
                     cb, mirror=True)
    live.start()
    assert live.ended.wait(30)
    live.stop()
    sp = SimulatedPerson("lateral_raise", reps=1, period_s=1, noise=0, realtime=False)
    lm, _ = sp.landmarks_at(ups[0].t)
    # the person's left shoulder is on the right of the camera picture, on the left when mirrored
    assert ups[0].landmarks[11, 0] == pytest.approx(1 - lm[11, 0], abs=0.03)
    img = sp.render(lm)
    assert (ups[0].frame == img[:, ::-1]).mean() > 0.99


def test_live_pause_resume_and_reset_set(specs):
    ups, _, cb = _collect()
    state = {"paused_at": None, "n": 0, "reset": False}
    live_box = {}

    def on_update(u):
        cb(u)
        live = live_box["live"]
        if u.count == 2 and state["paused_at"] is None:
            state["paused_at"] = u.t
            live.pause()
        elif state["paused_at"] is not None and live.paused:
            state["n"] += 1
            if state["n"] >= 60:
                live.resume()

    live = LiveEngine("sim:squat?reps=5&period=2&realtime=0&seed=3", specs["squat"], 5, on_update)
    live_box["live"] = live
    live.start()
    assert live.ended.wait(30)
    s = live.stop()
    paused = [u for u in ups if u.phase == "paused"]
    assert len(paused) >= 59 and all(u.count == 2 for u in paused)
    assert s.count == 4  # the repetition done while paused is not counted

    ups2, _, cb2 = _collect()
    box = {}

    def on_update2(u):
        cb2(u)
        if u.count == 2 and not state["reset"]:
            state["reset"] = True
            box["live"].reset_set()

    live2 = LiveEngine("sim:squat?reps=5&period=2&realtime=0&seed=4", specs["squat"], 5, on_update2)
    box["live"] = live2
    live2.start()
    assert live2.ended.wait(30)
    s2 = live2.stop()
    assert s2.count == 3 and [r.index for r in s2.reps] == [1, 2, 3]


def test_make_source_specs(tmp_path):
    assert isinstance(make_source("sim"), SimulatedPerson)
    sp = make_source("sim:knee_raise?reps=3&period=1.2&depth=0.8&noise=0&seed=1")
    assert (sp.exercise, sp.reps, sp.period_s, sp.depth) == ("knee_raise", 3, 1.2, 0.8)
    with pytest.raises(SourceError):
        make_source(str(tmp_path / "missing.mp4"))
    with pytest.raises(ValueError):
        make_source("sim:squat?colour=red")


def test_vision_service_status_and_make_live(monkeypatch, specs):
    from kiosk.config import parse_config
    from kiosk.services.vision_service import VisionService

    cfg = parse_config('[camera]\nsource = "sim"\n')
    svc = VisionService(cfg)
    svc.start()
    rows = svc.status()
    cam = [r for r in rows if r.area == "camera"]
    assert cam and "simulated" in cam[0].detail
    assert any(r.name == "exercises" and "9" in r.detail for r in rows)
    ups = []
    live = svc.make_live(specs["squat"], 3, ups.append, source="sim:squat?reps=2&period=1.5&realtime=0")
    live.start()
    assert live.ended.wait(20)
    assert live.stop().count == 2
    svc.stop()

    import vision.sources as sources

    monkeypatch.setattr(sources, "list_cameras", lambda: [])
    auto = VisionService(parse_config(""))
    assert auto.resolve_source() == "sim"
    assert any(r.area == "camera" and r.state == "warning" and "no camera" in r.detail for r in auto.status())
    monkeypatch.setattr(sources, "list_cameras", lambda: ["/dev/v4l/by-id/usb-cam-index0"])
    assert VisionService(parse_config("")).resolve_source() == "/dev/v4l/by-id/usb-cam-index0"
    gone = VisionService(parse_config('[camera]\nsource = "/dev/v4l/by-id/nothing-here"\n'))
    row = next(r for r in gone.status() if r.area == "camera")
    assert row.state == "error" and "not found" in row.detail


def test_camera_that_is_not_there_is_a_clean_error():
    from vision.sources import CameraSource

    cam = CameraSource("/dev/v4l/by-id/nothing-here")
    with pytest.raises(SourceError, match="not found"):
        cam.open()
    assert cam.status() == "not_found"


def test_cli_exercises_lists_all(capsys):
    assert main(["exercises"]) == 0
    out = capsys.readouterr().out
    for name in ("squat", "sit_to_stand", "single_leg_stance", "jumping_jack"):
        assert name in out
    assert "深蹲" in out


@pytest.mark.parametrize("argv, message", [
    (["analyze", "/nonexistent/clip.mp4", "--exercise", "squat"], "not found"),
    (["analyze", "__file__", "--exercise", "squat"], "cannot open as a video"),
    (["analyze", "__file__", "--exercise", "handstand"], "unknown exercise"),
])
def test_cli_analyze_errors_are_clean(argv, message, capsys):
    argv = [str(Path(__file__)) if a == "__file__" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_no_picture_is_ever_written_by_the_vision_code():
    root = Path(__file__).resolve().parents[2]
    files = list((root / "vision").rglob("*.py")) + [root / "kiosk/services/vision_service.py",
                                                     root / "kiosk/commands/analyze.py"]
    pat = re.compile(r"imwrite|VideoWriter|imencode|\.tofile\(")
    offenders = [str(f) for f in files if pat.search(f.read_text(encoding="utf-8"))]
    assert offenders == []
