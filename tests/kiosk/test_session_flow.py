"""The session flow without a window: recorded traces and the simulated person through the real
engine, the flow's phases, its result with units, the single save to a real store.

``ReplayLive`` runs the engine synchronously over frames with the same pause contract as
``vision.live.LiveEngine`` (while paused nothing is counted and the repetition in progress is
dropped on resume); time is each frame's own timestamp, so every run is the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kiosk.config import DataLayout, parse_config
from kiosk.services.store import StoreService
from kiosk.session.flow import COUNTDOWN_S, Phase, SessionFlow
from sync.records import ExerciseSession
from vision.activity import HOLD, REPS_IN_TIME, TIMED, Unit
from vision.engine import Engine, EngineUpdate, SetSummary
from vision.exercises import ExerciseSpec, load_exercises
from vision.sim import SimulatedPerson
from vision.trace import Trace

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"
Frame = tuple[float, "np.ndarray | None", "np.ndarray | None", float, "bool | None"]


@pytest.fixture(scope="module")
def specs() -> dict[str, ExerciseSpec]:
    return load_exercises()


class ReplayLive:
    """The engine over recorded or simulated frames, one ``step()`` per frame."""

    def __init__(self, spec: ExerciseSpec, frames: Iterator[Frame], aspect: float = 4 / 3):
        self.engine = Engine(spec, aspect=aspect)
        self.frames = frames
        self.paused = False
        self.stopped = 0
        self.summary: SetSummary | None = None

    def step(self) -> EngineUpdate | None:
        try:
            t, lm, world, luma, others = next(self.frames)
        except StopIteration:
            return None
        if self.paused:
            return EngineUpdate(t=t, captured=t, frame=None, landmarks=lm,
                                count=self.engine.count, good_count=self.engine.good_count,
                                phase="paused", signal=None, progress=0.0, cue=None,
                                framing=None, ready=False, person_visible=lm is not None)
        return self.engine.process(t, lm, luma, others, captured=t, world=world)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.engine.interrupt()

    def stop(self) -> SetSummary:
        self.stopped += 1
        if self.summary is None:
            self.summary = self.engine.finish()
        return self.summary


def sim_frames(exercise: str, **kw: object) -> Iterator[Frame]:
    person = SimulatedPerson(exercise, realtime=False, render=False, **kw)
    for f in person:
        yield f.t, f.landmarks, f.world, 128.0, None


def trace_frames(trace: Trace) -> Iterator[Frame]:
    for f in trace.frames:
        yield f.t, f.landmarks, f.world, f.luma, f.others


class Store:
    """A real store service in a temporary directory; callbacks run on the test's thread."""

    def __init__(self, tmp_path: Path):
        self.posted: list[Callable[[], None]] = []
        cfg = parse_config("")
        self.svc = StoreService(cfg, post=self.posted.append, layout=DataLayout(tmp_path))
        self.svc.start()

    def save(self, record: ExerciseSession, on_done: Callable[[BaseException | None], None]):
        return self.svc.save_async(record, on_done)

    def settle(self) -> None:
        """Wait for queued saves, then run their callbacks here (the 'UI thread')."""
        self.svc.query_async(lambda st: None, lambda *_: None).result(10)
        while self.posted:
            self.posted.pop(0)()

    def records(self) -> list[ExerciseSession]:
        return [r for r in self.svc.store.recent("exercise_session", limit=100)
                if isinstance(r, ExerciseSession)]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path)
    yield s
    s.svc.stop()


def make_flow(spec, target, store, **kw) -> SessionFlow:
    phases: list[str] = []  # each phase the flow went through, in order

    def changed(f: SessionFlow) -> None:
        if not phases or phases[-1] != f.phase.value:
            phases.append(f.phase.value)

    flow = SessionFlow(spec, target, kiosk_id="k-test", resident="card-abc", save=store.save,
                       on_change=changed, **kw)
    flow.phases = phases
    return flow


def drive(flow: SessionFlow, live: ReplayLive, *, get_ready: bool = True,
          at: Callable[[SessionFlow, float], None] | None = None) -> list[str]:
    """Feed every frame to the flow (time = the frame's time) until it finishes or the frames
    end; ``at(flow, t)`` may tap buttons. Returns what the flow asked to say."""
    said: list[str] = []
    started = False
    while (u := live.step()) is not None:
        if not started:
            flow.start(u.t, live, get_ready=get_ready)
            started = True
        flow.update(u, u.t)
        flow.tick(u.t)
        said += [s.key for s in flow.take_speech()]
        if at is not None:
            at(flow, u.t)
        if not flow.running:
            break
    return said


def test_simulated_person_from_getting_ready_to_a_saved_result(specs, store):
    flow = make_flow(specs["squat"], 6, store)
    live = ReplayLive(specs["squat"], sim_frames("squat", reps=9, period_s=2.0, lead_in_s=5,
                                                 noise=0.0))
    said = drive(flow, live)
    assert flow.phases[:3] == ["getting_ready", "countdown", "active"]
    assert flow.phase is Phase.FINISHED and flow.count == 6
    assert said[said.index("count.3"):said.index("count.3") + 4] == ["count.3", "count.2",
                                                                        "count.1", "go"]
    assert [k for k in said if k.startswith("count.")][-6:] == [f"count.{n}" for n in range(1, 7)]
    result = flow.result
    assert result is not None and result.completed and result.reason == "target reached"
    assert result.result.value == 6 and result.result.unit is Unit.REPS
    assert live.stopped == 1 and result.summary is live.summary
    assert result.saved is None  # on its way
    store.settle()
    assert result.saved is True
    (rec,) = store.records()
    assert rec.uuid == result.record.uuid and rec.activity == "reps" and rec.completed
    assert (rec.value, rec.unit, rec.repetitions) == (6, "reps", 6)
    assert (rec.target.value, rec.target.unit) == (6, "reps")
    assert rec.resident == "card-abc" and len(rec.rep_flags) == 6
    assert 10 <= rec.duration_s <= 16  # six 2-second squats after "go"


def test_repetitions_before_go_are_not_the_sets(specs, store):
    # the simulated person starts squatting as soon as they stand still: the engine counts
    # during the 3-2-1, the flow starts from what the engine had at "go"
    flow = make_flow(specs["squat"], 50, store)
    live = ReplayLive(specs["squat"], sim_frames("squat", reps=8, period_s=1.3, lead_in_s=1.2,
                                                 noise=0.0))
    drive(flow, live)
    flow.finish(live.engine._t_last, completed=False, reason="end of test")
    before_go = live.engine.count - flow.count
    assert before_go >= 1, "the test needs repetitions during the countdown"
    assert flow.reps[0].index == before_go + 1
    assert [r.index for r in flow.reps] == list(range(before_go + 1, live.engine.count + 1))


@pytest.mark.parametrize("name", [
    "squat_crossfit_mrpose_full", "squat_randysamuel_front_a_trim", "lateral_raise_noorashraf_1",
    "jumping_jack_fitnessblender_front_trim", "bicep_curl_formfit_1",
])
def test_recorded_traces_give_the_engines_count_and_a_valid_record(specs, store, name):
    manifest = {Path(e["file"]).stem: e for e in
                json.loads((TRACES / "manifest.json").read_text(encoding="utf-8"))}
    trace = Trace.load(TRACES / f"{name}.json.gz")
    spec = specs[manifest[name]["exercise"]]
    from vision.replay import replay_trace

    engine_count = replay_trace(trace, spec).count
    flow = make_flow(spec, 50, store)
    live = ReplayLive(spec, trace_frames(trace), aspect=trace.width / trace.height)
    drive(flow, live, get_ready=False)  # a recording: measured from its first frame
    result = flow.finish(trace.frames[-1].t, completed=False, reason="end of the recording")
    assert flow.count == engine_count == result.record.repetitions
    assert result.result.value == engine_count
    store.settle()
    assert result.saved and store.records()[0].value == engine_count


def test_pause_stops_the_clock_and_the_count(specs, store):
    taps: dict[str, float] = {}

    def buttons(flow: SessionFlow, t: float) -> None:
        if flow.count == 2 and "pause" not in taps:
            taps["pause"] = t
            flow.pause(t)
        elif "pause" in taps and "resume" not in taps and t - taps["pause"] >= 6.0:
            taps["resume"] = t
            flow.resume(t)

    flow = make_flow(specs["squat"], 5, store)
    live = ReplayLive(specs["squat"], sim_frames("squat", reps=12, period_s=2.0, lead_in_s=5,
                                                 noise=0.0))
    drive(flow, live, at=buttons)
    assert "paused" in flow.phases and flow.phases.count("active") == 2
    assert flow.result.completed and flow.count == 5
    # about three squats happened while paused; none of them counted ...
    assert live.engine.count >= 5
    # ... and six seconds of pause are not measured time
    go_t = flow.result.reps[0].start - 2.0
    wall = flow.result.reps[-1].end - go_t
    assert flow.result.duration_s < wall - 5.0


def test_a_hold_measures_seconds(specs, store):
    spec = specs["single_leg_stance"]
    assert spec.kind is HOLD
    flow = make_flow(spec, 10, store)
    live = ReplayLive(spec, sim_frames("single_leg_stance", reps=1, period_s=18, lead_in_s=5,
                                       noise=0.0))
    drive(flow, live)
    result = flow.result
    assert result.completed and result.reason == "target reached"
    assert result.result.unit is Unit.SECONDS and 10 <= result.result.value < 11
    store.settle()
    (rec,) = store.records()
    assert rec.activity == "hold" and rec.unit == "s" and rec.repetitions == 0
    assert rec.value == pytest.approx(result.result.value) and rec.target.unit == "s"


def test_a_fitness_test_is_the_same_flow_with_another_kind(specs, store):
    """30-second chair stand shape: repetitions within a time limit."""
    spec = replace(specs["squat"], kind=REPS_IN_TIME)
    flow = make_flow(spec, 30, store)
    live = ReplayLive(spec, sim_frames("squat", reps=25, period_s=2.0, lead_in_s=5, noise=0.0))
    drive(flow, live)
    result = flow.result
    assert result.completed and result.reason == "target reached"
    assert 30.0 <= result.duration_s < 30.2
    go = result.reps[0].start - 0.1
    assert 12 <= result.count <= 16
    assert all(r.end <= go + 30.5 for r in result.reps)
    assert result.result.unit is Unit.REPS and result.result.value == result.count
    store.settle()
    (rec,) = store.records()
    assert rec.activity == "reps_in_time" and (rec.target.value, rec.target.unit) == (30, "s")
    assert (rec.value, rec.unit) == (result.count, "reps")


def test_a_time_limit_ends_a_timed_task_that_is_not_done(specs, store):
    """Timed up-and-go shape: no target; a safety time limit ends it, not completed."""
    spec = replace(specs["squat"], kind=TIMED)
    flow = make_flow(spec, None, store, time_limit_s=8.0)
    live = ReplayLive(spec, sim_frames("squat", reps=10, period_s=2.0, lead_in_s=5, noise=0.0))
    drive(flow, live)
    result = flow.result
    assert not result.completed and result.reason == "time limit"
    assert result.result.unit is Unit.SECONDS and result.result.value == pytest.approx(8.0, abs=0.1)
    store.settle()
    (rec,) = store.records()
    assert rec.activity == "timed" and rec.target is None and rec.unit == "s"


def test_stop_before_go_saves_nothing_and_stop_after_saves_once(specs, store):
    spec = specs["squat"]
    early = make_flow(spec, 5, store)
    live = ReplayLive(spec, sim_frames("squat", reps=5, period_s=2.0, lead_in_s=5, noise=0.0))
    u = live.step()
    early.start(u.t, live)
    early.update(u, u.t)
    assert early.stop(u.t) is None and early.phase is Phase.FINISHED and live.stopped == 1
    store.settle()
    assert store.records() == []

    flow = make_flow(spec, 10, store)
    live = ReplayLive(spec, sim_frames("squat", reps=10, period_s=2.0, lead_in_s=5, noise=0.0))
    drive(flow, live, at=lambda f, t: f.count >= 3 and f.stop(t))
    first = flow.result
    assert first is not None and not first.completed and first.count == 3
    assert flow.stop(99.0) is first and flow.abandon(99.0, "visit ended") is first
    store.settle()
    assert [r.uuid for r in store.records()] == [first.record.uuid]
    assert first.saved is True


def test_a_failed_save_is_reported_not_raised(specs):
    def broken(record, on_done):
        raise OSError("disk full")

    flow = SessionFlow(specs["squat"], 2, kiosk_id="k", resident="", save=broken)
    live = ReplayLive(specs["squat"], sim_frames("squat", reps=3, period_s=2.0, lead_in_s=5,
                                                 noise=0.0))
    drive(flow, live)
    assert flow.result.saved is False and "disk full" in flow.result.save_error
    assert flow.result.record.resident == "guest"


def test_framing_and_countdown_without_a_person(specs, store):
    flow = make_flow(specs["squat"], 5, store)
    frames = iter([(i / 30, None, None, 128.0, None) for i in range(90)])
    live = ReplayLive(specs["squat"], frames)
    said = drive(flow, live)
    assert flow.phase is Phase.GET_READY and flow.banner is not None
    assert flow.banner.kind == "framing" and flow.countdown == 0
    assert COUNTDOWN_S == 3 and "count.3" not in said


# ----- checkpoints: a session survives the process that measured it ----------------------------
def test_a_session_is_checkpointed_while_it_runs_and_recovered_once_after_a_crash(
        specs, tmp_path):
    spec = specs["squat"]
    crashed = Store(tmp_path)
    checkpoints: list[ExerciseSession] = []

    def checkpoint(record: ExerciseSession) -> None:
        checkpoints.append(record)
        crashed.svc.checkpoint_async(record)

    flow = make_flow(spec, 10, crashed, checkpoint=checkpoint)
    live = ReplayLive(spec, sim_frames("squat", reps=10, period_s=2.0, lead_in_s=5, noise=0.0))

    class Crash(Exception):
        pass

    def crash_after_4(f: SessionFlow, t: float) -> None:
        if f.count == 4:
            raise Crash  # the process dies here: no stop, no save, nothing more

    with pytest.raises(Crash):
        drive(flow, live, at=crash_after_4)
    crashed.settle()
    # checkpointed at "go", at each repetition and every couple of seconds, always one UUID
    assert [c.repetitions for c in checkpoints][:1] == [0]
    assert {c.repetitions for c in checkpoints} == {0, 1, 2, 3, 4}
    assert len({c.uuid for c in checkpoints}) == 1 and not any(c.completed for c in checkpoints)
    durations = [c.duration_s for c in checkpoints]
    assert durations == sorted(durations) and durations[-1] >= 8
    on_disk = json.loads(crashed.svc.checkpoint.path.read_text(encoding="utf-8"))
    assert on_disk["uuid"] == str(checkpoints[-1].uuid) and on_disk["repetitions"] == 4
    assert crashed.records() == []  # nothing was saved by the session itself
    crashed.svc.stop()

    restarted = Store(tmp_path)  # the next start of the kiosk
    recovered = restarted.svc.recovered
    assert recovered is not None and recovered.uuid == checkpoints[-1].uuid
    (rec,) = restarted.records()
    assert rec.uuid == checkpoints[-1].uuid and rec.repetitions == 4 and not rec.completed
    assert rec.resident == "card-abc" and rec.duration_s == checkpoints[-1].duration_s
    assert not restarted.svc.checkpoint.pending()
    row = next(r for r in restarted.svc.status() if r.name == "interrupted session")
    assert row.extra["uuid"] == str(rec.uuid)  # the maintainer page says so
    restarted.svc.stop()
    again = Store(tmp_path)  # and the one after: nothing more, nothing twice
    assert again.svc.recovered is None and len(again.records()) == 1
    again.svc.stop()


def test_a_finished_session_removes_its_checkpoint_and_a_late_recovery_keeps_the_final_record(
        specs, store):
    spec = specs["squat"]
    flow = make_flow(spec, 3, store, checkpoint=store.svc.checkpoint_async)
    live = ReplayLive(spec, sim_frames("squat", reps=5, period_s=2.0, lead_in_s=5, noise=0.0))
    last: list[ExerciseSession] = []
    drive(flow, live, at=lambda f, t: last.append(f.partial_record(t)) if f.count == 2 else None)
    store.settle()
    assert flow.result is not None and flow.result.saved and flow.result.completed
    assert not store.svc.checkpoint.pending()  # the final save removed it
    # a crash between the final save and the removal leaves an older checkpoint of the same
    # session behind: the recovery must keep the final record, not go back to the checkpoint
    store.svc.checkpoint.save(last[-1])
    assert store.svc.checkpoint.recover(store.svc.store) is not None
    (rec,) = store.records()
    assert rec.uuid == flow.result.record.uuid and rec.completed and rec.repetitions == 3
    assert not store.svc.checkpoint.pending()


def test_a_failing_checkpoint_does_not_stop_the_session(specs, store):
    def broken(record: ExerciseSession) -> None:
        raise OSError("disk full")

    flow = make_flow(specs["squat"], 3, store, checkpoint=broken)
    live = ReplayLive(specs["squat"], sim_frames("squat", reps=4, period_s=2.0, lead_in_s=5,
                                                 noise=0.0))
    drive(flow, live)
    store.settle()
    assert flow.result is not None and flow.result.completed and flow.result.saved
