"""Spoken cues: queued off the UI thread, stale ones dropped, muted means silent."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from kiosk.services.voice import Voice, _run


def test_say_returns_at_once_and_the_engine_gets_the_language():
    calls: list[list[str]] = []
    release = threading.Event()

    finished = threading.Event()

    def slow_runner(cmd: list[str], timeout: float) -> bool:
        calls.append(cmd)
        release.wait(5)
        finished.set()
        return True

    voice = Voice(runner=slow_runner)
    voice._espeak = "/usr/bin/espeak-ng"
    assert voice.say("count.1", "一", "zh_CN")
    assert not finished.is_set()  # say() returned while the speech is still running
    while not calls:  # the first cue is being spoken (slowly) ...
        time.sleep(0.005)
    for n in range(2, 8):  # ... while six more pile up
        voice.say(f"count.{n}", str(n), "en")
    release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(calls) < 3:
        time.sleep(0.01)
    voice.stop()
    assert calls[0][1:3] == ["-v", "cmn"]
    spoken = [u.key for u in voice.history]
    assert spoken[0] == "count.1" and spoken[-1] == "count.7"
    assert voice.dropped >= 1 and len(spoken) < 7


def test_muted_voice_says_nothing():
    voice = Voice(enabled=False, runner=lambda c, t: True)
    assert not voice.say("go", "Go!", "en")
    assert voice.history == []


def test_a_failing_engine_is_reported_once_and_then_left_alone():
    calls = []
    voice = Voice(runner=lambda c, t: calls.append(c) or False)
    voice._espeak = "/usr/bin/espeak-ng"
    voice.say("a", "a", "en")
    time.sleep(0.2)
    voice.say("b", "b", "en")
    time.sleep(0.2)
    voice.stop()
    assert len(calls) == 1
    assert voice.engine == "silent"


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng not installed")
def test_espeak_ng_really_speaks_chinese(tmp_path):
    out = tmp_path / "cue.wav"
    assert _run(["espeak-ng", "-v", "cmn", "-w", str(out), "请再蹲低一点"], 10)
    assert out.stat().st_size > 8000
