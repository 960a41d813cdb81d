"""Activity kinds: each kind's result, target, end and progress (vision owns how each counts)."""

from __future__ import annotations

import pytest

from vision.activity import (
    HOLD,
    KINDS,
    REPS,
    REPS_IN_TIME,
    TIMED,
    Progress,
    Quantity,
    Unit,
    UnknownKindError,
    activity_kind,
)


def test_each_kind_reports_its_result_with_its_unit():
    p = Progress(reps=7, hold_s=12.34, elapsed_s=30.2, task_done=True)
    assert REPS.result(p) == Quantity(7.0, Unit.REPS)
    assert HOLD.result(p) == Quantity(12.3, Unit.SECONDS)
    assert REPS_IN_TIME.result(p) == Quantity(7.0, Unit.REPS)
    assert TIMED.result(p) == Quantity(30.2, Unit.SECONDS)
    assert REPS.result(p).to_json() == {"value": 7.0, "unit": "reps"}


def test_targets_and_the_end_of_a_session():
    assert REPS.target(10) == Quantity(10.0, Unit.REPS)
    assert REPS_IN_TIME.target(30) == Quantity(30.0, Unit.SECONDS)
    assert TIMED.target(5) is None
    # reps: the count reaches the target; hold: the held seconds do
    assert not REPS.done(Progress(reps=9, elapsed_s=100), 10) and REPS.done(Progress(reps=10), 10)
    assert HOLD.done(Progress(hold_s=20.0), 20) and not HOLD.done(Progress(elapsed_s=60), 20)
    # 30-second chair stand: the time limit ends it, whatever the count
    assert not REPS_IN_TIME.done(Progress(reps=40, elapsed_s=29.9), 30)
    assert REPS_IN_TIME.done(Progress(reps=3, elapsed_s=30.0), 30)
    # timed task (up-and-go): done when the task is
    assert TIMED.done(Progress(task_done=True), None) and not TIMED.done(Progress(elapsed_s=99), None)


def test_progress_fraction_for_a_ring():
    assert REPS.fraction(Progress(reps=5), 10) == 0.5
    assert HOLD.fraction(Progress(hold_s=30), 20) == 1.0
    assert REPS_IN_TIME.fraction(Progress(reps=50, elapsed_s=15), 30) == 0.5
    assert TIMED.fraction(Progress(elapsed_s=5), None) == 0.0


def test_kinds_by_name():
    assert set(KINDS) == {"reps", "hold", "reps_in_time", "timed"}
    assert activity_kind("hold") is HOLD and str(HOLD) == "hold"
    assert sum(k.counts_reps for k in KINDS.values()) == 2
    with pytest.raises(UnknownKindError, match="laps.*reps, hold"):
        activity_kind("laps")
