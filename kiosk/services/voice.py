"""Spoken counts and cues, in the resident's language, that never block the UI.

Why this module exists: residents exercising in front of the kiosk do not look
at the screen all the time, and many read poorly; the coach speaks. Speech
runs on its own thread behind a short queue; when cues pile up the stale ones
are dropped (a count said late is worse than a count not said). Engines, in
order of preference:

1. recorded clips from installed content (``<voice_dir>/<lang>/<key>.wav``),
   played with ``aplay`` when present;
2. the local text-to-speech engine ``espeak-ng`` (Mandarin voice ``cmn`` for
   Chinese, ``en`` for English);
3. silence.

Everything that was said (or would have been, when muted) is logged in
``history`` so the coaching screen's tests can see it. Lesson narration (long,
one at a time, stopped when the slide changes) is the ``narrator``'s
(``kiosk/services/narration.py``).
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.services.base import State, StatusRow
from kiosk.services.narration import Narrator

log = logging.getLogger(__name__)

ESPEAK_VOICES = {"zh_CN": "cmn", "en": "en"}
MAX_BACKLOG = 2


@dataclass(frozen=True)
class Utterance:
    key: str
    """A stable id for the cue (``count.7``, ``squat.depth``): the name of a recorded clip."""
    text: str
    lang: str
    queued_at: float


def _run(cmd: list[str], timeout: float) -> bool:
    """Run a player; False when it failed (espeak-ng exits 0 even without a sound device,
    but says ``error:`` on stderr)."""
    try:
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=timeout, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return b"error:" not in done.stderr


class Voice:
    """The spoken-cue service (started lazily on the first cue)."""

    name = "voice"

    def __init__(self, enabled: bool = True, voice_dir: Path | None = None,
                 runner: Callable[[list[str], float], bool] = _run) -> None:
        self.enabled = enabled
        self.voice_dir = voice_dir
        self._runner = runner
        self._espeak = shutil.which("espeak-ng")
        self._aplay = shutil.which("aplay")
        self._queue: queue.Queue[Utterance | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._broken_engines: set[str] = set()
        self.history: list[Utterance] = []
        """What was handed to an engine, in order (for the status page and tests)."""
        self.dropped = 0
        self.narrator = Narrator(enabled)
        """Lesson narration (recorded clips from bundles, else espeak-ng)."""

    @property
    def engine(self) -> str:
        if self.voice_dir and self.voice_dir.is_dir() and self._aplay:
            return "recorded clips"
        if self._espeak and "espeak-ng" not in self._broken_engines:
            return "espeak-ng"
        return "silent"

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="voice", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self.narrator.stop()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=3)
            self._thread = None

    def status(self) -> list[StatusRow]:
        engine = self.engine
        state: State = "ok" if engine != "silent" else "warning"
        detail = engine + (f", {self.dropped} stale cue(s) dropped" if self.dropped else "")
        return [StatusRow("voice", str(self.voice_dir or ""), state, detail),
                StatusRow("voice", "narration", "ok" if self.narrator.engine != "silent"
                          else "warning", self.narrator.engine)]

    def say(self, key: str, text: str, lang: str) -> bool:
        """Queue a cue; returns at once. False when muted."""
        if not self.enabled or not text:
            return False
        self.start()
        self._queue.put(Utterance(key, text, lang, time.monotonic()))
        return True

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            # Drop what has gone stale behind this one: keep only the newest few.
            backlog: list[Utterance] = [item]
            while True:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    return
                backlog.append(nxt)
            self.dropped += max(0, len(backlog) - MAX_BACKLOG)
            for utt in backlog[-MAX_BACKLOG:]:
                if self.enabled:
                    self._speak(utt)

    def _speak(self, utt: Utterance) -> None:
        self.history.append(utt)
        if self.voice_dir and self._aplay:
            clip = self.voice_dir / utt.lang / f"{utt.key}.wav"
            if clip.is_file() and self._runner([self._aplay, "-q", str(clip)], 10.0):
                return
        if self._espeak and "espeak-ng" not in self._broken_engines:
            voice = ESPEAK_VOICES.get(utt.lang, "en")
            if self._runner([self._espeak, "-v", voice, "-s", "150", utt.text], 10.0):
                return
            # No sound device (or no voice data): say so once, then stay quiet.
            log.warning("espeak-ng could not speak; spoken cues are off until restart")
            self._broken_engines.add("espeak-ng")
