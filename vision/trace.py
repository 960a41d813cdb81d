"""Landmark traces: what the pose pipeline saw, frame by frame, as small JSON.

Why this module exists: ``kiosk analyze --trace FILE`` writes one, the test
suite replays recorded ones through the same coach code, and the benches can
compare counters on identical landmarks. Pictures are never part of a trace.

Format (version 1, optionally gzip-compressed when the name ends in ``.gz``)::

    {"version": 1, "clip": str, "fps": float, "width": int, "height": int,
     "landmark_ids": [0, 1, ...],      # which of the 33 landmarks are stored
     "t": [seconds, ...],
     "lm": [[x, y, z, vis, x, y, z, vis, ...] | null, ...],   # per frame
     "world": [[x, y, z, ...] | null, ...] | absent,
     "others": [true | false | null, ...],   # second person check
     "luma": [mean brightness 0..255, ...]}

Landmarks not stored come back as NaN with visibility 0.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ALL_IDS = list(range(33))


@dataclass
class TraceFrame:
    t: float
    landmarks: np.ndarray | None
    world: np.ndarray | None = None
    others: bool | None = None
    luma: float = 128.0


@dataclass
class Trace:
    clip: str
    fps: float
    width: int
    height: int
    frames: list[TraceFrame] = field(default_factory=list)

    def to_json(self, ids: list[int] | None = None, world: bool = True, digits: int = 4) -> dict:
        ids = ALL_IDS if ids is None else list(ids)

        def flat(a: np.ndarray | None, cols: int) -> list[float] | None:
            if a is None:
                return None
            sub = np.asarray(a, dtype=np.float64)[ids, :cols]
            return [round(float(v), digits) for v in sub.reshape(-1)]

        d = {
            "version": 1,
            "clip": self.clip,
            "fps": round(self.fps, 4),
            "width": self.width,
            "height": self.height,
            "landmark_ids": ids,
            "t": [round(f.t, 4) for f in self.frames],
            "lm": [flat(f.landmarks, 4) for f in self.frames],
            "others": [None if f.others is None else bool(f.others) for f in self.frames],
            "luma": [round(f.luma, 1) for f in self.frames],
        }
        if world:
            d["world"] = [flat(f.world, 3) for f in self.frames]
        return d

    def save(self, path: str | Path, **kw) -> None:
        p = Path(path)
        text = json.dumps(self.to_json(**kw), separators=(",", ":"))
        if p.name.endswith(".gz"):
            with gzip.open(p, "wt", encoding="utf-8", compresslevel=9) as fh:
                fh.write(text)
        else:
            p.write_text(text, encoding="utf-8")

    @classmethod
    def from_json(cls, d: dict) -> Trace:
        if d.get("version") != 1:
            raise ValueError(f"unknown trace version {d.get('version')!r}")
        ids = d.get("landmark_ids", ALL_IDS)
        frames = []
        worlds = d.get("world") or [None] * len(d["t"])
        for t, lm, w, o, lu in zip(d["t"], d["lm"], worlds, d["others"], d["luma"], strict=True):
            a = None
            if lm is not None:
                a = np.full((33, 4), np.nan, dtype=np.float32)
                a[:, 3] = 0.0
                a[ids] = np.asarray(lm, dtype=np.float32).reshape(len(ids), 4)
            b = None
            if w is not None:
                b = np.full((33, 3), np.nan, dtype=np.float32)
                b[ids] = np.asarray(w, dtype=np.float32).reshape(len(ids), 3)
            frames.append(TraceFrame(float(t), a, b, o, float(lu)))
        return cls(d["clip"], float(d["fps"]), int(d["width"]), int(d["height"]), frames)

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        p = Path(path)
        if p.name.endswith(".gz"):
            with gzip.open(p, "rt", encoding="utf-8") as fh:
                return cls.from_json(json.load(fh))
        return cls.from_json(json.loads(p.read_text(encoding="utf-8")))
