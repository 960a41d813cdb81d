"""Synthetic traces for the failure modes of simple counters (no model needed).

Each test builds a landmark stream with the simulated person and bends it:
jitter at a threshold, walking into the frame, leaving mid-set, a hidden body
part, a second person / a jump of the tracked person, sets that must not
carry counts over, too-fast dips, partial repetitions.
"""

from __future__ import annotations

import math

import numpy as np

from vision.engine import CUE_REPEAT_S, Engine
from vision.sim import SimulatedPerson

ASPECT = 640 / 480


def _frames(sp: SimulatedPerson):
    sp.realtime = False
    sp.render_frames = False
    return [(f.t, f.landmarks, f.world) for f in sp]


def _run(spec, frames, others=None, luma=128.0):
    c = Engine(spec, aspect=ASPECT)
    ups = []
    for t, lm, w in frames:
        ups.append(c.process(t, lm, luma, others(t) if others else None, world=w))
    return c, ups


def test_clean_sets_count_exactly_for_every_exercise(specs):
    for name, spec in specs.items():
        sp = SimulatedPerson(name, reps=6, period_s=spec.sim.get("period_s", 2.0), noise=0.003, seed=3)
        c, _ = _run(spec, _frames(sp))
        s = c.finish()
        assert s.count == 6, (name, s.count)
        if spec.kind.holds:
            assert abs(s.hold_s - 0.8 * sp.period_s) < 0.6


def test_partial_repetitions_do_not_count(specs):
    for name, spec in specs.items():
        sp = SimulatedPerson(name, reps=5, period_s=2.0, depth=0.3, noise=0.003, seed=4)
        c, _ = _run(spec, _frames(sp))
        assert c.finish().count == 0, name


def _hover(level: float, start: float = 1.5, down_s: float = 1.0, stay_s: float = 8.0):
    """Profile: stand, go down to ``level`` (0..1), jitter there, come back up."""
    def prof(t: float):
        if t < start:
            return 0.0, 0
        if t < start + down_s:
            return level * (t - start) / down_s, 0
        if t < start + down_s + stay_s:
            return level + 0.04 * math.sin(2 * math.pi * 7.3 * t) + 0.03 * math.sin(2 * math.pi * 3.1 * t), 0
        if t < start + 2 * down_s + stay_s:
            return level * (1 - (t - start - down_s - stay_s) / down_s), 0
        return 0.0, 0
    return prof


def test_jitter_at_the_peak_threshold_counts_at_most_once(specs):
    spec = specs["squat"]
    # knee flexion 105 * s: s = 0.57 puts the knee at about 120 deg, the threshold
    sp = SimulatedPerson("squat", reps=1, period_s=12.0, lead_in_s=0.0, tail_s=0.0, noise=0.006,
                         seed=5, profile=_hover(0.57))
    c, _ = _run(spec, _frames(sp))
    assert c.finish().count <= 1


def test_jitter_at_the_rest_threshold_never_counts(specs):
    spec = specs["squat"]
    # s = 0.38: the knee at about 140 deg, the rest threshold
    sp = SimulatedPerson("squat", reps=1, period_s=12.0, lead_in_s=0.0, tail_s=0.0, noise=0.006,
                         seed=6, profile=_hover(0.38))
    c, _ = _run(spec, _frames(sp))
    assert c.finish().count == 0


def test_too_fast_dips_are_jitter_not_repetitions(specs):
    spec = specs["squat"]

    def prof(t: float):
        # a 0.2 s spike to full depth every second (a tracking glitch, not a squat)
        x = (t - 1.5) % 1.0
        return (1.0 if 1.5 <= t and x < 0.2 else 0.0), 0

    sp = SimulatedPerson("squat", reps=1, period_s=8.0, lead_in_s=0.0, tail_s=0.0, noise=0.002,
                         profile=prof)
    c, _ = _run(spec, _frames(sp))
    assert c.finish().count == 0


def test_walking_into_position_is_not_counted(specs):
    for name in ("squat", "knee_raise", "lunge"):
        spec = specs[name]
        sp = SimulatedPerson(name, reps=3, period_s=2.0, walk_in_s=2.0, lead_in_s=3.0, seed=7)
        c, ups = _run(spec, _frames(sp))
        assert c.finish().count == 3, name
        first_ready = next(u.t for u in ups if u.ready)
        assert first_ready >= 2.0, (name, first_ready)  # not while walking
        walking = [u for u in ups if u.t < 1.9]
        assert all(not u.ready for u in walking)


def test_leaving_mid_set_pauses_and_drops_the_repetition_in_progress(specs):
    spec = specs["squat"]
    sp = SimulatedPerson("squat", reps=5, period_s=2.0, lead_in_s=1.5, noise=0.002, seed=8)
    frames = [(t, None if 6.3 <= t < 9.0 else lm, None if 6.3 <= t < 9.0 else w)
              for t, lm, w in _frames(sp)]
    c, ups = _run(spec, frames)
    s = c.finish()
    # reps 1 and 2 before leaving; rep 3 (in progress) and rep 4 (half hidden) dropped; rep 5 counted
    assert s.count == 3
    assert not any(6.3 <= r.end < 9.5 for r in s.reps)
    gone = [u for u in ups if 6.3 <= u.t < 9.0]
    assert all(u.framing is not None and u.framing.key == "no_person" for u in gone)
    assert all(not u.person_visible for u in gone)


def test_body_not_fully_visible_pauses_counting(specs):
    spec = specs["squat"]
    sp = SimulatedPerson("squat", reps=5, period_s=2.0, noise=0.002, seed=9)
    frames = []
    for t, lm, w in _frames(sp):
        if 5.6 <= t < 7.4:  # rep 3: the feet are out of the picture
            lm = lm.copy()
            lm[[27, 28, 29, 30, 31, 32], 3] = 0.05
        frames.append((t, lm, w))
    c, ups = _run(spec, frames)
    assert c.finish().count == 4
    hidden = [u for u in ups if 5.7 <= u.t < 7.4]
    assert all(not u.valid for u in hidden)
    assert all(u.framing is not None and u.framing.key in ("whole_body", "step_back") for u in hidden)


def test_a_jump_of_the_tracked_person_pauses_and_warns(specs):
    spec = specs["squat"]
    sp = SimulatedPerson("squat", reps=6, period_s=2.0, noise=0.002, seed=10)
    other = SimulatedPerson("squat", reps=1, period_s=2.0, noise=0.002, seed=11)
    frames = []
    for t, lm, w in _frames(sp):
        if 6.0 <= t < 6.8:  # mid rep 3 the tracker switches to someone else further right
            lm2, w2 = other.landmarks_at(0.5)
            lm2 = lm2.copy()
            lm2[:, 0] = lm2[:, 0] * 0.7 + 0.45
            lm2[:, 1] = lm2[:, 1] * 0.7 + 0.1
            lm, w = lm2, w2
        frames.append((t, lm, w))
    c, ups = _run(spec, frames)
    s = c.finish()
    assert any(u.framing is not None and u.framing.key == "one_person" for u in ups if 6.0 <= u.t < 7.0)
    assert not any(6.0 <= r.end < 7.8 for r in s.reps)  # rep 3 is not counted
    assert 4 <= s.count <= 5  # the others are


def test_a_second_person_in_the_zone_pauses_counting_and_the_count_is_kept(specs):
    spec = specs["squat"]
    # six squats, one every 2 s from t = 1.5; another body is in the active zone during the
    # third (5.5-7.5 s): it is not counted, the others are, and counting resumes by itself
    sp = SimulatedPerson("squat", reps=6, period_s=2.0, noise=0.002, seed=12, intruder=(5.6, 7.0))
    sp.realtime = False
    sp.render_frames = False
    c = Engine(spec, aspect=ASPECT)
    ups = [c.process(f.t, f.landmarks, 128.0, f.others, world=f.world) for f in sp]
    s = c.finish()
    assert s.count == 5
    assert not any(5.6 <= r.end < 8.0 for r in s.reps)
    paused = [u for u in ups if 5.6 <= u.t < 7.9]  # paused until 1 s after it was last seen
    assert all(u.others and u.phase == "paused" for u in paused)
    assert all(u.framing is not None and u.framing.key == "one_person" for u in paused)
    counts = [u.count for u in ups]
    assert counts == sorted(counts)  # the count never goes back
    assert all(u.framing is None or u.framing.key != "one_person" for u in ups if u.t > 8.2)


def test_someone_beside_the_resident_does_not_stop_the_count(specs):
    # the worker reports False when another body is in the picture but not in the zone
    spec = specs["squat"]
    sp = SimulatedPerson("squat", reps=4, period_s=2.0, noise=0.002, seed=16)
    c, ups = _run(spec, _frames(sp), others=lambda t: False)
    assert c.finish().count == 4
    assert not any(u.others for u in ups)


def test_counts_are_not_carried_over_between_sets(specs):
    spec = specs["squat"]
    sp = SimulatedPerson("squat", reps=3, period_s=2.0, noise=0.002, seed=13)
    frames = _frames(sp)
    c = Engine(spec, aspect=ASPECT)
    for t, lm, w in frames:
        c.process(t, lm, 128.0, None, world=w)
    assert c.finish().count == 3
    c.reset_set()
    assert c.count == 0 and c.phase == "wait_ready"
    off = frames[-1][0] + 1.0
    for t, lm, w in frames[:45]:  # 1.5 s standing in the ready pose: no reps
        u = c.process(off + t, lm, 128.0, None, world=w)
    assert u.count == 0
    sp2 = SimulatedPerson("squat", reps=2, period_s=2.0, noise=0.002, seed=14)
    off2 = off + 2.0
    for t, lm, w in _frames(sp2):
        u = c.process(off2 + t, lm, 128.0, None, world=w)
    s = c.finish()
    assert s.count == 2 and [r.index for r in s.reps] == [1, 2]


def test_cues_are_throttled_and_flags_recorded(specs):
    spec = specs["squat"]
    # shallow squats (knee to about 115 deg): counted, but flagged "go lower"
    sp = SimulatedPerson("squat", reps=8, period_s=2.0, depth=0.62, noise=0.002, seed=15)
    c, ups = _run(spec, _frames(sp))
    s = c.finish()
    assert s.count == 8
    assert s.good_count == 0 and s.flag_counts.get("squat_depth") == 8
    cues = [(u.t, u.cue) for u in ups if u.cue is not None]
    assert cues and all(cue.key == "squat_depth" and spec.text(cue.text_key)["zh_CN"]
                        for _, cue in cues)
    times = [t for t, _ in cues]
    assert all(b - a >= CUE_REPEAT_S for a, b in zip(times, times[1:], strict=False))
    assert len(cues) < s.count
    assert any(tip.text_key and "低" in spec.text(tip.text_key)["zh_CN"] for tip in s.tips)


def test_framing_guidance(specs):
    spec = specs["squat"]
    sp = SimulatedPerson("squat", reps=1, period_s=2.0, noise=0.0)
    lm, w = sp.landmarks_at(0.0)
    c = Engine(spec, aspect=ASPECT)
    assert c.process(0.0, None, 128.0).framing.key == "no_person"
    assert c.process(0.1, lm, 20.0, world=w).framing.key == "too_dark"
    c = Engine(spec, aspect=ASPECT)
    left = lm.copy()
    left[:, 0] -= 0.35  # standing at the left edge of the picture = the person's right
    assert c.process(0.0, left, 128.0, world=w).framing.key == "move_left"
    c = Engine(spec, aspect=ASPECT)
    right = lm.copy()
    right[:, 0] += 0.35
    assert c.process(0.0, right, 128.0, world=w).framing.key == "move_right"
    c = Engine(spec, aspect=ASPECT)
    big = lm.copy()
    big[:, 1] = (big[:, 1] - 0.5) * 1.6 + 0.5  # too close: feet and head out of the picture
    big[:, 3] = np.where((big[:, 1] < 0) | (big[:, 1] > 1), 0.05, 0.98)
    assert c.process(0.0, big, 128.0, world=w).framing.key in ("step_back", "whole_body")
    c = Engine(spec, aspect=ASPECT)
    assert c.process(0.0, lm, 128.0, world=w).framing.key == "hold_still"


def test_summary_has_chart_trace_and_markers(specs):
    spec = specs["lateral_raise"]
    sp = SimulatedPerson("lateral_raise", reps=4, period_s=2.0, noise=0.002)
    c, _ = _run(spec, _frames(sp))
    s = c.finish()
    d = s.to_json()
    assert d["count"] == 4 and len(d["trace"]["reps"]) == 4
    assert 9 <= len(s.trace_t) / s.duration_s <= 11  # about 10 points per second
    assert s.tips and set(spec.text(s.tips[0].text_key)) == {"zh_CN", "en"}
    assert d["kind"] == "reps" and d["result"] == {"value": 4.0, "unit": "reps"}
    assert s.result.value == 4 and s.result.unit == "reps"
