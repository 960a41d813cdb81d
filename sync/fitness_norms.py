"""Published reference values for the fitness tests, and how a result compares with them.

Why this module exists: a result means little to a resident without "is that
normal for someone like me?", and the community managers' pages want the
same bands for their distributions. The numbers are data
(``sync/fitness_norms.json``, with every source cited and every doubt
written down) and this module is the one reader of them, used by the kiosk
(the result screen, My records) and the server (the manager's pages). It is
in ``sync`` because both sides install it and the fitness-test records it
interprets are defined here too.

- ``normal_range(test, age_group, sex)``: the Rikli & Jones normal range
  (25th to 75th percentile) of a 5-year age group, 60 to 94, as a ``Band``;
- ``percentiles(test, sex)``: the percentiles for Chinese older adults
  (BMC Geriatrics 2021, Table 7; all ages pooled);
- ``compare(test, value, age_group, sex)``: where a result stands
  (``Comparison``), including the grip-strength cut-off (AWGS 2019) and the
  BMI category for Chinese adults (WS/T 428-2013).

Age group and sex are optional everywhere: without them there is no
comparison (and the kiosk says so), never a guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

NORMS_PATH = Path(__file__).with_name("fitness_norms.json")

Position = Literal["below", "within", "above"]
"""Where a value lies against a band, in numbers (not better or worse)."""
Verdict = Literal["better", "typical", "worse"]
"""What the position means for this test (``better`` is faster for a timed test)."""


class NormsError(ValueError):
    """The norms file is broken; the message names the place."""


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    source: str
    """A key of the file's ``sources`` (``rikli_jones``, ...)."""


@dataclass(frozen=True)
class Comparison:
    test: str
    value: float
    unit: str
    band: Band | None = None
    """The normal range for the age group and sex, when both are known and covered."""
    position: Position | None = None
    verdict: Verdict | None = None
    percentile_range: tuple[int | None, int | None] | None = None
    """Between which published percentiles (Chinese older adults) the value lies;
    ``(None, 10)`` below the lowest, ``(90, None)`` above the highest."""
    percentile_source: str | None = None
    below_cutoff: bool | None = None
    """Grip strength: under the low-strength cut-off for the sex (AWGS 2019)."""
    cutoff: float | None = None
    category: str | None = None
    """BMI: ``underweight``, ``normal``, ``overweight`` or ``obese`` (WS/T 428-2013)."""

    @property
    def compared(self) -> bool:
        """Anything to say beyond the value itself."""
        return (self.band is not None or self.percentile_range is not None
                or self.below_cutoff is not None or self.category is not None)


@dataclass(frozen=True)
class Norms:
    data: dict[str, Any]

    @property
    def tests(self) -> dict[str, Any]:
        tests: dict[str, Any] = self.data["tests"]
        return tests

    @property
    def age_groups(self) -> list[str]:
        return list(self.data["age_groups"])

    def source(self, key: str) -> dict[str, str]:
        src: dict[str, str] = self.data["sources"][key]
        return src

    def test(self, test: str) -> dict[str, Any] | None:
        t = self.tests.get(test)
        return t if isinstance(t, dict) else None

    def better(self, test: str) -> str:
        t = self.test(test)
        return str(t.get("better", "none")) if t else "none"

    def normal_range(self, test: str, age_group: str | None, sex: str | None) -> Band | None:
        t = self.test(test)
        if t is None or age_group is None or sex is None or "normal_range" not in t:
            return None
        nr = t["normal_range"]
        pair = nr.get(sex, {}).get(age_group)
        if pair is None:
            return None
        return Band(float(pair[0]), float(pair[1]), str(nr["source"]))

    def percentiles(self, test: str, sex: str | None) -> list[tuple[int, float]] | None:
        t = self.test(test)
        if t is None or sex is None or "percentiles" not in t:
            return None
        p = t["percentiles"]
        values = p.get(sex)
        if values is None:
            return None
        return [(int(level), float(v)) for level, v in zip(p["levels"], values, strict=True)]

    def compare(self, test: str, value: float, age_group: str | None = None,
                sex: str | None = None) -> Comparison:
        t = self.test(test)
        unit = str(t["unit"]) if t else ""
        band = self.normal_range(test, age_group, sex)
        better = self.better(test)
        position: Position | None = None
        verdict: Verdict | None = None
        if band is not None:
            position = "below" if value < band.low else ("above" if value > band.high else "within")
            verdict = _verdict(position, better)
        pct = self.percentiles(test, sex)
        pct_range: tuple[int | None, int | None] | None = None
        pct_source = None
        if pct:
            pct_range = _between(pct, value)
            pct_source = str(t["percentiles"]["source"]) if t else None
        below = cutoff = None
        if t is not None and "cutoff" in t and sex in ("female", "male"):
            cutoff = float(t["cutoff"][sex])
            below = value < cutoff
        category = None
        if t is not None and "categories" in t:
            bounds = t["categories"]["bounds"]
            names = t["categories"]["names"]
            category = str(names[sum(1 for b in bounds if value >= b)])
        return Comparison(test=test, value=value, unit=unit, band=band, position=position,
                          verdict=verdict, percentile_range=pct_range,
                          percentile_source=pct_source, below_cutoff=below, cutoff=cutoff,
                          category=category)


def _verdict(position: Position, better: str) -> Verdict:
    if position == "within":
        return "typical"
    if better == "lower":
        return "better" if position == "below" else "worse"
    return "better" if position == "above" else "worse"


def _between(pct: list[tuple[int, float]], value: float) -> tuple[int | None, int | None]:
    lower: int | None = None
    for level, v in pct:
        if value < v:
            return lower, level
        lower = level
    return lower, None


def _check(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("tests"), dict):
        raise NormsError(f"{where}: must be an object with 'tests'")
    sources = data.get("sources", {})
    for name, t in data["tests"].items():
        if not isinstance(t, dict) or "unit" not in t:
            raise NormsError(f"{where}: tests.{name} needs a unit")
        for part in ("normal_range", "percentiles", "cutoff", "categories"):
            if part in t and t[part].get("source") not in sources:
                raise NormsError(f"{where}: tests.{name}.{part} names an unknown source")
        for sex, groups in t.get("normal_range", {}).items():
            if sex == "source":
                continue
            for group, pair in groups.items():
                if group not in data.get("age_groups", []) or len(pair) != 2 or pair[0] > pair[1]:
                    raise NormsError(f"{where}: tests.{name}.normal_range.{sex}.{group} is wrong")
        pct = t.get("percentiles")
        if pct:
            for sex in ("female", "male"):
                vals = pct.get(sex, [])
                if len(vals) != len(pct["levels"]) or vals != sorted(vals):
                    raise NormsError(f"{where}: tests.{name}.percentiles.{sex} is wrong")
    return data


@cache
def load_norms(path: Path = NORMS_PATH) -> Norms:
    """The norms file, read and checked once (``NormsError`` names a broken place)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NormsError(f"{path}: cannot be read: {exc}") from None
    return Norms(_check(data, str(path)))


def normal_range(test: str, age_group: str | None, sex: str | None) -> Band | None:
    return load_norms().normal_range(test, age_group, sex)


def percentiles(test: str, sex: str | None) -> list[tuple[int, float]] | None:
    return load_norms().percentiles(test, sex)


def compare(test: str, value: float, age_group: str | None = None,
            sex: str | None = None) -> Comparison:
    return load_norms().compare(test, value, age_group, sex)
