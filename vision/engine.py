"""The engine: landmarks in; count, form flags, cue keys and framing keys out.

Why this module exists: this is the one code path that turns a stream of
``(time, landmarks)`` into measurements and coaching decisions, used
identically by the live facade (``vision.live``), ``kiosk analyze``, the
benches and the tests (which replay recorded traces). It has no threads, no
model and no clock of its own: time comes with each frame, so the same input
always gives the same output.

It returns keys, never texts: a framing hint carries a stable key (the name of
its voice clip) and the English msgid of the kiosk's gettext catalogues; a form
cue or a summary tip carries the key of the exercise's own texts
(``ExerciseSpec.text(key)``). How a set's result is measured (repetitions,
seconds held, ...) is the exercise's ``ActivityKind``'s business.

Per frame: track-jump check on the raw landmarks, One Euro filtering with
visibility gating, the exercise's metrics, validity (the landmarks the
exercise needs are visible and the body is plausible), the ready-pose check,
the repetition state machines (``vision.reps``: one signal, or one per side
for alternating limbs), form rules over each repetition (``vision.form``),
throttled cues and framing guidance.

Counting rules (the failure modes of simple counters, and what stops them):

- jitter near a threshold: hysteresis, range of motion and a minimum
  repetition time (``vision.reps``);
- counting while walking into position: nothing counts until the ready pose
  (e.g. standing straight, arms down) is held for ``ready.hold_s`` with the
  body not moving sideways (walking in moves it sideways);
- leaving mid-set / body not fully visible: short drop-outs are bridged; a
  longer one aborts the repetition in progress; a person gone for longer than
  ``LEAVE_S`` has to take the ready pose again; nothing counts meanwhile;
  an exercise needs only the landmark groups it measures (arm raises work
  seated or close to the camera, with the legs out of the picture);
- another body overlapping the active zone (the pose worker looks every few
  frames): counting pauses with "only one person please", the repetition in
  progress is dropped, and counting resumes with the count kept once the
  zone is clear again;
- the tracked person jumping (MediaPipe switched to someone else): the
  repetition in progress is dropped, "only one person please" is shown and the
  ready pose is needed again; the first ``TRACK_SETTLE_S`` of a track are not
  judged (the tracker settles its scale when it first finds a person);
- alternating limbs (marching, alternating curls) are counted per side; the
  two sides' repetitions that overlap in time are one repetition of both limbs;
- counts carried over between sets: ``reset_set()`` clears everything.
"""

from __future__ import annotations

import math
from collections import Counter as _Counter
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vision.activity import ActivityKind, Progress, Quantity
from vision.exercises import ExerciseSpec
from vision.filters import LandmarkFilter
from vision.form import FormJudge
from vision.metrics import (
    GROUPS,
    L_HIP,
    L_SHOULDER,
    METRICS,
    NOSE,
    R_HIP,
    R_SHOULDER,
    Body,
    Sided,
    combine,
)
from vision.reps import CompletedRep, RepChannel

MIN_VISIBILITY = 0.5
GAP_S = 0.5
"""Invalid for longer than this: the repetition in progress is aborted."""
LEAVE_S = 1.5
"""Invalid for longer than this: the person has to take the ready pose again."""
CUE_REPEAT_S = 8.0
"""The same cue is not given again within this time."""
CUE_GAP_S = 3.0
"""At most one cue per this time."""
MOTION_WINDOW_S = 0.2
"""Window over which the hip-centre speed is measured for the ready pose."""
SIDE_SWITCH_MARGIN = 0.15
"""The better-visible side is only switched when the other is this much more visible."""
DARK_LUMA = 45.0
"""Mean frame brightness (0..255) under which the picture is too dark."""
TRACK_SETTLE_S = 0.5
"""A new track is not judged for jumps this long: MediaPipe settles its scale when it first finds
a person, which looks like a jump but is not another person."""
JUMP_PAUSE_S = 1.5
"""After a jump, nothing counts and "only one person" is shown this long; then the ready pose is
needed again (the tracker may have latched on to someone or something else)."""
OTHERS_HOLD_S = 1.0
"""Another body in the active zone pauses counting until this long after it was last seen (the
worker looks every few frames)."""
MERGE_OVERLAP = 0.5
"""Per-side counting: a repetition of one side overlapping the other side's last one by this
share of the shorter is the same repetition done with both limbs (a two-arm curl)."""

FRAMING_MSGIDS: dict[str, str] = {
    "no_person": "Please stand in front of the screen",
    "too_dark": "It is too dark, please turn on a light",
    "one_person": "Only one person, please",
    "whole_body": "Your whole body must be visible",
    "step_back": "Please step back",
    "step_closer": "Please come a little closer",
    "move_left": "Please move a little to your left",
    "move_right": "Please move a little to your right",
    "hold_still": "Get into position and hold still",
}
"""Framing keys and their English msgids (translated by the kiosk's gettext catalogues;
``tests/vision/test_texts.py`` checks both catalogues have them)."""

GOOD_TIP_MSGID = "Well done, keep it up!"
"""The summary tip for a clean set when the exercise file has no ``tips.good``."""


@dataclass(frozen=True)
class Cue:
    """Something to tell the resident, as keys (never a text).

    ``key`` is stable (the name of a voice clip). The text is either the
    kiosk catalogue's translation of ``msgid`` (framing hints and generic
    messages) or the exercise's own text ``spec.text(text_key)`` (form cues
    and tips); exactly one of the two is set.
    """

    key: str
    msgid: str | None = None
    text_key: str | None = None

    @classmethod
    def framing(cls, key: str) -> Cue:
        return cls(key, msgid=FRAMING_MSGIDS[key])

    def to_json(self) -> dict[str, str | None]:
        return {"key": self.key, "msgid": self.msgid, "text_key": self.text_key}


@dataclass
class RepEvent:
    index: int
    start: float
    end: float
    peak_t: float
    peak_value: float
    flags: list[str] = field(default_factory=list)
    side: str = ""
    """``left``/``right`` for exercises counted per side, else empty."""
    view: str = ""
    """How the repetition was seen: ``front``, ``side`` or ``oblique`` (form rules depend on it)."""

    @property
    def good(self) -> bool:
        return not self.flags

    def to_json(self) -> dict:
        return {"index": self.index, "start": round(self.start, 3), "end": round(self.end, 3),
                "peak_t": round(self.peak_t, 3), "peak_value": round(self.peak_value, 2),
                "flags": list(self.flags), "good": self.good, "side": self.side, "view": self.view}


@dataclass
class EngineUpdate:
    """What the coaching screen gets for every processed frame (see ``vision.live``)."""

    t: float
    """Source time of the frame (seconds)."""
    captured: float
    """``time.monotonic()`` when the frame was captured (for latency)."""
    frame: np.ndarray | None
    """BGR picture for display only (never stored), or None."""
    landmarks: np.ndarray | None
    """``(33, 4)`` filtered normalised landmarks (x, y, z, visibility) in the source picture, or None."""
    count: int
    good_count: int
    phase: str
    """``wait_ready``, ``ready``, ``moving``, ``peak``, ``returning``, ``need_rest``, ``paused``, ``holding``."""
    signal: float | None
    """The counted signal (e.g. knee angle in degrees), for the movement chart."""
    progress: float
    """0 at rest, 1 at the repetition threshold (for a progress display)."""
    cue: Cue | None
    """A new form cue (already throttled; ``text_key`` names the exercise's text), or None."""
    framing: Cue | None
    """Framing guidance (``msgid`` for the catalogues), or None when the person is well placed."""
    ready: bool
    """The ready pose has been held and counting is on."""
    person_visible: bool
    rep: RepEvent | None = None
    """The repetition completed on this frame, if any."""
    hold_s: float = 0.0
    """Timed holds: seconds held in the current hold (or the best so far when not holding)."""
    others: bool = False
    """Another body overlaps the active zone: counting is paused."""
    valid: bool = False
    """The landmarks the exercise needs are visible and plausible on this frame."""


@dataclass
class SetSummary:
    """What the engine measured over one set."""

    exercise: str
    kind: ActivityKind
    count: int
    good_count: int
    reps: list[RepEvent]
    duration_s: float
    trace_t: list[float]
    trace_signal: list[float | None]
    """The signal over time, downsampled (about 10 per second), for the summary chart."""
    tips: list[Cue]
    """One or two tips for the summary screen (keys, see ``Cue``)."""
    hold_s: float = 0.0
    """Timed holds: the longest hold in seconds."""
    flag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def progress(self) -> Progress:
        return Progress(reps=self.count, hold_s=self.hold_s, elapsed_s=self.duration_s)

    @property
    def result(self) -> Quantity:
        """The set's result with its unit (repetitions, seconds held, ...), as the kind measures it."""
        return self.kind.result(self.progress)

    @property
    def good_ratio(self) -> float:
        return self.good_count / self.count if self.count else 0.0

    @property
    def rep_markers(self) -> list[float]:
        return [r.end for r in self.reps]

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "kind": self.kind.id,
            "result": self.result.to_json(),
            "count": self.count,
            "good_count": self.good_count,
            "good_ratio": round(self.good_ratio, 3),
            "duration_s": round(self.duration_s, 2),
            "hold_s": round(self.hold_s, 2),
            "reps": [r.to_json() for r in self.reps],
            "flag_counts": dict(self.flag_counts),
            "tips": [t.to_json() for t in self.tips],
            "trace": {"t": [round(t, 2) for t in self.trace_t],
                      "signal": [None if v is None else round(v, 2) for v in self.trace_signal],
                      "reps": [round(x, 2) for x in self.rep_markers]},
        }


class Engine:
    """Deterministic per-frame measuring and coaching for one exercise (see module doc)."""

    def __init__(self, spec: ExerciseSpec, aspect: float = 4 / 3):
        self.spec = spec
        self.aspect = aspect
        self._filter = LandmarkFilter(min_visibility=MIN_VISIBILITY)
        self._judge = FormJudge(spec)
        self._needed = sorted({spec.signal.metric, *(c.metric for c in spec.ready.conditions),
                               *self._judge.metrics})
        self._per_side = spec.signal.side == "each"
        self._group_idx = np.array([[GROUPS[g][0], GROUPS[g][-1]] for g in spec.required])
        self._bottom_ids = _bottom_landmarks(spec.required)
        self.reset_set()

    # -- set handling ------------------------------------------------------------
    def reset_set(self) -> None:
        """Start a new set: count 0, ready pose needed again, nothing carried over."""
        self.count = 0
        self.good_count = 0
        self.reps: list[RepEvent] = []
        self.phase = "wait_ready"
        sides = ("left", "right") if self._per_side else ("main",)
        self._channels = [RepChannel(self.spec.signal, s) for s in sides]
        self._ready_since: float | None = None
        self._invalid_since: float | None = None
        self._last_valid_t: float | None = None
        self._prev_raw: tuple[float, np.ndarray, float] | None = None
        self._track_since: float | None = None
        self._jump_until = -1.0
        self._others_until = -1.0
        self._motion = math.inf
        """Hip-centre speed in torso lengths per second (inf = not measured yet)."""
        self._centres: deque[tuple[float, np.ndarray, float]] = deque()
        self._last_cue_t = -1e9
        self._cue_times: dict[str, float] = {}
        self._t0: float | None = None
        self._t_last = 0.0
        self._trace_t: list[float] = []
        self._trace_v: list[float | None] = []
        self._next_trace_t = -1.0
        self._hold_start: float | None = None
        self._hold_rest_since: float | None = None
        self._hold_rows: list[dict[str, float]] = []
        self.best_hold = 0.0
        self._flag_counts: _Counter[str] = _Counter()
        self._side: str | None = None
        self._last_value = float("nan")
        self._last_counted: CompletedRep | None = None
        self._salvaged: RepEvent | None = None
        self._filter.reset()

    def interrupt(self) -> None:
        """Pause/resume or a lost worker: drop the repetition in progress, keep the count."""
        if self.phase != "wait_ready":
            self._abort(to="need_rest")
        self._filter.reset()
        self._prev_raw = None
        self._track_since = None
        self._centres.clear()
        self._motion = math.inf

    # -- helpers -----------------------------------------------------------------
    def _measure(self, body: Body) -> dict[str, Sided]:
        return {m: METRICS[m](body) for m in self._needed}

    def _value(self, meas: dict[str, Sided], metric: str, side: str) -> tuple[float, float]:
        return combine(meas[metric], side, MIN_VISIBILITY)

    def _signal_value(self, meas: dict[str, Sided]) -> tuple[float, float]:
        """The counted signal; ``best`` keeps its side unless the other is clearly better seen.

        Without this stickiness two similarly visible legs (a side view) make
        the signal hop between them, which looks like a repetition ending.
        For per-side counting this is the side furthest into a repetition
        (for the display only).
        """
        sig = self.spec.signal
        lv, rv, vl, vr = meas[sig.metric]
        if self._per_side:
            cands = [(v, vis) for v, vis in ((lv, vl), (rv, vr))
                     if vis >= MIN_VISIBILITY and not math.isnan(v)]
            if not cands:
                return (lv, vl) if vl >= vr else (rv, vr)
            return max(cands, key=lambda c: sig.progress(c[0]))
        if sig.side != "best":
            return self._value(meas, sig.metric, sig.side)
        cur = self._side
        if cur is None:
            cur = "left" if vl >= vr else "right"
        elif cur == "left" and (vl < MIN_VISIBILITY or vr > vl + SIDE_SWITCH_MARGIN):
            cur = "right"
        elif cur == "right" and (vr < MIN_VISIBILITY or vl > vr + SIDE_SWITCH_MARGIN):
            cur = "left"
        self._side = cur
        return (lv, vl) if cur == "left" else (rv, vr)

    def _channel_values(self, meas: dict[str, Sided], value: float, vis: float) -> list[float]:
        """The value each channel counts on (NaN where that side is not visible)."""
        if not self._per_side:
            return [value if vis >= MIN_VISIBILITY else float("nan")]
        lv, rv, vl, vr = meas[self.spec.signal.metric]
        return [lv if vl >= MIN_VISIBILITY else float("nan"), rv if vr >= MIN_VISIBILITY else float("nan")]

    def _anchor(self, raw: np.ndarray) -> tuple[np.ndarray, float] | None:
        """A point that moves with the whole body and a body length, from the raw landmarks.

        The hip centre and the trunk length when the hips are in view; else the
        shoulder centre and the shoulder width (seated, or close to the camera).
        """
        ls, rs, lh, rh = (raw[i].tolist() for i in (L_SHOULDER, R_SHOULDER, L_HIP, R_HIP))
        sh_ok = ls[3] >= MIN_VISIBILITY and rs[3] >= MIN_VISIBILITY
        hip_ok = lh[3] >= MIN_VISIBILITY and rh[3] >= MIN_VISIBILITY
        k = self.aspect
        if sh_ok and hip_ok:
            sx, sy = (ls[0] + rs[0]) / 2 * k, (ls[1] + rs[1]) / 2
            hx, hy = (lh[0] + rh[0]) / 2 * k, (lh[1] + rh[1]) / 2
            return np.array([hx, hy]), max(math.hypot(sx - hx, sy - hy), 1e-4)
        if sh_ok:
            width = math.hypot((ls[0] - rs[0]) * k, ls[1] - rs[1])
            # shoulder width is about 0.7 of the trunk length facing the camera
            return np.array([(ls[0] + rs[0]) / 2 * k, (ls[1] + rs[1]) / 2]), max(width / 0.7, 1e-4)
        return None

    def _jumped(self, t: float, raw: np.ndarray) -> bool:
        """True when the tracked body moved or changed size impossibly fast (another person)."""
        a = self._anchor(raw)
        if a is None:
            return False
        centre, length = a
        prev = self._prev_raw
        self._prev_raw = (t, centre, length)
        if prev is None or not 0 < t - prev[0] <= GAP_S:
            self._track_since = t  # a new track (or one back after a real absence)
            return False
        if self._track_since is None or t - self._track_since < TRACK_SETTLE_S:
            return False
        pt, pc, plen = prev
        dt = t - pt
        # across a short drop-out the body may have moved a little (a brisk step is about
        # 2 body lengths per second), never across the picture or to another size
        move = math.hypot(float(centre[0] - pc[0]), float(centre[1] - pc[1])) / max(length, plen)
        scale = max(length, plen) / max(min(length, plen), 1e-6)
        return move > 0.5 + 2.0 * max(0.0, dt - 0.1) or scale > 1.5

    def _framing(self, t: float, lm: np.ndarray | None, luma: float, valid: bool) -> Cue | None:
        cue = Cue.framing
        if luma < DARK_LUMA:
            return cue("too_dark")
        if lm is None:
            return cue("no_person")
        if t < self._jump_until or t < self._others_until:
            return cue("one_person")
        ys = lm[:, 1].tolist()
        top = min((y for y in (ys[NOSE], ys[L_SHOULDER], ys[R_SHOULDER]) if y == y), default=0.5)
        bottom = max((ys[i] for i in self._bottom_ids if ys[i] == ys[i]), default=0.5)
        if not self._groups_visible(lm):
            if top < 0.03 and bottom > 0.97 or (bottom - top) > 0.92:
                return cue("step_back")
            return cue("whole_body")
        xs, vis = lm[:, 0].tolist(), lm[:, 3].tolist()
        ids = [L_SHOULDER, R_SHOULDER]
        if vis[L_HIP] >= MIN_VISIBILITY and vis[R_HIP] >= MIN_VISIBILITY:
            ids += [L_HIP, R_HIP]
        seen = [xs[i] for i in ids if xs[i] == xs[i]]
        cx = sum(seen) / len(seen) if seen else 0.5
        # The camera faces the person: the left of the picture is the person's right.
        if cx < 0.25:
            return cue("move_left")
        if cx > 0.75:
            return cue("move_right")
        if "ankles" in self.spec.required and (bottom - top) < 0.3:
            return cue("step_closer")
        if not valid:
            return cue("whole_body")
        if self.phase == "wait_ready":
            return cue("hold_still")
        return None

    def _cue_for(self, t: float, flags: list[str]) -> Cue | None:
        if t - self._last_cue_t < CUE_GAP_S:
            return None
        for rule in self.spec.form:
            if rule.key in flags and t - self._cue_times.get(rule.key, -1e9) >= CUE_REPEAT_S:
                self._cue_times[rule.key] = t
                self._last_cue_t = t
                return Cue(rule.key, text_key=rule.cue_key)
        return None

    # -- the per-frame step ------------------------------------------------------------
    def process(self, t: float, landmarks: np.ndarray | None, luma: float = 128.0,
                others: bool | None = None, captured: float = 0.0,
                frame: np.ndarray | None = None, world: np.ndarray | None = None) -> EngineUpdate:
        spec = self.spec
        sig = spec.signal
        if self._t0 is None:
            self._t0 = t
        self._t_last = t
        if others:
            self._others_until = t + OTHERS_HOLD_S
        lm = None
        value = float("nan")
        vis = 0.0
        valid = False
        jumped = False
        meas: dict[str, Sided] = {}
        if landmarks is not None:
            raw = np.asarray(landmarks, dtype=np.float64)
            jumped = self._jumped(t, raw)
            if jumped:
                self._filter.reset()
                self._centres.clear()
                if self.phase == "wait_ready":
                    # not counting yet: the ready pose (held still) starts over, which is
                    # all the protection needed (and the tracker settles in these frames)
                    jumped = False
                    self._ready_since = None
                else:
                    self._jump_until = t + JUMP_PAUSE_S
            lm = self._filter(raw, t)
            body = Body.from_landmarks(lm, self.aspect, self._filter.world(world, t))
            meas = self._measure(body)
            value, vis = self._signal_value(meas)
            valid = (self._groups_visible(lm) and vis >= MIN_VISIBILITY and not math.isnan(value)
                     and self._plausible(body))
            self._update_motion(t, raw)
        else:
            # the last body seen is kept: one that comes back elsewhere after a short
            # drop-out is judged as a jump
            self._centres.clear()
            self._motion = math.inf

        rep: RepEvent | None = None
        self._salvaged = None
        if jumped or t < self._jump_until:
            valid = False
            if jumped:
                self._abort(to="wait_ready")
        paused = t < self._others_until
        if paused and valid:
            # another body in the active zone: no counting, nothing in progress, the count kept
            if self.phase not in ("wait_ready", "need_rest"):
                self._abort(to="need_rest")
            self._invalid_since = None
            self._last_valid_t = t
        elif not valid:
            if self._invalid_since is None:
                self._invalid_since = t
            gone = t - self._invalid_since
            if gone >= LEAVE_S or landmarks is None and gone >= GAP_S:
                if self.phase != "wait_ready":
                    self._abort(to="wait_ready")
            elif gone >= GAP_S and self._in_progress():
                self._abort(to="need_rest")
        else:
            self._invalid_since = None
            self._last_valid_t = t
            self._last_value = value
            rep = self._step(t, value, vis, meas)

        rep = rep or self._salvaged
        if t >= self._next_trace_t:
            self._trace_t.append(round(t - (self._t0 or 0.0), 3))
            self._trace_v.append(None if not valid else float(value))
            self._next_trace_t = t + 0.1

        framing = self._framing(t, lm, luma, valid)
        cue = None
        if rep is not None and rep.flags:
            cue = self._cue_for(t, rep.flags)
        hold_now = 0.0
        if spec.kind.holds:
            hold_now = (t - self._hold_start) if self._hold_start is not None else self.best_hold
        return EngineUpdate(
            t=t, captured=captured, frame=frame, landmarks=lm, count=self.count,
            good_count=self.good_count, phase="paused" if paused else self._phase_now(),
            signal=None if math.isnan(value) else float(value),
            progress=0.0 if math.isnan(value) else sig.progress(value),
            cue=cue, framing=framing, ready=self.phase not in ("wait_ready",),
            person_visible=landmarks is not None, rep=rep, hold_s=hold_now,
            others=paused, valid=valid,
        )

    def _in_progress(self) -> bool:
        return self.phase == "holding" or any(c.phase in ("moving", "peak") for c in self._channels)

    def _phase_now(self) -> str:
        """The engine's phase, or the phase of the channel furthest into a repetition."""
        if self.phase != "counting":
            return self.phase
        order = ("peak", "moving", "returning", "ready", "need_rest")
        return min((c.phase for c in self._channels), key=order.index)

    def _update_motion(self, t: float, raw: np.ndarray) -> None:
        """Sideways body speed (body lengths per second) over the last ``MOTION_WINDOW_S``.

        Measured on the raw landmarks over a window (not frame to frame, which
        is all jitter, and not on the filtered ones, which lag when a person
        appears). Sideways only: walking into position moves the hips across
        the picture (a slow walk, 0.6 m/s, is over 1 torso length per second),
        while squatting, jumping or raising the arms moves them up and down.
        """
        a = self._anchor(raw)
        if a is None:
            self._centres.clear()
            self._motion = math.inf
            return
        centre, length = a
        self._centres.append((t, centre, length))
        while len(self._centres) > 2 and t - self._centres[1][0] >= MOTION_WINDOW_S:
            self._centres.popleft()
        t0, c0, _ = self._centres[0]
        if t - t0 < MOTION_WINDOW_S - 0.01:
            self._motion = math.inf  # not watched long enough to say the person is still
            return
        self._motion = abs(float(centre[0] - c0[0])) / length / (t - t0)

    def _groups_visible(self, lm: np.ndarray) -> bool:
        """Every landmark group the exercise needs is visible on at least one side.

        Seen from the side, the far limbs are hidden behind the body; the
        metric's own side choice (``best``, ``min``, ...) then uses the near one.
        """
        seen = lm[self._group_idx, 3] >= MIN_VISIBILITY  # (groups, 2): left/right
        return bool(seen.any(axis=1).all())

    def _plausible(self, body: Body) -> bool:
        """Reject bodies that cannot be right (a rack or a plate taken for a person).

        Only what is in view is checked: without the hips (seated, close up)
        there is nothing to compare the shoulders with.
        """
        if not body.seen(L_SHOULDER, R_SHOULDER, L_HIP, R_HIP):
            return True
        p = body.p
        sh_y = (p[L_SHOULDER, 1] + p[R_SHOULDER, 1]) / 2
        hip_y = (p[L_HIP, 1] + p[R_HIP, 1]) / 2
        torso = body.torso()
        if sh_y > hip_y - 0.3 * torso and self.spec.upright:
            return False  # shoulders must be above the hips
        if sh_y > hip_y:
            return False
        if "ankles" in self.spec.required:
            l_ank, r_ank = _ANKLES
            ank = [p[i, 1] for i in (l_ank, r_ank) if body.vis[i] >= MIN_VISIBILITY]
            if ank and sum(ank) / len(ank) < hip_y + 0.2 * torso:
                return False  # ankles must be below the hips
        return True

    def _abort(self, to: str) -> None:
        """Drop what is in progress; ``to`` is ``wait_ready`` (ready pose again) or ``need_rest``."""
        if self.spec.kind.holds and self._hold_start is not None:
            self._salvaged = self._end_hold(self._last_valid_t or self._t_last)
        elif self.phase == "counting":
            # a repetition past its peak and mostly back when the person was lost (or
            # another body stepped in) was done: count it, as at the end of a set
            for c in self._channels:
                done = c.finish(self._last_valid_t or self._t_last)
                if done is not None:
                    self._salvaged = self._count(done) or self._salvaged
        if to == "wait_ready":
            self.phase = "wait_ready"
        elif self.phase != "wait_ready":
            self.phase = "need_rest" if self.spec.kind.holds else "counting"
        for c in self._channels:
            c.reset("need_rest")
        self._ready_since = None

    def _ready_ok(self, meas: dict[str, Sided]) -> bool:
        for c in self.spec.ready.conditions:
            v, vis = self._value(meas, c.metric, c.side)
            if vis < MIN_VISIBILITY or not c.ok(v):
                return False
        return True

    def _step(self, t: float, value: float, vis: float, meas: dict[str, Sided]) -> RepEvent | None:
        if self.phase == "wait_ready":
            # The ready pose must hold for hold_s, and the body must have stayed
            # still over (the last part of) that time: walking in is not ready.
            if self._ready_ok(meas):
                if self._ready_since is None:
                    self._ready_since = t
                if (t - self._ready_since >= self.spec.ready.hold_s - 1e-6
                        and self._motion <= self.spec.ready.max_motion):
                    self.phase = "ready" if self.spec.kind.holds else "counting"
                    # a limb hidden now (the far leg from the side) is taken to be at rest
                    # with the rest of the body: it may come into view already moving
                    values = self._channel_values(meas, value, vis)
                    for c, v in zip(self._channels, values, strict=True):
                        c.begin(t, v)
            else:
                self._ready_since = None
            return None
        if self.spec.kind.holds:
            return self._step_hold(t, value, meas)
        row = self._judge.row(t, value, meas)
        out: RepEvent | None = None
        values = self._channel_values(meas, value, vis)
        for i, (c, v) in enumerate(zip(self._channels, values, strict=True)):
            if math.isnan(v):
                if self._per_side:
                    other = values[1 - i]
                    done = c.hidden(t, not math.isnan(other) and self.spec.signal.at_rest(other))
                    if done is not None:
                        out = self._count(done) or out
                continue
            done = c.step(t, v, row)
            if done is not None:
                out = self._count(done) or out
        return out

    def _count(self, done: CompletedRep) -> RepEvent | None:
        """Count a channel's repetition, unless it is the other side's repetition done together."""
        last = self._last_counted
        if last is not None and last.side != done.side:
            overlap = min(last.end, done.end) - max(last.start, done.start)
            shorter = min(last.end - last.start, done.end - done.start)
            if shorter > 0 and overlap >= MERGE_OVERLAP * shorter:
                return None  # both limbs at once: already counted
        flags, view = self._judge.judge(done.rows, done.side)
        self.count += 1
        if not flags:
            self.good_count += 1
        self._flag_counts.update(flags)
        ev = RepEvent(self.count, done.start, done.end, done.peak_t, done.peak_value, flags,
                      side=done.side if self._per_side else "", view=view)
        self.reps.append(ev)
        self._last_counted = done
        return ev

    # -- timed holds ----------------------------------------------------------------
    def _step_hold(self, t: float, value: float, meas: dict[str, Sided]) -> RepEvent | None:
        sig = self.spec.signal
        at_rest, past_peak = sig.at_rest(value), sig.past_peak(value)
        if self.phase == "need_rest":
            if at_rest:
                self.phase = "ready"
            return None
        if self._hold_start is None:
            if past_peak:
                self._hold_start = t
                self._hold_rest_since = None
                self.phase = "holding"
                self._hold_rows = []
            return None
        self._hold_rows.append(self._judge.row(t, value, meas))
        if at_rest:
            if self._hold_rest_since is None:
                self._hold_rest_since = t
            hold = self.spec.hold
            if hold is not None and t - self._hold_rest_since > hold.grace_s:
                return self._end_hold(self._hold_rest_since)
        else:
            self._hold_rest_since = None
        return None

    def _end_hold(self, end: float) -> RepEvent | None:
        start = self._hold_start
        self._hold_start = None
        self._hold_rest_since = None
        self.phase = "ready"
        rows, self._hold_rows = self._hold_rows, []
        hold = self.spec.hold
        if start is None or hold is None:
            return None
        dur = end - start
        if dur < hold.min_s:
            return None
        self.best_hold = max(self.best_hold, dur)
        return self._count(CompletedRep("main", start, end, start, float("nan"), rows))

    def progress(self) -> Progress:
        """What has been measured so far in this set."""
        dur = (self._t_last - self._t0) if self._t0 is not None else 0.0
        hold = self.best_hold
        if self._hold_start is not None:
            hold = max(hold, self._t_last - self._hold_start)
        return Progress(reps=self.count, hold_s=hold, elapsed_s=max(0.0, dur))

    def finish(self) -> SetSummary:
        """End of the set: close an open hold, count a last repetition that is mostly back; summarise."""
        if self.spec.kind.holds and self._hold_start is not None:
            self._end_hold(self._t_last)
        if self.spec.kind.counts_reps and self.phase == "counting":
            for c in self._channels:
                done = c.finish(self._t_last)
                if done is not None:
                    self._count(done)
        tips: list[Cue] = []
        for key, _n in self._flag_counts.most_common(2):
            if self.spec.has_text(f"tip.{key}"):
                tips.append(Cue(f"tip.{key}", text_key=f"tip.{key}"))
            else:
                rule = next((r for r in self.spec.form if r.key == key), None)
                if rule:
                    tips.append(Cue(rule.key, text_key=rule.cue_key))
        if not tips:
            if self.spec.has_text("tip.good"):
                tips.append(Cue("tip.good", text_key="tip.good"))
            else:
                tips.append(Cue("tip.good", msgid=GOOD_TIP_MSGID))
        dur = (self._t_last - self._t0) if self._t0 is not None else 0.0
        return SetSummary(
            exercise=self.spec.name, kind=self.spec.kind, count=self.count,
            good_count=self.good_count,
            reps=list(self.reps), duration_s=max(0.0, dur), trace_t=list(self._trace_t),
            trace_signal=list(self._trace_v), tips=tips, hold_s=self.best_hold,
            flag_counts=dict(self._flag_counts),
        )


_ANKLES = (GROUPS["ankles"][0], GROUPS["ankles"][1])
_BOTTOM_ORDER = ("ankles", "knees", "hips", "wrists", "elbows", "shoulders", "head")


def _bottom_landmarks(required: tuple[str, ...]) -> list[int]:
    """The lowest landmark group the exercise needs (what must fit at the bottom of the picture)."""
    for g in _BOTTOM_ORDER:
        if g in required:
            return list(GROUPS[g])
    return [L_HIP, R_HIP]
