"""The fitness-test norms: the data file is complete and sourced, and comparisons say what
the published values say (and nothing when age group or sex is missing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.fitness_norms import NORMS_PATH, NormsError, compare, load_norms, normal_range

SFT = ("chair_stand_30s", "arm_curl_30s", "step_test_2min", "up_and_go_8ft")


def test_every_value_names_a_source_with_a_citation() -> None:
    norms = load_norms()
    assert norms.age_groups == ["60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90-94"]
    for name, t in norms.tests.items():
        for part in ("normal_range", "percentiles", "cutoff", "categories"):
            if part in t:
                src = norms.source(t[part]["source"])
                assert src["citation"] and src["note"], (name, part)
    for test in SFT:  # Rikli & Jones: every age group and both sexes
        for sex in ("female", "male"):
            for group in norms.age_groups:
                band = normal_range(test, group, sex)
                assert band is not None and band.low < band.high and band.source == "rikli_jones"
    assert "Not transcribed" in norms.source("national_monitoring")["note"]


def test_known_cells_of_the_published_tables() -> None:
    assert normal_range("chair_stand_30s", "70-74", "female") is not None
    band = normal_range("chair_stand_30s", "70-74", "female")
    assert band is not None and (band.low, band.high) == (10, 15)
    band = normal_range("arm_curl_30s", "60-64", "male")
    assert band is not None and (band.low, band.high) == (16, 22)
    band = normal_range("step_test_2min", "90-94", "female")
    assert band is not None and (band.low, band.high) == (44, 72)
    band = normal_range("up_and_go_8ft", "60-64", "female")
    assert band is not None and (band.low, band.high) == (4.4, 6.0)


@pytest.mark.parametrize(
    ("test", "value", "position", "verdict"),
    [
        ("chair_stand_30s", 12, "within", "typical"),
        ("chair_stand_30s", 9, "below", "worse"),
        ("chair_stand_30s", 16, "above", "better"),
        ("up_and_go_8ft", 4.5, "below", "better"),  # faster than the range: better
        ("up_and_go_8ft", 8.0, "above", "worse"),
    ],
)
def test_comparison_knows_which_way_is_better(test: str, value: float, position: str,
                                              verdict: str) -> None:
    c = compare(test, value, "70-74", "female")
    assert c.position == position and c.verdict == verdict and c.compared


def test_no_age_group_or_sex_means_no_comparison() -> None:
    assert not compare("chair_stand_30s", 12).compared
    c = compare("chair_stand_30s", 12, None, "male")  # sex alone: the pooled percentiles only
    assert c.band is None and c.percentile_range == (10, 25)
    assert compare("chair_stand_30s", 12, "under_60", "male").band is None


def test_stance_grip_and_bmi() -> None:
    assert compare("one_leg_stance", 30.0, None, "male").percentile_range == (90, None)
    assert compare("one_leg_stance", 3.0, None, "female").percentile_range == (None, 10)
    assert compare("grip_strength", 17.9, None, "female").below_cutoff is True
    assert compare("grip_strength", 28.0, None, "male").below_cutoff is False
    assert [compare("bmi", v).category for v in (18.4, 18.5, 23.9, 24.0, 28.0)] == [
        "underweight", "normal", "normal", "overweight", "obese"]


def test_a_broken_norms_file_is_named(tmp_path: Path) -> None:
    data = json.loads(NORMS_PATH.read_text(encoding="utf-8"))
    data["tests"]["chair_stand_30s"]["normal_range"]["female"]["70-74"] = [15, 10]
    bad = tmp_path / "norms.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(NormsError, match="chair_stand_30s.normal_range.female.70-74"):
        load_norms(bad)
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(NormsError, match="x.json"):
        load_norms(tmp_path / "x.json")
