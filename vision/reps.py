"""The repetition state machine of one signal (one limb, or the whole body).

Why this module exists: the engine counts some exercises on one signal (the
knee angle of a squat) and others on each side separately (marching knee
raises, alternating curls: the left and the right knee take turns, so the
two sides' signals are never at rest at the same time and one combined
signal would never come back to rest). ``RepChannel`` is the counter for one
signal; the engine runs one or two of them and merges what they report.

Rules (the failure modes of simple counters, and what stops them):

- jitter at a threshold: two thresholds with a gap (rest/peak hysteresis),
  plus a range of motion from the value the person rested at (``min_range``),
  plus a minimum repetition time;
- a movement that comes back without reaching the peak is a partial, not
  counted, once it has stayed at rest for ``REST_DEBOUNCE_S`` (noise on the
  way down must not split one repetition into two);
- a repetition that takes longer than ``max_rep_s`` is dropped and the
  signal must come back to rest first (``need_rest``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from vision.exercises import SignalSpec

REST_DEBOUNCE_S = 0.25
"""A movement that comes back to rest without reaching the peak ends only after this long at rest."""
FINISH_RETURN = 2 / 3
"""At the end of a set, a repetition past its peak and this far back to rest is counted."""

Row = dict[str, float]
"""One frame's measurements kept for the form rules (see ``vision.form``)."""


@dataclass
class CompletedRep:
    """A repetition one channel has seen from rest, past the peak and back."""

    side: str
    start: float
    end: float
    peak_t: float
    peak_value: float
    rows: list[Row] = field(default_factory=list)


class RepChannel:
    """Counts repetitions of one signal (see module doc).

    ``phase``: ``ready`` (at rest), ``moving`` (left rest, peak not reached),
    ``peak`` (past the peak threshold), ``returning`` (counted at the peak,
    not yet back at rest), ``need_rest`` (must come back to rest first).
    """

    def __init__(self, signal: SignalSpec, side: str):
        self.signal = signal
        self.side = side
        self.reset("need_rest")

    def reset(self, to: str) -> None:
        """Drop the repetition in progress; ``to`` is ``need_rest`` or ``ready``."""
        self.phase = to
        self.rest_t: float | None = None
        self.rest_ref = float("nan")
        self.start_t = 0.0
        self.peak_t = 0.0
        self.peak_v = float("nan")
        self.rows: list[Row] = []
        self._rest_seen: float | None = None
        self._hidden_since: float | None = None
        self.last_value = float("nan")

    def at_rest(self, value: float) -> bool:
        return not math.isnan(value) and self.signal.at_rest(value)

    def begin(self, t: float, value: float) -> None:
        """The person is ready: this value is their resting value (NaN: not seen, taken as at rest)."""
        self.reset("ready")
        self.rest_t = t
        self.rest_ref = value

    def step(self, t: float, value: float, row: Row) -> CompletedRep | None:
        """One frame with a valid value; returns the repetition completed on it, if any."""
        sig = self.signal
        self.last_value = value
        self._hidden_since = None
        at_rest = sig.at_rest(value)
        if self.phase == "need_rest":
            if at_rest:
                self.begin(t, value)
            return None
        if self.phase in ("ready", "returning"):
            if at_rest:
                self.rest_t = t
                if self.phase == "returning" or math.isnan(self.rest_ref):
                    self.rest_ref = value
                self.rest_ref = (max(self.rest_ref, value) if sig.direction == "down"
                                 else min(self.rest_ref, value))
                self.phase = "ready"
                self.rows = []
                return None
            if self.phase == "returning":
                return None
            self.phase = "moving"
            self._rest_seen = None
            self.start_t = self.rest_t if self.rest_t is not None else t
            self.peak_v, self.peak_t = value, t
            self.rows = []
        self.rows.append(row)
        if (value < self.peak_v) if sig.direction == "down" else (value > self.peak_v):
            self.peak_v, self.peak_t = value, t
        if self.phase == "moving":
            if at_rest:
                # back without reaching the peak: a partial, once it has stayed at rest
                if self._rest_seen is None:
                    self._rest_seen = t
                if t - self._rest_seen >= REST_DEBOUNCE_S:
                    self.begin(t, value)
                return None
            self._rest_seen = None
            if t - self.start_t > sig.max_rep_s:
                self.reset("need_rest")
                return None
            ref = sig.rest if math.isnan(self.rest_ref) else self.rest_ref
            if sig.past_peak(value) and abs(value - ref) >= sig.min_range:
                self.phase = "peak"
                if sig.count_at == "peak":
                    if t - self.start_t >= sig.min_rep_s:
                        self.phase = "returning"
                        return self._completed(t)
                    self.reset("need_rest")
            return None
        # phase == "peak"
        if at_rest:
            done = t - self.start_t >= sig.min_rep_s
            rep = self._completed(t) if done else None  # too fast to be a real repetition: jitter
            self.begin(t, value)
            return rep
        if t - self.start_t > sig.max_rep_s:
            self.reset("need_rest")
        return None

    def finish(self, t: float) -> CompletedRep | None:
        """End of the set: a repetition past its peak and mostly back is counted (a coach would)."""
        sig = self.signal
        if (self.phase != "peak" or sig.count_at != "return" or math.isnan(self.last_value)
                or math.isnan(self.peak_v)):
            return None
        span = sig.rest - self.peak_v
        back = (self.last_value - self.peak_v) / span if span else 0.0
        if back >= FINISH_RETURN and t - self.start_t >= sig.min_rep_s:
            rep = self._completed(t)
            self.reset("need_rest")
            return rep
        return None

    def hidden(self, t: float, other_at_rest: bool) -> CompletedRep | None:
        """This limb is out of sight; ``other_at_rest``: the other limb is seen at rest.

        Seen from the side, the far limb vanishes behind the near one on its way
        back down. A limb past its peak that has been out of sight for
        ``REST_DEBOUNCE_S`` while the near limb stands at rest is back at rest
        too (it can only hide behind the near limb when it is beside it): the
        repetition is complete.
        """
        if self.phase != "peak":
            self._hidden_since = None
            return None
        if self._hidden_since is None:
            self._hidden_since = t
        if other_at_rest and t - self._hidden_since >= REST_DEBOUNCE_S and t - self.start_t >= self.signal.min_rep_s:
            rep = self._completed(t)
            self.reset("ready")
            self.rest_t = t
            return rep
        return None

    def progress(self, value: float) -> float:
        """0 at rest, 1 at the peak threshold (for the display)."""
        return 0.0 if math.isnan(value) else self.signal.progress(value)

    def _completed(self, t: float) -> CompletedRep:
        rep = CompletedRep(self.side, self.start_t, t, self.peak_t, self.peak_v, self.rows)
        self.rows = []
        return rep
