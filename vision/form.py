"""Form rules over one repetition: the view it was seen from, and the flags of the rules that can judge it.

Why this module exists: a form cue on a correct repetition misleads an older
resident, so every rule says which views it can judge (a knee caving in is
seen from the front, knees past the toes from the side) and stays silent in
the others, and also when its joints were not visible on enough frames of
the repetition. The view is classified per repetition from two independent
cues that must agree: the shoulder width in the picture (relative to the
trunk) and the turn of the body in MediaPipe's 3D world landmarks; when they
disagree the repetition counts as ``oblique`` and only rules that accept
oblique views speak.
"""

from __future__ import annotations

import math
from collections import Counter

from vision.exercises import ExerciseSpec, FormRule
from vision.metrics import combine

MIN_VISIBILITY = 0.5
MIN_RULE_FRAMES = 3
"""A rule needs its value on at least this many frames of the repetition."""
FRONT_WIDTH = 0.45
"""Shoulder width over trunk length in the picture above which the person faces the camera
(0.6-0.8 square to the camera; the value falls with the cosine of the turn: 0.45 is about 40 degrees)."""
SIDE_WIDTH = 0.3
"""... below which the person is side-on (about 60 degrees or more)."""
FRONT_YAW = 35.0
"""Turn from the camera (degrees, world landmarks) under which the view is frontal."""
SIDE_YAW = 55.0
"""Turn over which the view is from the side."""
VIEW_MAJORITY = 0.7
"""The share of a repetition's frames that must agree on a view; otherwise it is ``oblique``."""

Row = dict[str, float]


def view_of(width_ratio: float, yaw: float) -> str:
    """``front``, ``side`` or ``oblique`` for one frame (see module doc); NaN yaw: picture only."""
    if math.isnan(width_ratio):
        return "oblique"
    front2d, side2d = width_ratio > FRONT_WIDTH, width_ratio < SIDE_WIDTH
    if math.isnan(yaw):
        return "front" if front2d else "side" if side2d else "oblique"
    if front2d and yaw < FRONT_YAW:
        return "front"
    if side2d and yaw > SIDE_YAW:
        return "side"
    return "oblique"


def rep_view(rows: list[Row]) -> str:
    """The view of a repetition: what most of its frames agree on, else ``oblique``."""
    views = Counter(view_of(r["_width"], r["_yaw"]) for r in rows)
    if not views:
        return "oblique"
    view, n = views.most_common(1)[0]
    return view if n >= VIEW_MAJORITY * len(rows) else "oblique"


class FormJudge:
    """Measures what the exercise's rules need on each frame and judges a repetition's frames."""

    def __init__(self, spec: ExerciseSpec):
        self.spec = spec
        self.rules = spec.form
        metrics = {"shoulder_width_ratio", "view_yaw"}
        for r in self.rules:
            metrics.add(r.metric)
            metrics.update(c.metric for c in r.when)
        self.metrics = metrics

    def row(self, t: float, value: float, meas: dict[str, tuple[float, float, float, float]]) -> Row:
        """One frame's values: per rule its value (combined, and left/right for per-side rules)."""
        width, _, wvis, _ = meas["shoulder_width_ratio"]
        yaw, _, yvis, _ = meas["view_yaw"]
        row: Row = {"t": t, "v": value,
                    "_width": width if wvis >= MIN_VISIBILITY else float("nan"),
                    "_yaw": yaw if yvis >= MIN_VISIBILITY else float("nan")}
        for i, rule in enumerate(self.rules):
            sides = ("left", "right") if rule.side == "each" else (rule.side,)
            for side in sides:
                v, vis = combine(meas[rule.metric], side, MIN_VISIBILITY)
                row[f"r{i}{side}"] = v if vis >= MIN_VISIBILITY else float("nan")
                for j, c in enumerate(rule.when):
                    cv, cvis = combine(meas[c.metric], side if c.side == "each" else c.side, MIN_VISIBILITY)
                    row[f"r{i}{side}w{j}"] = cv if cvis >= MIN_VISIBILITY else float("nan")
        return row

    def judge(self, rows: list[Row], side: str) -> tuple[list[str], str]:
        """The flags of a repetition and its view; ``side`` is the channel's (for per-side rules)."""
        view = rep_view(rows)
        flags: list[str] = []
        if not rows:
            return flags, view
        for i, rule in enumerate(self.rules):
            if view not in rule.views:
                continue
            rs = rule.side if rule.side != "each" else (side if side in ("left", "right") else "left")
            key = f"r{i}{rs}"
            # the frames the rule can see, and that its conditions select
            frames = [r for r in rows if not math.isnan(r.get(key, float("nan")))
                      and all(c.ok(r.get(f"{key}w{j}", float("nan"))) for j, c in enumerate(rule.when))]
            if len(frames) < MIN_RULE_FRAMES:
                continue
            if rule.violated(_aggregate(rule, frames, key, rows[0]["v"])):
                flags.append(rule.key)
        return flags, view


def _aggregate(rule: FormRule, frames: list[Row], key: str, rest_value: float) -> float:
    vals = [f[key] for f in frames]
    if rule.agg == "mean":
        return sum(vals) / len(vals)
    if rule.agg == "min":
        return min(vals)
    if rule.agg == "max":
        return max(vals)
    # at_peak: the frame where the counted signal was furthest from where the repetition started
    return max(frames, key=lambda f: abs(f["v"] - rest_value))[key]
