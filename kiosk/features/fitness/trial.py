"""One fitness test from the first trial to the stored result, free of Kivy.

Why this module exists: a fitness test is more than a coached session. It
follows its protocol (``vision.fitness_tests``): a practice trial first where
the protocol has one, then the scored trial(s) (each leg for the one-leg
stance, two for the up-and-go, the best counting); it stops itself, and
says why, when the resident leaves the picture or the test's pose; it is
timed on the camera's own clock (the frames' timestamps); and its result is
a ``fitness_test`` record with the resident's age group and sex when known.
The phases of each trial (get ready, 3-2-1, the measured part) are the
session flow's (``kiosk/session/flow.py``); this module adds the protocol.

- ``TestPlan``: the trials of one test, in order;
- ``FitnessTrial``: one trial, fed engine updates (``update``) and time
  (``tick``); the one-leg stance and the up-and-go are timed by
  ``vision.stance`` / ``vision.tug``; its ``outcome`` says what was measured
  and whether it counts;
- ``FitnessRun``: the whole test: makes the trials in order, keeps their
  outcomes, and saves the result (one record per side, the best trial),
  again when a later trial is better (same record id: an update, never a
  duplicate). A test stopped by the resident or by the safety watch stores
  nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from kiosk.session.flow import Live, Phase, SessionFlow
from kiosk.session.record import local_utc_offset_min
from sync.records import GUEST, AgeGroup, ExerciseSession, FitnessTestResult, Sex, Side
from vision.activity import Unit
from vision.engine import EngineUpdate
from vision.exercises import ExerciseSpec
from vision.fitness_tests import Protocol, SafetyWatch, StopReason, practice_spec, protocol_spec
from vision.stance import StanceTimer
from vision.tug import TugPhase, TugTimer

log = logging.getLogger(__name__)

SIDEWAYS = frozenset({"move_left", "move_right", "step_closer", "step_back"})
"""Framing hints about where one stands, which the up-and-go's path makes moot."""
PRACTICE_LIMIT_S = 20.0
"""A practice of a couple of repetitions ends after this long at the latest."""

SaveRecord = Callable[[FitnessTestResult, Callable[[BaseException | None], None]], object]


@dataclass(frozen=True)
class TrialPlan:
    practice: bool = False
    side: Side | None = None
    number: int = 1
    """1, 2, ... among the scored trials of the same side."""


def test_plan(protocol: Protocol) -> list[TrialPlan]:
    """The trials of a test: the practice (if any), then the scored ones, side by side."""
    plan: list[TrialPlan] = []
    if protocol.practice:
        plan.append(TrialPlan(practice=True))
    for side in protocol.sides or (None,):
        for n in range(1, protocol.trials + 1):
            plan.append(TrialPlan(side=side, number=n))
    return plan


@dataclass
class TrialOutcome:
    plan: TrialPlan
    value: float | None
    """Repetitions or seconds (None: nothing measured)."""
    unit: Unit
    counts: bool
    """A valid result of a scored trial (not a practice, not stopped)."""
    reason: str
    """``time limit``, ``target reached``, ``foot_down``, ``foot_moved``, ``limit``,
    ``seated``, ``not walked``, ``stopped``, or a ``StopReason`` value."""
    stop: StopReason | None = None


def _no_save(_record: ExerciseSession, done: Callable[[BaseException | None], None]) -> None:
    done(None)  # the flow's own session record is not a fitness test's: never stored


class FitnessTrial:
    """One trial (see the module doc). Time is the frames' own clock (``EngineUpdate.t``)."""

    def __init__(self, protocol: Protocol, spec: ExerciseSpec, plan: TrialPlan, kiosk_id: str,
                 stop_after_s: float = 3.0, aspect: float = 4 / 3,
                 on_change: Callable[[FitnessTrial], None] | None = None) -> None:
        self.protocol = protocol
        self.plan = plan
        self.on_change = on_change
        practice_reps = plan.practice and spec.kind.counts_reps and not spec.kind.time_limited
        limit = PRACTICE_LIMIT_S if practice_reps else protocol.time_limit_s
        target = float(spec.default_target) if spec.kind.target_unit is not None else None
        self.flow = SessionFlow(spec, target, kiosk_id=kiosk_id, resident=GUEST,
                                save=_no_save, time_limit_s=limit,
                                on_change=lambda _f: self._changed())
        self.watch = SafetyWatch(protocol.pose, stop_after_s=stop_after_s, aspect=aspect)
        self.stance = StanceTimer(aspect=aspect, limit_s=protocol.time_limit_s or 30.0) \
            if protocol.kind.holds else None
        self.tug = TugTimer(aspect=aspect) if protocol.id == "up_and_go_8ft" else None
        self.go_t: float | None = None
        self.now = 0.0
        """The latest frame time seen (the trial's clock)."""
        self.outcome: TrialOutcome | None = None
        self._ending: tuple[bool, str, StopReason | None] | None = None
        self._engine_count = 0
        """The engine's count at its latest update (its summary may add a last repetition)."""

    # -- what the screen reads --------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        return self.flow.phase

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def elapsed_s(self) -> float:
        if self.tug is not None and self.tug.origin is not None:
            return self.tug.elapsed(self.now)
        if self.stance is not None:
            return self.stance.hold_s(self.now)
        return self.flow.elapsed_s(self.now)

    def remaining_s(self) -> float | None:
        """Seconds left for a test with a time limit (None for the up-and-go)."""
        limit = self.flow.time_limit_s
        if limit is None or self.tug is not None:
            return None
        if self.stance is not None:
            return max(0.0, limit - self.stance.hold_s(self.now))
        return max(0.0, limit - self.flow.elapsed_s(self.now))

    @property
    def count(self) -> int:
        return self.flow.count

    @property
    def tug_phase(self) -> TugPhase | None:
        return self.tug.phase if self.tug is not None else None

    # -- inputs -------------------------------------------------------------------------------
    def start(self, live: Live | None) -> None:
        self.flow.start(self.now, live)

    def update(self, u: EngineUpdate) -> None:
        """One engine update (in order, on the thread that drives the trial)."""
        if self.outcome is not None:
            return
        self.now = max(self.now, u.t)
        self._engine_count = u.count
        measuring = self.flow.measuring
        if self.tug is not None and u.framing is not None and (
                measuring or u.framing.key in SIDEWAYS):
            # the chair is at one side of the picture and the walk crosses it: not a fault
            u = replace(u, framing=None)
        if measuring:
            if self.tug is not None:
                self.tug.update(u.t, u.landmarks)
            if self.stance is not None:
                self.stance.update(u.t, u.landmarks)
                u = replace(u, hold_s=self.stance.hold_s(u.t))
            stop = self.watch.update(u.t, u.person_visible, u.landmarks)
            if stop is not None:
                self._end(False, stop.value, stop)
                return
        self.flow.update(u, self.now)
        self._after_input()

    def tick(self, now: float | None = None) -> None:
        if self.outcome is not None:
            return
        if now is not None:
            self.now = max(self.now, now)
        self.flow.tick(self.now)
        self._after_input()

    def stop(self) -> None:
        """The resident's Stop: the trial ends; nothing of it counts."""
        if self.outcome is None:
            self._end(False, "stopped", None)

    def abandon(self, reason: str) -> None:
        """The visit ended or the screen was left."""
        if self.outcome is None:
            self._end(False, reason, None)

    # -- internals ----------------------------------------------------------------------------
    def _after_input(self) -> None:
        flow = self.flow
        if flow.phase is Phase.ACTIVE and self.go_t is None:
            self.go_t = self.now
            if self.tug is not None:
                self.tug.go(self.now)
        if self.outcome is not None or not flow.measuring and flow.phase is not Phase.FINISHED:
            return
        if self.tug is not None and self.tug.done:
            self._end(self.tug.valid, "seated" if self.tug.valid else "not walked", None)
        elif self.stance is not None and self.stance.done:
            assert self.stance.end is not None
            self._end(True, self.stance.end.value, None)
        elif flow.phase is Phase.FINISHED and flow.result is not None:
            r = flow.result
            ok = r.completed or (self.protocol.kind.counts_reps and r.reason == "time limit")
            self._end(ok, r.reason, None)

    def _end(self, valid: bool, reason: str, stop: StopReason | None) -> None:
        if self._ending is not None:
            return
        self._ending = (valid, reason, stop)
        flow = self.flow
        if flow.running:
            flow.finish(self.now, completed=valid, reason=reason)
        kind = self.protocol.kind
        value: float | None
        if self.tug is not None:
            value = round(self.tug.time_s, 1) if self.tug.time_s is not None else None
        elif self.stance is not None:
            value = round(self.stance.hold_s(), 1) if self.stance.started_at is not None else 0.0
        elif kind.counts_reps:
            value = float(flow.count + self._last_repetition(reason))
        else:
            value = round(flow.elapsed_s(self.now), 1)
        counts = valid and not self.plan.practice and stop is None and value is not None
        self.outcome = TrialOutcome(self.plan, value, self.protocol.unit, counts, reason, stop)
        log.info("fitness trial %s%s: %s %s (%s)", self.protocol.id,
                 " (practice)" if self.plan.practice else "", value, self.protocol.unit, reason)
        self._changed()

    def _last_repetition(self, reason: str) -> int:
        """1 when the time ran out during a repetition past its peak and mostly back.

        The protocol counts a stand (or curl) more than halfway done when the 30 s
        are up; the engine's summary counts one past its peak and mostly back down
        (``RepCounter.finish``), which the updates have not confirmed yet."""
        result = self.flow.result
        time_up = self.protocol.kind.time_limited and reason in ("target reached", "time limit")
        if not time_up or self.plan.practice or result is None or result.summary is None:
            return 0
        return 1 if result.summary.count > self._engine_count else 0

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)


@dataclass
class FitnessRun:
    """One fitness test for one resident (or a guest): its trials and its saved result."""

    protocol: Protocol
    exercises: dict[str, ExerciseSpec]
    kiosk_id: str
    resident: str
    save: SaveRecord
    age_group: AgeGroup | None = None
    sex: Sex | None = None
    stop_after_s: float = 3.0
    skip_practice: bool = False
    plan: list[TrialPlan] = field(default_factory=list)
    outcomes: list[TrialOutcome] = field(default_factory=list)
    records: dict[str | None, FitnessTestResult] = field(default_factory=dict)
    """The saved result of each side (None: a test without sides)."""
    saved: dict[str | None, bool | None] = field(default_factory=dict)
    """None while a save is on its way, then True or False."""

    def __post_init__(self) -> None:
        self.plan = [p for p in test_plan(self.protocol)
                     if not (p.practice and self.skip_practice)]
        self._ids: dict[str | None, uuid.UUID] = {}
        self.index = 0

    @property
    def current(self) -> TrialPlan | None:
        return self.plan[self.index] if self.index < len(self.plan) else None

    @property
    def done(self) -> bool:
        return self.index >= len(self.plan)

    def new_trial(self, aspect: float = 4 / 3,
                  on_change: Callable[[FitnessTrial], None] | None = None) -> FitnessTrial:
        plan = self.current
        if plan is None:
            raise RuntimeError("the test has no trial left")
        spec = (practice_spec(self.protocol, self.exercises) if plan.practice
                else protocol_spec(self.protocol, self.exercises))
        return FitnessTrial(self.protocol, spec, plan, self.kiosk_id, self.stop_after_s,
                            aspect, on_change)

    def trial_finished(self, trial: FitnessTrial) -> None:
        """Keep the trial's outcome and save the side's best result (the resident then goes
        on with ``advance`` or does the same trial again)."""
        out = trial.outcome
        if out is None:
            return
        self.outcomes.append(out)
        if out.counts:
            self._save_best(out.plan.side)

    def record_value(self, value: float) -> TrialOutcome:
        """A measurement from a station device (grip, weight) for the current trial: kept,
        the side's best saved, and on to the next trial."""
        plan = self.current
        if plan is None:
            raise RuntimeError("the test has no trial left")
        out = TrialOutcome(plan, round(float(value), 1), self.protocol.unit, True, "measured")
        self.outcomes.append(out)
        self._save_best(plan.side)
        self.advance()
        return out

    def advance(self) -> None:
        """On to the next trial of the plan."""
        self.index = min(self.index + 1, len(self.plan))

    def skip_rest(self) -> None:
        self.index = len(self.plan)

    def best(self, side: Side | None) -> TrialOutcome | None:
        good = [o for o in self.outcomes if o.counts and o.plan.side == side]
        if not good:
            return None
        pick = min if self.protocol.best == "min" else max
        return pick(good, key=lambda o: o.value or 0.0)

    def results(self) -> list[tuple[Side | None, TrialOutcome]]:
        """The best outcome of each side that has one, in the plan's order."""
        sides: list[Side | None] = list(dict.fromkeys(p.side for p in self.plan
                                                      if not p.practice))
        out: list[tuple[Side | None, TrialOutcome]] = []
        for side in sides:
            b = self.best(side)
            if b is not None:
                out.append((side, b))
        return out

    def _save_best(self, side: Side | None) -> None:
        best = self.best(side)
        if best is None or best.value is None:
            return
        uid = self._ids.setdefault(side, uuid.uuid4())
        now = datetime.now(UTC)
        record = FitnessTestResult(
            uuid=uid, kiosk_id=self.kiosk_id, resident=self.resident or GUEST,
            test=self.protocol.id, value=float(best.value), unit=str(self.protocol.unit),
            measured_at=now, utc_offset_min=local_utc_offset_min(now),
            device=self.protocol.device, age_group=self.age_group, sex=self.sex, side=side)
        self.records[side] = record
        self.saved[side] = None

        def done(err: BaseException | None, side: Side | None = side) -> None:
            self.saved[side] = err is None
            if err is not None:
                log.error("fitness result %s could not be saved: %s", record.uuid, err)

        try:
            self.save(record, done)
        except Exception as exc:  # noqa: BLE001 - shown on the result screen
            done(exc)
