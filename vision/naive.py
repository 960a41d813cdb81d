"""The common naive counter, as a baseline for the accuracy bench.

What many open-source counters do: one joint angle on a fixed side, raw
landmarks (no smoothing, no visibility gating, no ready pose), two
thresholds, count on the way back up. The bench runs it on the same
landmarks as our coach so the comparison is fair.
"""

from __future__ import annotations

import math

from vision.exercises import ExerciseSpec
from vision.metrics import METRICS, Body, combine
from vision.trace import Trace


def naive_count(trace: Trace, spec: ExerciseSpec) -> int:
    n = spec.naive
    if n is None:
        return 0
    aspect = trace.width / max(trace.height, 1)
    low_is_down = n.down < n.up
    state = "up"
    count = 0
    for f in trace.frames:
        if f.landmarks is None:
            continue
        body = Body.from_landmarks(f.landmarks, aspect)
        v, _vis = combine(METRICS[n.metric](body), n.side)
        if math.isnan(v):
            continue
        if low_is_down:
            if v < n.down:
                state = "down"
            elif v > n.up and state == "down":
                state = "up"
                count += 1
        else:
            if v > n.down:
                state = "down"
            elif v < n.up and state == "down":
                state = "up"
                count += 1
    return count
