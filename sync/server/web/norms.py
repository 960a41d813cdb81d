"""Normal ranges of the fitness tests, by sex and age group, and where a result falls.

Why this module exists: a manager wants to see how many residents of an age
group and sex fall below, within or above the published normal range of a
test (e.g. older women below the chair-stand range). The ranges are the
kiosk's own data, ``sync/fitness_norms.json`` (every number cited there),
read and checked by :mod:`sync.fitness_norms`, so a kiosk's result screen and
the manager's pages always compare with the same numbers. This module is the
pages' view of them: per test its title, unit, which way is better and the
normal range (Rikli & Jones, 25th to 75th percentile) per sex and age group,
and :meth:`Norms.band`. Test ids are those the kiosk writes in
``FitnessTestResult.test`` (``vision.fitness_tests.PROTOCOLS``, e.g.
``chair_stand_30s``, ``step_test_2min``); a test without a normal range
(grip strength, BMI) has results but no bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sync import fitness_norms

NORMS_FILE = fitness_norms.NORMS_PATH

Band = Literal["below", "within", "above", "no_norm"]
BANDS: tuple[Band, ...] = ("below", "within", "above", "no_norm")


@dataclass(frozen=True)
class TestNorm:
    test: str
    title: dict[str, str]
    unit: str
    better: Literal["higher", "lower"] | None
    """None when neither way is better (BMI, body weight)."""
    ranges: dict[str, dict[str, tuple[float, float]]]
    """sex -> age group -> (low, high), inclusive; empty when the test has no normal range."""


@dataclass(frozen=True)
class Norms:
    tests: dict[str, TestNorm]
    age_groups: tuple[str, ...]
    about: str

    def get(self, test: str) -> TestNorm | None:
        return self.tests.get(test)

    def band(self, test: str, age_group: str, sex: str, value: float) -> Band:
        """Where ``value`` falls against the range for this age group and sex."""
        norm = self.get(test)
        if norm is None:
            return "no_norm"
        rng = norm.ranges.get(sex, {}).get(age_group)
        if rng is None:
            return "no_norm"
        low, high = rng
        if value < low:
            return "below"
        if value > high:
            return "above"
        return "within"


def _title(name: str, t: dict[str, Any], where: str) -> dict[str, str]:
    title = t.get("title")
    if not isinstance(title, dict) or not all(
        isinstance(title.get(lang), str) and title[lang] for lang in ("en", "zh_CN")
    ):
        raise fitness_norms.NormsError(f"{where}: tests.{name}.title needs 'en' and 'zh_CN'")
    return {str(k): str(v) for k, v in title.items()}


def pages_view(kiosk_norms: fitness_norms.Norms, source: str = "<norms>") -> Norms:
    """The pages' view of the checked norms; ``NormsError`` names a missing title."""
    tests: dict[str, TestNorm] = {}
    for name, t in kiosk_norms.tests.items():
        better = t.get("better")
        ranges: dict[str, dict[str, tuple[float, float]]] = {}
        for sex in ("female", "male"):
            for group in kiosk_norms.age_groups:
                band = kiosk_norms.normal_range(name, group, sex)
                if band is not None:
                    ranges.setdefault(sex, {})[group] = (band.low, band.high)
        tests[name] = TestNorm(
            test=name,
            title=_title(name, t, source),
            unit=str(t["unit"]),
            better=better if better in ("higher", "lower") else None,
            ranges=ranges,
        )
    return Norms(
        tests, tuple(kiosk_norms.age_groups), str(kiosk_norms.data.get("about", ""))
    )


@cache
def load_norms(path: Path = NORMS_FILE) -> Norms:
    """The norms file (``sync/fitness_norms.json``) as the pages see it, read once."""
    return pages_view(fitness_norms.load_norms(path), str(path))
