"""SubRip (``.srt``) subtitles: a pure parser and a cue look-up for the video step.

Why this module exists: lesson videos carry zh/en subtitles as sidecar files
(Kivy's video provider plays the picture; the lesson screen draws the cue
text itself, in the resident's language and text size). Parsing happens when
a bundle is installed, so a broken file is named then, not on screen.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_TIME = re.compile(
    r"^(\d{1,2}):(\d{2}):(\d{2})[,.](\d{3})\s*-->\s*(\d{1,2}):(\d{2}):(\d{2})[,.](\d{3})\s*$")

MAX_CUES = 5000


class SubtitleError(ValueError):
    """The file is not valid SubRip; the message names the cue and line."""


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def _secs(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_srt(text: str) -> tuple[Cue, ...]:
    """Parse SubRip text into cues ordered by start time."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if not blocks:
        raise SubtitleError("no cues")
    if len(blocks) > MAX_CUES:
        raise SubtitleError(f"more than {MAX_CUES} cues")
    cues: list[Cue] = []
    line_no = 1
    for n, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if lines and lines[0].strip().isdigit():
            lines = lines[1:]
        if not lines:
            raise SubtitleError(f"cue {n}: no time line")
        m = _TIME.match(lines[0].strip())
        if not m:
            raise SubtitleError(f"cue {n}: bad time line {lines[0].strip()!r} (want 00:00:01,000 --> 00:00:02,500)")
        g = m.groups()
        start, end = _secs(*g[:4]), _secs(*g[4:])
        if end <= start:
            raise SubtitleError(f"cue {n}: ends before it starts")
        body = "\n".join(line.strip() for line in lines[1:]).strip()
        if not body:
            raise SubtitleError(f"cue {n}: no text")
        cues.append(Cue(start, end, body))
        line_no += len(lines) + 1
    cues.sort(key=lambda c: c.start_s)
    return tuple(cues)


def cue_at(cues: tuple[Cue, ...], t: float) -> str:
    """The text shown at time ``t`` (empty between cues)."""
    i = bisect_right([c.start_s for c in cues], t) - 1
    if i >= 0 and cues[i].start_s <= t < cues[i].end_s:
        return cues[i].text
    return ""


def format_srt(cues: list[Cue]) -> str:
    def ts(x: float) -> str:
        ms = int(round(x * 1000))
        h, ms = divmod(ms, 3_600_000)
        m, ms = divmod(ms, 60_000)
        s, ms = divmod(ms, 1000)
        return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"

    return "\n".join(f"{i}\n{ts(c.start_s)} --> {ts(c.end_s)}\n{c.text}\n"
                     for i, c in enumerate(cues, start=1))
