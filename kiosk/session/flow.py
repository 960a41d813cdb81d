"""One coached activity session as a state machine, free of Kivy.

Why this module exists: the steps of a session (get ready, 3-2-1, the
measured part, pause, finished), the result it builds and the single save
are the same whether a resident does ten squats, holds a one-leg stance or
takes a 30-second chair-stand test; they must not live in a screen, where
they cannot be tested without a window. ``SessionFlow`` is driven by three
inputs: the engine's updates (``update``), the passing of time (``tick``)
and the resident's taps (``pause``, ``resume``, ``stop``, ``abandon``). The
coaching screen forwards those and draws the flow's state; the tests drive
it with recorded traces and the simulated person.

What is measured comes from the engine and is never recounted here: the
count is the engine's count minus what it had counted before "go"; the hold
is the engine's longest hold. The activity kind (``vision.activity``) says
what the result is, what the target means and when the session is done. A
``time_limit_s`` ends any kind of session after that much measured time
(fitness tests: repetitions within 30 s, a stance held up to 30 s, a safety
stop for a timed task).

Time is passed in (``now``, seconds on any monotonic clock), so replaying a
trace with its own timestamps gives the same session every time.
Saving is asynchronous: ``save(record, on_done)`` must return at once (the
store service runs it on its own thread) and call ``on_done(error_or_None)``
on the thread that drives the flow.

While the session is measured, ``checkpoint(record)`` (optional, must also
return at once) is handed the record as it would be if the session ended now
(``completed=False``, the same UUID as the final record): at "go", at every
repetition, at pause and resume, and every ``CHECKPOINT_EVERY_S`` of the
session. The store service writes it to disk, so a crash or a frozen UI
loses at most those few seconds (``kiosk/system/checkpoint.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from kiosk.i18n import N_
from kiosk.session.record import HeartRateLog, SessionFacts, build_record
from sync.records import ExerciseSession
from vision.activity import ActivityKind, Progress, Quantity
from vision.engine import Cue, EngineUpdate, RepEvent, SetSummary
from vision.exercises import ExerciseSpec

log = logging.getLogger(__name__)

COUNTDOWN_S = 3
GO_SHOWN_S = 1.0
CHECKPOINT_EVERY_S = 2.0
"""Besides every repetition, pause and resume: the session is checkpointed this often."""
FRAMING_REPEAT_S = 6.0
"""The same framing hint is not spoken again within this time."""

STAND_HERE = Cue("stand_here", msgid=N_("Please stand in front of the screen"))
STAND_STILL = Cue("stand_still", msgid=N_("Stand still in the starting position"))
GO = N_("Go!")


class Phase(StrEnum):
    IDLE = "idle"
    GET_READY = "getting_ready"
    COUNTDOWN = "countdown"
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"


RUNNING = (Phase.GET_READY, Phase.COUNTDOWN, Phase.ACTIVE, Phase.PAUSED)


class Live(Protocol):
    """The measuring side (``vision.live.LiveEngine`` or a replay): paused while the flow
    is paused, stopped (returning the engine's summary) when the session ends."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> SetSummary: ...


SaveFn = Callable[[ExerciseSession, Callable[[BaseException | None], None]], object]
CheckpointFn = Callable[[ExerciseSession], object]


@dataclass(frozen=True)
class Banner:
    cue: Cue
    kind: str
    """``framing`` (where to stand) or ``cue`` (form advice)."""


@dataclass(frozen=True)
class Say:
    """Something to speak: ``key`` names a recorded clip; the text is the cue's, or the
    number said in the resident's language, or the catalogue's ``msgid``."""

    key: str
    cue: Cue | None = None
    number: int | None = None
    msgid: str | None = None


@dataclass
class SessionResult:
    """What the summary screen shows and the record stores."""

    spec: ExerciseSpec
    target: float | None
    result: Quantity
    reps: list[RepEvent]
    hold_s: float
    duration_s: float
    completed: bool
    reason: str
    summary: SetSummary | None
    record: ExerciseSession | None
    saved: bool | None = None
    """None while the save is on its way, then True or False."""
    save_error: str = ""

    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def good(self) -> int:
        return sum(1 for r in self.reps if r.good)


@dataclass
class _Clock:
    active_since: float | None = None
    active_before: float = 0.0

    def start(self, now: float) -> None:
        self.active_since = now

    def stop(self, now: float) -> None:
        if self.active_since is not None:
            self.active_before += max(0.0, now - self.active_since)
            self.active_since = None

    def elapsed(self, now: float) -> float:
        running = max(0.0, now - self.active_since) if self.active_since is not None else 0.0
        return self.active_before + running


@dataclass
class SessionFlow:
    """One session of ``spec`` towards ``target`` (see the module doc)."""

    spec: ExerciseSpec
    target: float | None
    kiosk_id: str
    resident: str
    save: SaveFn
    time_limit_s: float | None = None
    on_change: Callable[[SessionFlow], None] | None = None
    """Called after every change of phase and when the save has finished."""
    checkpoint: CheckpointFn | None = None
    """Handed the session as it stands while it is measured (see the module doc)."""

    phase: Phase = Phase.IDLE
    countdown: int = 0
    """3, 2, 1 during the countdown."""
    go_until: float | None = None
    banner: Banner | None = None
    count: int = 0
    hold_s: float = 0.0
    reps: list[RepEvent] = field(default_factory=list)
    result: SessionResult | None = None
    heart_rate: HeartRateLog = field(default_factory=HeartRateLog)
    last_update_captured: float | None = None
    """Capture time of the frame whose repetition was just counted (for latency)."""

    def __post_init__(self) -> None:
        self._speech: list[Say] = []
        self._clock = _Clock()
        self._base_count = 0
        self._countdown_next = 0.0
        self._last_framing: tuple[str, float] = ("", float("-inf"))
        self._live: Live | None = None
        self._facts: SessionFacts | None = None
        self._engine_count = 0
        self._last_rep_index = 0
        self._last_checkpoint = float("-inf")

    # ----- what the screen reads ------------------------------------------------------
    @property
    def kind(self) -> ActivityKind:
        return self.spec.kind

    @property
    def running(self) -> bool:
        return self.phase in RUNNING

    @property
    def measuring(self) -> bool:
        """The measured part has begun (after "go"), paused or not."""
        return self.phase in (Phase.ACTIVE, Phase.PAUSED)

    def elapsed_s(self, now: float) -> float:
        """Measured time so far (pauses excluded)."""
        return self._clock.elapsed(now)

    def progress(self, now: float) -> Progress:
        return Progress(reps=self.count, hold_s=self.hold_s, elapsed_s=self.elapsed_s(now))

    def fraction(self, now: float) -> float:
        """0..1 for the progress ring (time used for a time limit)."""
        return self.kind.fraction(self.progress(now), self.target)

    def good_count(self) -> int:
        return sum(1 for r in self.reps if r.good)

    def take_speech(self) -> list[Say]:
        out, self._speech = self._speech, []
        return out

    # ----- inputs ----------------------------------------------------------------------
    def start(self, now: float, live: Live | None = None, get_ready: bool = True) -> None:
        """Begin: get ready (a person in front of a camera), or measure at once (a recording)."""
        if self.phase is not Phase.IDLE:
            raise RuntimeError(f"a session can start once (it is {self.phase})")
        self._live = live
        self._set(Phase.GET_READY)
        if not get_ready:
            self._go(now, base_count=0)

    def update(self, u: EngineUpdate, now: float) -> None:
        """One engine update (in order, on the thread that drives the flow)."""
        if self.phase in (Phase.GET_READY, Phase.COUNTDOWN):
            self._engine_count = u.count  # what the engine counted before "go" is not the set
        if self.phase is Phase.GET_READY:
            self._getting_ready(u, now)
        elif self.phase is Phase.COUNTDOWN:
            if u.framing is not None:  # moved out of place: get ready again
                self.countdown = 0
                self._set(Phase.GET_READY)
                self._getting_ready(u, now)
        elif self.phase is Phase.ACTIVE:
            self._measure(u, now)

    def tick(self, now: float) -> None:
        """The passing of time: the countdown, the "go" sign, time limits."""
        if self.phase is Phase.COUNTDOWN and now >= self._countdown_next:
            if self.countdown > 1:
                self.countdown -= 1
                self._countdown_next += 1.0
                self._speech.append(Say(f"count.{self.countdown}", number=self.countdown))
                self._changed()
            else:
                self._go(now, base_count=self._engine_count)
        if self.go_until is not None and now >= self.go_until:
            self.go_until = None
            self._changed()
        if self.phase is Phase.ACTIVE:
            self._check_done(now)
        if self.measuring and now - self._last_checkpoint >= CHECKPOINT_EVERY_S:
            self._checkpoint(now)

    def add_heart_rate(self, bpm: float) -> None:
        if self.phase is Phase.ACTIVE:
            self.heart_rate.add(bpm)

    def pause(self, now: float) -> None:
        if self.phase is not Phase.ACTIVE:
            return
        self._clock.stop(now)
        if self._live is not None:
            self._live.pause()
        self._set(Phase.PAUSED)
        self._checkpoint(now)

    def resume(self, now: float) -> None:
        if self.phase is not Phase.PAUSED:
            return
        if self._live is not None:
            self._live.resume()
        self._clock.start(now)
        self._set(Phase.ACTIVE)
        self._checkpoint(now)

    def stop(self, now: float) -> SessionResult | None:
        """The resident's Stop: ends a measured session (saved, not completed); before "go"
        it just ends (nothing to save) and returns None."""
        return self.finish(now, completed=False, reason="stopped")

    def abandon(self, now: float, reason: str) -> SessionResult | None:
        """The visit ended or the screen was left: save what was measured, if anything."""
        return self.finish(now, completed=False, reason=reason)

    def finish(self, now: float, completed: bool, reason: str,
               summary: SetSummary | None = None) -> SessionResult | None:
        """End the session once: stop the engine, build the result, start the save."""
        if not self.running:
            return self.result
        was_measuring = self.measuring
        self._clock.stop(now)
        if summary is None and self._live is not None:
            try:
                summary = self._live.stop()
            except Exception:  # a broken engine must not lose the session
                log.exception("stopping the engine failed")
        self._live = None
        self.countdown = 0
        self.go_until = None
        self._set(Phase.FINISHED, notify=False)
        if not was_measuring:
            log.info("session of %s ended before it began (%s)", self.spec.name, reason)
            self._changed()
            return None
        progress = self.progress(now)
        result = SessionResult(
            spec=self.spec, target=self.target, result=self.kind.result(progress),
            reps=list(self.reps), hold_s=self.hold_s, duration_s=progress.elapsed_s,
            completed=completed, reason=reason, summary=summary, record=None)
        assert self._facts is not None
        result.record = build_record(self._facts, result.result, result.reps,
                                     result.duration_s, self.heart_rate.summary(), completed)
        self.result = result
        log.info("session of %s finished (%s): %s %s", self.spec.name, reason,
                 result.result.value, result.result.unit)
        self._changed()
        try:
            self.save(result.record, self._saved)
        except Exception as exc:  # noqa: BLE001 - shown on the summary
            self._saved(exc)
        return result

    # ----- internals ----------------------------------------------------------------------
    def partial_record(self, now: float) -> ExerciseSession | None:
        """The record this session would be if it ended now, not completed (None before "go")."""
        if self._facts is None or not self.measuring:
            return None
        progress = self.progress(now)
        return build_record(self._facts, self.kind.result(progress), list(self.reps),
                            progress.elapsed_s, self.heart_rate.summary(), completed=False)

    def _checkpoint(self, now: float) -> None:
        self._last_checkpoint = now
        if self.checkpoint is None:
            return
        try:
            record = self.partial_record(now)
            if record is not None:
                self.checkpoint(record)
        except Exception:  # a checkpoint must never stop the session
            log.exception("checkpointing the session failed")

    def _set(self, phase: Phase, notify: bool = True) -> None:
        self.phase = phase
        if notify:
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def _saved(self, error: BaseException | None) -> None:
        result = self.result
        if result is None:
            return
        result.saved = error is None
        result.save_error = "" if error is None else str(error)
        if error is not None:
            log.error("session %s could not be saved: %s", result.record and result.record.uuid,
                      error)
        self._changed()

    def _show(self, cue: Cue, kind: str) -> None:
        self.banner = Banner(cue, kind)

    def _framing(self, cue: Cue, now: float) -> None:
        self._show(cue, "framing")
        key, when = self._last_framing
        if cue.key != key or now - when > FRAMING_REPEAT_S:
            self._last_framing = (cue.key, now)
            self._speech.append(Say(cue.key, cue=cue))

    def _getting_ready(self, u: EngineUpdate, now: float) -> None:
        if u.framing is not None:
            self._framing(u.framing, now)
        elif not u.person_visible:
            self._show(STAND_HERE, "framing")
        elif not u.ready:
            self._show(STAND_STILL, "framing")
        else:
            self.banner = None
            self.countdown = COUNTDOWN_S
            self._countdown_next = now + 1.0
            self._speech.append(Say(f"count.{COUNTDOWN_S}", number=COUNTDOWN_S))
            self._set(Phase.COUNTDOWN)

    def _go(self, now: float, base_count: int) -> None:
        self._base_count = base_count
        self._last_rep_index = base_count
        self.countdown = 0
        self.go_until = now + GO_SHOWN_S
        self._speech.append(Say("go", msgid=GO))
        self._clock.start(now)
        self._facts = SessionFacts(exercise=self.spec.name, kind=self.kind, target=self.target,
                                   kiosk_id=self.kiosk_id, resident=self.resident,
                                   started_at=datetime.now(UTC))
        self._set(Phase.ACTIVE)
        self._checkpoint(now)

    def _measure(self, u: EngineUpdate, now: float) -> None:
        if u.framing is not None:
            self._framing(u.framing, now)
        elif self.banner is not None and self.banner.kind == "framing":
            self.banner = None
        if u.cue is not None:
            self._show(u.cue, "cue")
            self._speech.append(Say(u.cue.key, cue=u.cue))
        if self.kind.counts_reps and u.rep is not None and u.rep.index > self._last_rep_index:
            # a repetition before "go" is not the resident's; one seen twice counts once
            self._last_rep_index = u.rep.index
            self.reps.append(u.rep)
            self.count = max(0, u.count - self._base_count)
            self.last_update_captured = u.captured
            self._speech.append(Say(f"count.{self.count}", number=self.count))
            self._checkpoint(now)
        if self.kind.holds:
            self.hold_s = max(self.hold_s, float(u.hold_s))
        self._check_done(now)

    def _check_done(self, now: float) -> None:
        progress = self.progress(now)
        if self.kind.done(progress, self.target):
            self.finish(now, completed=True, reason="target reached")
        elif self.time_limit_s is not None and progress.elapsed_s >= self.time_limit_s:
            self.finish(now, completed=self.kind.time_limited, reason="time limit")
