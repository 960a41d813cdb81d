"""Lesson narration: a recorded clip from the bundle, else espeak-ng reading the text.

Why this module exists: a lesson's slides are read aloud as they appear, and
a "listen again" button replays them. Unlike a coaching cue (short, queued,
dropped when stale), narration is long and belongs to one slide: a new one
(or leaving the slide) stops the one playing. It runs in a child process
watched by a thread, so the UI never waits; ``on_done(ok)`` is called from
that thread (the caller posts it to the UI thread) unless the narration was
stopped. Engines, in order: the recorded clip with ``aplay`` (alsa-utils),
then ``espeak-ng`` speaking the narration text (Mandarin ``cmn`` or English,
a little slower than the coaching cues), else silence. Every narration is
logged in ``history`` with the engine that played it, for the status page and
the tests.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ESPEAK_VOICES = {"zh_CN": "cmn", "en": "en"}
ESPEAK_SPEED = 140
"""Words per minute for narration (the coaching cues use 150)."""
MAX_NARRATION_S = 600.0


@dataclass
class Narrated:
    key: str
    """What was narrated (e.g. ``<lesson id>/<step>``)."""
    lang: str
    clip: Path | None
    """The recorded clip offered for it (None: espeak-ng reads the text)."""
    engine: str = ""
    """``recorded``, ``espeak-ng`` or ``silent`` once it has played."""
    ok: bool | None = None
    """None while playing; False when no engine could play it or it was stopped."""
    stopped: bool = False


class Narrator:
    """Plays one narration at a time (see the module doc)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._aplay = shutil.which("aplay")
        self._espeak = shutil.which("espeak-ng")
        self._broken: set[str] = set()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._current: Narrated | None = None
        self.history: list[Narrated] = []

    @property
    def engine(self) -> str:
        if self._aplay and "aplay" not in self._broken:
            return "recorded clips, espeak-ng" if self._espeak else "recorded clips"
        if self._espeak and "espeak-ng" not in self._broken:
            return "espeak-ng"
        return "silent"

    @property
    def playing(self) -> bool:
        with self._lock:
            return self._current is not None and self._current.ok is None

    def narrate(self, key: str, text: str, lang: str, clip: Path | None = None,
                on_done: Callable[[bool], None] | None = None) -> Narrated:
        """Stop what is playing and start this; returns at once."""
        self.stop()
        item = Narrated(key, lang, clip if clip is not None and clip.is_file() else None)
        with self._lock:
            self._current = item
            self.history.append(item)
        if not self.enabled or not text.strip() and item.clip is None:
            self._finish(item, "silent", False, on_done)
            return item
        threading.Thread(target=self._play, args=(item, text, on_done),
                         name="narration", daemon=True).start()
        return item

    def stop(self) -> None:
        """Stop the narration playing now (its ``on_done`` is not called)."""
        with self._lock:
            item, proc = self._current, self._proc
            self._current, self._proc = None, None
            if item is not None and item.ok is None:
                item.stopped = True
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                log.warning("narration player %s did not stop", proc.pid)

    # -- the watching thread ---------------------------------------------------------------
    def _play(self, item: Narrated, text: str, on_done: Callable[[bool], None] | None) -> None:
        if item.clip is not None and self._aplay and "aplay" not in self._broken:
            ok = self._run(item, [self._aplay, "-q", str(item.clip)], "aplay")
            if ok is None:
                return  # stopped
            if ok:
                self._finish(item, "recorded", True, on_done)
                return
        if self._espeak and "espeak-ng" not in self._broken and text.strip():
            voice = ESPEAK_VOICES.get(item.lang, "en")
            ok = self._run(item, [self._espeak, "-v", voice, "-s", str(ESPEAK_SPEED), text],
                           "espeak-ng")
            if ok is None:
                return
            if ok:
                self._finish(item, "espeak-ng", True, on_done)
                return
        self._finish(item, "silent", False, on_done)

    def _run(self, item: Narrated, cmd: list[str], engine: str) -> bool | None:
        """True when the player finished cleanly, False when it failed, None when stopped."""
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            log.warning("narration: cannot start %s: %s", engine, exc)
            self._broken.add(engine)
            return False
        with self._lock:
            if self._current is not item:  # stopped while starting
                proc.kill()
                proc.wait()
                return None
            self._proc = proc
        try:
            _out, err = proc.communicate(timeout=MAX_NARRATION_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        with self._lock:
            if self._current is not item:
                return None
            self._proc = None
        # espeak-ng exits 0 without a sound device but says "error:" (like aplay's message)
        if proc.returncode == 0 and b"error:" not in (err or b"").lower():
            return True
        log.warning("narration: %s could not play (%s); trying the next engine", engine,
                    (err or b"").decode(errors="replace").strip().splitlines()[-1:] or "no output")
        self._broken.add(engine)  # no sound device: stay quiet instead of failing every slide
        return False

    def _finish(self, item: Narrated, engine: str, ok: bool,
                on_done: Callable[[bool], None] | None) -> None:
        with self._lock:
            if item.stopped:
                return
            item.engine, item.ok = engine, ok
        if on_done is not None:
            try:
                on_done(ok)
            except Exception:
                log.exception("narration: on_done failed")
