"""The fitness trial (Kivy-free) with the real engine over the simulated person: the 30
seconds end during a curl that is past its peak and mostly back down, before the counter
has confirmed it; that curl counts, as the protocol counts one more than halfway done when
the time is up (the chair stand counts a stand on reaching the top, so it has no such case)."""

from __future__ import annotations

import pytest

from kiosk.features.fitness.trial import FitnessTrial, TrialPlan
from vision.engine import Engine, EngineUpdate, SetSummary
from vision.exercises import ExerciseSpec, load_exercises
from vision.fitness_tests import PROTOCOLS, Protocol, protocol_spec
from vision.sim_fitness import FitnessSimPerson

PERIOD_S = 3.0
LEAD_IN_S = 14.0
"""Long enough that the curls begin after the spoken "go"."""


@pytest.fixture(scope="module")
def specs() -> dict[str, ExerciseSpec]:
    return load_exercises()


class EngineLive:
    """The real engine as the trial's live side (the summary is the engine's own)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        self.engine.interrupt()

    def stop(self) -> SetSummary:
        return self.engine.finish()


def take(protocol: Protocol, specs: dict[str, ExerciseSpec],
         lead_in_s: float = LEAD_IN_S) -> FitnessTrial:
    person = FitnessSimPerson("arm_curl", count=20, period_s=PERIOD_S, lead_in_s=lead_in_s,
                              noise=0.0, realtime=False, render=False)
    aspect = person.width / person.height
    engine = Engine(protocol_spec(protocol, specs), aspect=aspect)
    trial = FitnessTrial(protocol, protocol_spec(protocol, specs), TrialPlan(), "k1",
                         aspect=aspect)
    started = False
    with person:
        for f in person:
            u: EngineUpdate = engine.process(f.t, f.landmarks, world=f.world)
            if not started:
                trial.now = u.t
                trial.start(EngineLive(engine))
                started = True
            trial.update(u)
            trial.tick(u.t)
            if trial.finished:
                break
    assert trial.finished
    return trial


def test_a_curl_mostly_done_when_the_time_is_up_counts(specs) -> None:
    curl = PROTOCOLS["arm_curl_30s"]
    first = take(curl, specs)  # the resident sits still: "go" comes after get-ready and 3-2-1
    go = first.go_t
    assert go is not None and go + 1.0 < LEAD_IN_S
    assert curl.time_limit_s == 30.0

    def starting_at(fraction: float, k: int = 8) -> float:
        """A lead-in that puts the end of the 30 s at ``fraction`` of the (k+1)-th curl."""
        return go + 30.0 - (k + fraction) * PERIOD_S

    # the 30 s run out at 77.5% of a curl's cycle (up at 50%, down again at 100%; the counter
    # confirms it at about 80%): past its peak and mostly back
    trial = take(curl, specs, starting_at(0.775))
    assert trial.go_t == go and trial.outcome is not None and trial.outcome.counts
    assert trial.flow.count == 8  # the updates had confirmed 8 curls
    assert trial.outcome.value == 9  # and the one mostly done counts
    # at the top of a curl (50%) the time is up with that curl not counted
    trial = take(curl, specs, starting_at(0.5))
    assert trial.outcome is not None and trial.outcome.value == 8
