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


def _player(tmp_path, name: str, body: str) -> str:
    """A real program standing in for a sound player (this machine has no sound card)."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def _wait(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not pred():
        time.sleep(0.01)
    return pred()


def test_narration_plays_the_recorded_clip_else_espeak_reads_the_text(tmp_path):
    from kiosk.services.narration import Narrator

    clip = tmp_path / "n1.zh_CN.wav"
    clip.write_bytes(b"RIFF....WAVE")
    log = tmp_path / "played.txt"
    narrator = Narrator()
    narrator._aplay = _player(tmp_path, "aplay", f'echo "aplay $@" >> {log}')
    narrator._espeak = _player(tmp_path, "espeak", f'echo "espeak $@" >> {log}')
    done: list[bool] = []
    item = narrator.narrate("l1/0", "慢慢站起来", "zh_CN", clip, on_done=done.append)
    assert _wait(lambda: done == [True])
    assert (item.engine, item.ok, item.clip) == ("recorded", True, clip)
    # no recording for this language: espeak-ng reads the narration text, slowly
    item = narrator.narrate("l1/0", "Stand up slowly", "en", tmp_path / "missing.wav",
                            on_done=done.append)
    assert _wait(lambda: done == [True, True])
    assert (item.engine, item.clip) == ("espeak-ng", None)
    assert log.read_text().splitlines() == [
        f"aplay -q {clip}", "espeak -v en -s 140 Stand up slowly"]


def test_a_player_without_a_sound_device_falls_back_then_stays_quiet(tmp_path):
    from kiosk.services.narration import Narrator

    clip = tmp_path / "n1.en.wav"
    clip.write_bytes(b"RIFF....WAVE")
    narrator = Narrator()
    narrator._aplay = _player(tmp_path, "aplay", 'echo "aplay: main: audio open error: no card" >&2; exit 1')
    narrator._espeak = _player(tmp_path, "espeak", 'echo "error: No such file or directory" >&2')
    done: list[bool] = []
    item = narrator.narrate("l1/1", "Hello", "en", clip, on_done=done.append)
    assert _wait(lambda: done == [False])
    assert (item.engine, item.ok) == ("silent", False)
    assert narrator.engine == "silent"  # both said they cannot play: no more tries
    item = narrator.narrate("l1/2", "Again", "en", clip, on_done=done.append)
    assert _wait(lambda: done == [False, False]) and item.engine == "silent"


def test_a_new_narration_or_stop_cuts_the_playing_one_short(tmp_path):
    from kiosk.services.narration import Narrator

    clip = tmp_path / "long.wav"
    clip.write_bytes(b"RIFF....WAVE")
    narrator = Narrator()
    narrator._aplay = _player(tmp_path, "aplay", "exec sleep 30")
    narrator._espeak = None
    done: list[bool] = []
    first = narrator.narrate("l1/0", "x", "en", clip, on_done=done.append)
    assert _wait(lambda: narrator._proc is not None)
    proc = narrator._proc
    t0 = time.monotonic()
    second = narrator.narrate("l1/1", "y", "en", clip, on_done=done.append)
    assert proc.poll() is not None and time.monotonic() - t0 < 3  # killed, not waited for
    assert first.stopped and narrator.playing
    narrator.stop()
    assert second.stopped and not narrator.playing
    time.sleep(0.2)
    assert done == []  # a stopped narration reports nothing
    muted = Narrator(enabled=False)
    assert muted.narrate("l1/0", "x", "en", clip, on_done=done.append).engine == "silent"
    assert done == [False]
