"""The fitness tests measured by the engine and the timers: the simulated person taking each
test (chair stands arms crossed, seated curls, marching, one-leg stance on each leg,
up-and-go), the safety watch, and the real clips' traces timed against the hand timing."""

from __future__ import annotations

import pytest

from tests.vision.conftest import TRACES
from vision.engine import Engine, EngineUpdate
from vision.fitness_tests import (
    PROTOCOLS,
    Pose,
    SafetyWatch,
    StopReason,
    practice_spec,
    protocol_spec,
)
from vision.sim_fitness import (
    HIPS_OFF_SEAT,
    FitnessSimPerson,
    demo_pose_at,
    parse_fitness_sim_spec,
)
from vision.stance import StanceEnd, StanceTimer
from vision.trace import Trace
from vision.tug import TugPhase, TugTimer


def run(person: FitnessSimPerson, protocol_id: str, specs, limit_s: float | None = None,
        on_update=None) -> tuple[int, list[EngineUpdate]]:
    """The person through the engine with the test's spec; the count within ``limit_s``
    of the movement's start (the test's own time by default)."""
    protocol = PROTOCOLS[protocol_id]
    engine = Engine(protocol_spec(protocol, specs), aspect=person.width / person.height)
    limit = protocol.time_limit_s if limit_s is None else limit_s
    updates = []
    count_at_limit = None
    with person:
        for f in person:
            u = engine.process(f.t, f.landmarks, world=f.world)
            updates.append(u)
            if on_update is not None:
                on_update(u)
            if count_at_limit is None and limit is not None and f.t >= person.lead_in_s + limit:
                count_at_limit = u.count
    return (count_at_limit if count_at_limit is not None else engine.count), updates


def sim(test: str, **kw) -> FitnessSimPerson:
    return FitnessSimPerson(test, realtime=False, render=False, **kw)


@pytest.mark.parametrize(("stands", "period"), [(12, 2.4), (16, 1.8)])
def test_thirty_second_chair_stand_with_arms_crossed(specs, stands: int, period: float) -> None:
    person = sim("chair_stand", count=stands, period_s=period)
    count, updates = run(person, "chair_stand_30s", specs)
    assert count == stands
    assert protocol_spec(PROTOCOLS["chair_stand_30s"], specs).kind.time_limited


def test_thirty_second_arm_curl_seated(specs) -> None:
    count, updates = run(sim("arm_curl", count=14, period_s=2.0), "arm_curl_30s", specs)
    assert count == 14
    watch = SafetyWatch(PROTOCOLS["arm_curl_30s"].pose)
    assert all(watch.update(u.t, u.person_visible, u.landmarks) is None for u in updates)


def test_two_minute_step_test_counts_only_the_right_knee(specs) -> None:
    # 100 lifts, alternating, right first: 50 right-knee lifts in 100 s
    count, _ = run(sim("step_test", count=100, period_s=1.0), "step_test_2min", specs)
    assert count == 50
    spec = protocol_spec(PROTOCOLS["step_test_2min"], specs)
    assert spec.signal.side == "right" and spec.kind.time_limited
    assert spec.default_target == 120


def test_knees_not_lifted_to_the_mark_do_not_count(specs) -> None:
    person = sim("step_test", count=20, period_s=1.0)
    from vision import sim_fitness

    low = sim_fitness.Pose3D  # a march with the thighs only 40 degrees up
    original = person._pose_world

    def shallow(t: float):
        s, rep = person._cycle(t - person.lead_in_s)
        h = 40 * s
        pose = low(hip_r=h, knee_r=h) if rep % 2 == 0 else low(hip_l=h, knee_l=h)
        return sim_fitness._skeleton(pose)

    person._pose_world = shallow  # type: ignore[method-assign]
    count, _ = run(person, "step_test_2min", specs)
    assert count == 0
    person._pose_world = original  # type: ignore[method-assign]


@pytest.mark.parametrize("side", ["right", "left"])
def test_one_leg_stance_on_each_leg(specs, side: str) -> None:
    timer = StanceTimer(aspect=4 / 3)
    count, updates = run(sim("stance", hold_s=8.0, side=side), "one_leg_stance", specs,
                         on_update=lambda u: timer.update(u.t, u.landmarks))
    assert timer.end is StanceEnd.FOOT_DOWN
    assert abs(timer.hold_s() - 8.1) < 0.35  # lifted, held 8 s, set down
    assert timer.lifted == ("left" if side == "right" else "right")


def test_one_leg_stance_stops_at_thirty_seconds(specs) -> None:
    timer = StanceTimer(aspect=4 / 3)
    run(sim("stance", hold_s=40.0), "one_leg_stance", specs,
        on_update=lambda u: timer.update(u.t, u.landmarks))
    assert timer.end is StanceEnd.LIMIT and timer.hold_s() == 30.0


def test_one_leg_stance_ends_when_the_standing_foot_moves() -> None:
    import numpy as np

    timer = StanceTimer(aspect=1.0)
    lm = np.zeros((33, 4))
    lm[:, 3] = 1.0
    lm[[11, 12], 1], lm[[23, 24], 1] = 0.3, 0.6  # torso 0.3
    lm[[11, 23, 27], 0], lm[[12, 24, 28], 0] = 0.45, 0.55
    lm[27, 1], lm[28, 1] = 0.95, 0.95
    for i in range(10):
        timer.update(i / 30, lm)
    lifted = lm.copy()
    lifted[27, 1] = 0.85  # the left foot up by 1/3 torso
    for i in range(10, 100):
        timer.update(i / 30, lifted)
    hopped = lifted.copy()
    hopped[28, 0] += 0.15  # the standing foot shuffles half a torso sideways
    for i in range(100, 130):
        timer.update(i / 30, hopped)
    assert timer.end is StanceEnd.FOOT_MOVED
    assert abs(timer.hold_s() - (100 - 9.5) / 30) < 0.05


@pytest.mark.parametrize("walk_speed", [1.0, 0.7])
def test_up_and_go_phases_and_time(specs, walk_speed: float) -> None:
    person = sim("tug", walk_speed=walk_speed)
    timer = TugTimer(aspect=4 / 3)
    run(person, "up_and_go_8ft", specs, on_update=lambda u: timer.update(u.t, u.landmarks))
    assert timer.valid, timer.phases
    assert [p for _t, p in timer.phases] == [
        TugPhase.STANDING_UP, TugPhase.WALKING_OUT, TugPhase.TURNING,
        TugPhase.WALKING_BACK, TugPhase.SITTING_DOWN, TugPhase.DONE]
    assert timer.time_s is not None and abs(timer.time_s - person.tug_time_s) < 0.25


def test_up_and_go_times_from_go(specs) -> None:
    person = sim("tug")
    timer = TugTimer(aspect=4 / 3)

    def feed(u: EngineUpdate) -> None:
        if u.t >= 5.0 and timer.origin is None:
            timer.go(5.0)  # the spoken start, a second before the resident moves
        timer.update(u.t, u.landmarks)

    run(person, "up_and_go_8ft", specs, on_update=feed)
    assert timer.origin == 5.0 and timer.seated_at is not None
    assert abs(timer.time_s - (person.lead_in_s + HIPS_OFF_SEAT + person.tug_time_s - 5.0)) < 0.25


def test_standing_up_and_sitting_down_is_not_an_up_and_go(specs) -> None:
    person = sim("chair_stand", count=1, period_s=3.0)
    timer = TugTimer(aspect=4 / 3)
    run(person, "up_and_go_8ft", specs, on_update=lambda u: timer.update(u.t, u.landmarks))
    assert timer.done and not timer.valid


def test_leaving_the_picture_stops_the_test(specs) -> None:
    watch = SafetyWatch(Pose.SEATED, stop_after_s=3.0)
    person = sim("arm_curl", count=14, period_s=2.0, leave_at=12.0)
    stops = []
    run(person, "arm_curl_30s", specs,
        on_update=lambda u: stops.append((u.t, watch.update(u.t, u.person_visible, u.landmarks))))
    first = next(t for t, r in stops if r is not None)
    assert watch.stopped is StopReason.LEFT_FRAME
    # walking out takes 1.5 s and the arms and legs leave before the hips
    assert 12.0 + 1.5 + 3.0 - 1.0 <= first <= 12.0 + 1.5 + 3.0 + 0.2


def test_out_of_pose_stops_the_test_after_a_few_seconds(specs) -> None:
    watch = SafetyWatch(PROTOCOLS["arm_curl_30s"].pose)  # seated; the person stands
    stops = []
    run(sim("step_test", count=10), "step_test_2min", specs,
        on_update=lambda u: stops.append((u.t, watch.update(u.t, u.person_visible, u.landmarks))))
    first = next(t for t, r in stops if r is not None)
    assert watch.stopped is StopReason.OUT_OF_POSE and 2.9 <= first <= 3.2


def test_practice_trials_and_protocol_data(specs) -> None:
    p = PROTOCOLS["chair_stand_30s"]
    assert p.practice and practice_spec(p, specs).kind.id == "reps"
    assert practice_spec(p, specs).default_target == 2
    tug = PROTOCOLS["up_and_go_8ft"]
    assert tug.trials == 2 and tug.best == "min" and tug.practice
    assert PROTOCOLS["one_leg_stance"].sides == ("right", "left")
    for protocol in PROTOCOLS.values():
        if protocol.camera:
            assert demo_pose_at(protocol.id) is not None
            assert demo_pose_at(protocol.id)(1.0).shape == (33, 4)
    assert parse_fitness_sim_spec("simfit:tug?speed=3&leave_at=9") == {
        "test": "tug", "speed": 3.0, "leave_at": 9.0}
    with pytest.raises(ValueError, match="unknown option 'bogus'"):
        parse_fitness_sim_spec("simfit:tug?bogus=1")


# -- real clips (traces recorded with the real model) -----------------------------------------


def replay(name: str, protocol_id: str, specs, timer) -> Trace:
    tr = Trace.load(TRACES / f"{name}.json.gz")
    timer.aspect = tr.width / tr.height
    engine = Engine(protocol_spec(PROTOCOLS[protocol_id], specs), aspect=timer.aspect)
    for f in tr.frames:
        u = engine.process(f.t, f.landmarks, f.luma, f.others, world=f.world)
        timer.update(u.t, u.landmarks)
    return tr


def test_up_and_go_clip_timed_like_the_stopwatch(specs) -> None:
    # hand timing from the clip's notes: rises from 0.8 s, seated again at 6.0 s
    timer = TugTimer()
    replay("other_tug_frailtyvision_1", "up_and_go_8ft", specs, timer)
    assert timer.valid and timer.time_s is not None
    assert abs(timer.time_s - (6.0 - 0.8)) <= 0.5


def test_one_leg_stance_clip_within_a_second_of_the_hand_timing(specs) -> None:
    # the notes: the foot leaves the floor at about 0.5 s and is down at about 6.5 s
    timer = StanceTimer()
    replay("single_leg_stance_surajdubey_tree_1", "one_leg_stance", specs, timer)
    assert timer.end is StanceEnd.FOOT_DOWN
    assert abs(timer.hold_s() - 6.0) <= 1.0
