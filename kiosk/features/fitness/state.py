"""What the fitness screens share during one visit, free of Kivy: the age group and sex the
resident gave (or their profile's), the test chosen, its run and its last trial. Cleared
when the visit ends: nothing of a resident stays for the next one."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.features.fitness.trial import FitnessRun, FitnessTrial
from sync.records import AgeGroup, Sex
from vision.fitness_tests import Protocol


@dataclass
class FitnessVisit:
    age_group: AgeGroup | None = None
    sex: Sex | None = None
    protocol: Protocol | None = None
    run: FitnessRun | None = None
    trial: FitnessTrial | None = None
    """The trial last run (the result screen shows its outcome)."""

    def clear(self) -> None:
        self.age_group = self.sex = None
        self.protocol = self.run = self.trial = None
