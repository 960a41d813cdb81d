"""Exercises are data: the nine built-ins load; bad files are reported by name and skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision.activity import HOLD, KINDS, REPS
from vision.exercises import (
    ExerciseError,
    load_exercises,
    load_exercises_with_errors,
    parse_exercise,
)

BUILTIN = {"squat", "sit_to_stand", "overhead_arm_raise", "lateral_raise", "lunge",
           "knee_raise", "bicep_curl", "jumping_jack", "single_leg_stance"}


def test_builtin_exercises_load_with_required_fields():
    specs, errors = load_exercises_with_errors()
    assert errors == []
    assert set(specs) == BUILTIN
    for s in specs.values():
        assert set(s.text("title")) == {"zh_CN", "en"} and all(s.text("title").values())
        assert set(s.text("description")) == {"zh_CN", "en"}
        assert 1 <= s.difficulty <= 3
        assert s.kind in KINDS.values()
        assert s.default_target >= 1
        assert s.signal.min_rep_s > 0
        assert s.ready.conditions, f"{s.name} needs a ready pose"
        for rule in s.form:
            assert set(s.text(rule.cue_key)) == {"zh_CN", "en"}
        assert set(s.text("tip.good")) == {"zh_CN", "en"}
        assert s.naive is not None
    assert specs["single_leg_stance"].kind is HOLD and specs["squat"].kind is REPS
    assert specs["squat"].signal.direction == "down"
    # hysteresis: the peak threshold lies beyond the rest threshold
    for s in specs.values():
        sig = s.signal
        assert (sig.peak < sig.rest) if sig.direction == "down" else (sig.peak > sig.rest)


GOOD = Path(__file__).resolve().parents[2] / "vision" / "exercises" / "squat.toml"


def _write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_files_are_reported_by_name_and_skipped(tmp_path):
    _write(tmp_path, "broken.toml", "name = 'x\n")
    _write(tmp_path, "badmetric.toml", GOOD.read_text().replace('metric = "knee_angle"\nside = "best"\ndirection',
                                                                  'metric = "elbow_wiggle"\nside = "best"\ndirection'))
    _write(tmp_path, "nohysteresis.toml", GOOD.read_text().replace("peak = 120", "peak = 160")
           .replace('name = "squat"', 'name = "squat2"'))
    _write(tmp_path, "notext.toml", GOOD.read_text().replace('zh_CN = "深蹲"\n', "")
           .replace('name = "squat"', 'name = "squat3"'))
    _write(tmp_path, "march_fast.toml", GOOD.read_text().replace('name = "squat"', 'name = "deep_squat"'))
    specs, errors = load_exercises_with_errors(tmp_path)
    joined = "\n".join(errors)
    for bad in ("broken.toml", "badmetric.toml", "nohysteresis.toml", "notext.toml"):
        assert bad in joined
    assert "elbow_wiggle" in joined
    assert "hysteresis" in joined
    assert "title.zh_CN" in joined
    assert "deep_squat" in specs and BUILTIN <= set(specs)
    assert len(errors) == 4


def test_load_exercises_keeps_going_with_a_missing_dir(tmp_path):
    specs = load_exercises(tmp_path / "nope")
    assert set(specs) == BUILTIN
    import vision.exercises as ex

    assert any("not found" in e for e in ex.last_errors)


def test_parse_rejects_unknown_keys():
    import tomllib

    data = tomllib.loads(GOOD.read_text())
    data["colour"] = "red"
    with pytest.raises(ExerciseError, match="colour"):
        parse_exercise(data)


def test_kind_is_checked_against_the_activity_kinds(tmp_path):
    _write(tmp_path, "badkind.toml", GOOD.read_text().replace('kind = "reps"', 'kind = "laps"')
           .replace('name = "squat"', 'name = "squat4"'))
    _write(tmp_path, "intime.toml", GOOD.read_text().replace('kind = "reps"', 'kind = "reps_in_time"')
           .replace('name = "squat"', 'name = "squat_30s"'))
    specs, errors = load_exercises_with_errors(tmp_path)
    assert len(errors) == 1 and "badkind.toml" in errors[0] and "laps" in errors[0]
    assert "reps_in_time" in errors[0]  # the message lists the known kinds
    assert specs["squat_30s"].kind.time_limited and specs["squat_30s"].kind.counts_reps


def test_texts_have_one_lookup_and_a_missing_key_is_named(specs):
    squat = specs["squat"]
    assert squat.text("title") == {"zh_CN": "深蹲", "en": "Squat"}
    assert squat.text("cue.squat_depth")["en"] == "Go a little lower"
    assert squat.text("tip.good")["zh_CN"]
    with pytest.raises(KeyError, match="squat.*cue.nothing"):
        squat.text("cue.nothing")


def test_form_rule_views_and_conditions_are_checked(tmp_path):
    text = GOOD.read_text()
    _write(tmp_path, "badview.toml", text.replace('views = ["front"]\nwhen', 'views = ["top"]\nwhen')
           .replace('name = "squat"', 'name = "squat5"'))
    _write(tmp_path, "badwhen.toml", text.replace('when = [{ metric = "knee_angle", side = "best", max = 110 }]',
                                                  'when = [{ metric = "knee_angle", side = "best" }]')
           .replace('name = "squat"', 'name = "squat6"'))
    _write(tmp_path, "both.toml", text.replace('views = ["side"]\ncue = { zh_CN = "蹲到',
                                               'views = ["side"]\nview = "side"\ncue = { zh_CN = "蹲到')
           .replace('name = "squat"', 'name = "squat7"'))
    specs, errors = load_exercises_with_errors(tmp_path)
    joined = "\n".join(errors)
    assert len(errors) == 3, errors
    assert "badview.toml" in joined and "top" in joined
    assert "badwhen.toml" in joined and "needs min or max" in joined
    assert "both.toml" in joined and "views or view" in joined


def test_every_rule_names_the_views_it_judges(specs):
    squat = {r.key: r.views for r in specs["squat"].form}
    assert squat["knees_in"] == ("front",) and squat["feet_wider"] == ("front",)
    assert squat["hip_hinge"] == ("side",) and squat["knees_forward"] == ("side",)
    assert squat["squat_depth"] == ("front", "side", "oblique")
    assert {r.key: r.views for r in specs["bicep_curl"].form}["elbow_still"] == ("side",)
