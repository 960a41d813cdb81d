"""Exercises as data: TOML files loaded and validated at start.

Why this module exists: a maintainer (or a content bundle) adds or adjusts an
exercise without a code change. Each file names the signal to count on (a
metric from ``vision.metrics`` and a side), its thresholds with hysteresis,
the minimum duration of a repetition, the ready pose that starts counting,
the form rules, and the naive baseline used by the accuracy bench. The
exercise's own texts (title, description, form cues, summary tips, in Chinese
and English) live in the file too, and are looked up through one function,
``ExerciseSpec.text(key)``; the engine itself only ever returns keys. A bad file is reported by name and skipped;
``load_exercises`` returns the good ones and keeps the errors in
``last_errors`` (or use ``load_exercises_with_errors``).

Thresholds are biomechanical, not fitted to clips: e.g. a standing knee is
about 175 degrees, a squat worth counting bends it past 120 (at least ~55
degrees of flexion, a senior's chair-height squat), and the person is back up
when it opens past 150; the gap between the two is the hysteresis.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vision.activity import KINDS, ActivityKind
from vision.metrics import GROUPS, METRICS, SIDES

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).resolve().parent
LANGS = ("zh_CN", "en")


class ExerciseError(ValueError):
    """A definition file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Condition:
    metric: str
    side: str = "both"
    min: float | None = None
    max: float | None = None

    def ok(self, value: float) -> bool:
        if value != value:  # NaN
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)


@dataclass(frozen=True)
class SignalSpec:
    metric: str
    side: str
    direction: Literal["up", "down"]
    """``down``: the movement lowers the value (knee angle in a squat); ``up``: raises it."""
    rest: float
    """At rest the value is on this side of ``rest``; a repetition ends when it comes back past it."""
    peak: float
    """A repetition must reach past ``peak``. The gap rest..peak is the hysteresis."""
    min_rep_s: float = 0.5
    max_rep_s: float = 12.0
    count_at: Literal["return", "peak"] = "return"
    range: tuple[float, float] = (0.0, 180.0)
    unit: str = "deg"
    min_range: float = 0.0
    """A repetition must also move this far from the value the person rested at
    (range of motion; 0 = the rest..peak gap)."""

    def at_rest(self, v: float) -> bool:
        return v >= self.rest if self.direction == "down" else v <= self.rest

    def past_peak(self, v: float) -> bool:
        return v <= self.peak if self.direction == "down" else v >= self.peak

    def progress(self, v: float) -> float:
        """0 at rest, 1 at the peak threshold (clipped to 0..1.2), for progress displays."""
        span = self.peak - self.rest
        if span == 0:
            return 0.0
        return max(0.0, min(1.2, (v - self.rest) / span))


@dataclass(frozen=True)
class ReadySpec:
    hold_s: float = 0.3
    max_motion: float = 0.6
    """Largest hip-centre speed (torso lengths per second) that still counts as standing still."""
    conditions: tuple[Condition, ...] = ()


VIEWS = ("front", "side", "oblique")
"""How a repetition was seen (``vision.metrics.view_of``)."""


@dataclass(frozen=True)
class FormRule:
    """One form check over a repetition.

    The rule's metric is aggregated (``agg``) over the frames of the
    repetition on which its landmarks are visible and every ``when`` condition
    holds (e.g. "only near the bottom of the squat"); the repetition is
    flagged when the aggregate is outside ``min``/``max``. A rule judges only
    the ``views`` it names and stays silent otherwise, and also when fewer
    than ``vision.form.MIN_RULE_FRAMES`` frames qualify: silence is better
    than a wrong cue.
    """

    key: str
    metric: str
    side: str
    agg: Literal["min", "max", "mean", "at_peak"]
    min: float | None
    max: float | None
    views: tuple[str, ...] = VIEWS
    when: tuple[Condition, ...] = ()

    @property
    def cue_key(self) -> str:
        """The text key of this rule's cue (``spec.text(rule.cue_key)``)."""
        return f"cue.{self.key}"

    def violated(self, value: float) -> bool:
        if value != value:
            return False
        if self.min is not None and value < self.min:
            return True
        return self.max is not None and value > self.max


@dataclass(frozen=True)
class NaiveSpec:
    metric: str
    side: str
    down: float
    up: float
    """The common naive counter: below ``down`` = down, above ``up`` = up (swapped sense when down > up)."""


@dataclass(frozen=True)
class HoldSpec:
    min_s: float = 1.0
    grace_s: float = 0.4


Texts = dict[str, str]
"""One text in every language: ``{"zh_CN": ..., "en": ...}``."""


@dataclass(frozen=True)
class ExerciseSpec:
    name: str
    difficulty: int
    kind: ActivityKind
    """How the exercise is measured (``vision.activity``): reps, hold, ..."""
    default_target: int
    signal: SignalSpec
    ready: ReadySpec
    required: tuple[str, ...]
    upright: bool
    form: tuple[FormRule, ...] = ()
    naive: NaiveSpec | None = None
    hold: HoldSpec | None = None
    texts: dict[str, Texts] = field(default_factory=dict)
    """Every text of the exercise by key: ``title``, ``description``, ``cue.<rule key>``,
    ``tip.<flag key>`` (and ``tip.good`` for a clean set). Use ``text(key)``."""
    sim: dict[str, float] = field(default_factory=dict)
    """Hints for the simulated person (e.g. default period)."""
    source: str = "<builtin>"

    def text(self, key: str) -> Texts:
        """The exercise's text called ``key`` in every language (a copy).

        Raises ``KeyError`` naming the exercise and the key when there is no such text.
        """
        try:
            return dict(self.texts[key])
        except KeyError:
            raise KeyError(f"exercise {self.name!r} has no text {key!r}") from None

    def has_text(self, key: str) -> bool:
        return key in self.texts

    def required_landmarks(self) -> list[int]:
        out: list[int] = []
        for g in self.required:
            out.extend(GROUPS[g])
        return out


# -- parsing -----------------------------------------------------------------

def _texts(d: object, where: str) -> dict[str, str]:
    if not isinstance(d, dict):
        raise ExerciseError(f"{where}: must be a table with zh_CN and en texts")
    out = {}
    for lang in LANGS:
        v = d.get(lang)
        if not isinstance(v, str) or not v.strip():
            raise ExerciseError(f"{where}.{lang}: missing or empty text")
        out[lang] = v
    extra = set(d) - set(LANGS)
    if extra:
        raise ExerciseError(f"{where}: unknown language keys {sorted(extra)}")
    return out


def _opt(d: dict, key: str, where: str) -> float | None:
    """An optional number (None when absent)."""
    return _num(d, key, where) if key in d else None


def _req(d: dict, key: str, where: str, default: float | None = None) -> float:
    """A number, or ``default`` when absent; missing without a default is an error."""
    v = _num(d, key, where, default, required=default is None)
    assert v is not None  # _num raised when it was required and missing
    return v


def _num(d: dict, key: str, where: str, default: float | None = None, required: bool = False) -> float | None:
    if key not in d:
        if required:
            raise ExerciseError(f"{where}.{key}: missing")
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ExerciseError(f"{where}.{key}: must be a number (got {v!r})")
    return float(v)


def _metric(d: dict, where: str) -> tuple[str, str]:
    m = d.get("metric")
    if m not in METRICS:
        raise ExerciseError(f"{where}.metric: unknown metric {m!r} (known: {', '.join(sorted(METRICS))})")
    side = d.get("side", "both")
    if side not in SIDES:
        raise ExerciseError(f"{where}.side: must be one of {', '.join(SIDES)} (got {side!r})")
    return m, side


def _check_keys(d: dict, allowed: set[str], where: str) -> None:
    extra = set(d) - allowed
    if extra:
        raise ExerciseError(f"{where}: unknown keys {sorted(extra)}")


def _list(v: object, where: str) -> list[object]:
    if not isinstance(v, list):
        raise ExerciseError(f"{where}: must be a list")
    return v


def _condition(c: object, where: str) -> Condition:
    if not isinstance(c, dict):
        raise ExerciseError(f"{where}: must be a table")
    _check_keys(c, {"metric", "side", "min", "max"}, where)
    cm, cs = _metric(c, where)
    lo, hi = _opt(c, "min", where), _opt(c, "max", where)
    if lo is None and hi is None:
        raise ExerciseError(f"{where}: needs min or max")
    return Condition(cm, cs, lo, hi)


def _views(f: dict, where: str) -> tuple[str, ...]:
    """``views = ["front", ...]`` or the older ``view = "any"|"front"|"side"``."""
    if "views" in f and "view" in f:
        raise ExerciseError(f"{where}: give views or view, not both")
    if "views" in f:
        v = f["views"]
        if not isinstance(v, list) or not v or any(x not in VIEWS for x in v):
            raise ExerciseError(f"{where}.views: a list from {', '.join(VIEWS)} (got {v!r})")
        return tuple(dict.fromkeys(v))
    view = f.get("view", "any")
    if view == "any":
        return VIEWS
    if view not in VIEWS:
        raise ExerciseError(f"{where}.view: must be any, {', '.join(VIEWS)} (got {view!r})")
    return (view,)


def parse_exercise(data: dict, source: str = "<string>") -> ExerciseSpec:
    """Validate one exercise definition (a parsed TOML table)."""
    _check_keys(data, {"name", "title", "description", "difficulty", "kind", "default_target",
                       "signal", "ready", "required", "upright", "form", "naive", "hold", "tips",
                       "sim"}, "top level")
    name = data.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ExerciseError(f"name: must be a short identifier (got {name!r})")
    kind_id = data.get("kind", "reps")
    if not isinstance(kind_id, str) or kind_id not in KINDS:
        raise ExerciseError(f"kind: must be one of {', '.join(KINDS)} (got {kind_id!r})")
    kind = KINDS[kind_id]
    difficulty = data.get("difficulty")
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or not 1 <= difficulty <= 3:
        raise ExerciseError(f"difficulty: must be 1, 2 or 3 (got {difficulty!r})")
    target = data.get("default_target")
    if not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= 600:
        raise ExerciseError(f"default_target: must be a whole number 1..600 (got {target!r})")

    s = data.get("signal")
    if not isinstance(s, dict):
        raise ExerciseError("signal: missing table")
    _check_keys(s, {"metric", "side", "direction", "rest", "peak", "min_rep_s", "max_rep_s",
                    "count_at", "range", "unit", "min_range"}, "signal")
    m, side = _metric(s, "signal")
    direction = s.get("direction")
    if direction not in ("up", "down"):
        raise ExerciseError(f"signal.direction: must be 'up' or 'down' (got {direction!r})")
    rest = _req(s, "rest", "signal")
    peak = _req(s, "peak", "signal")
    if direction == "down" and not peak < rest or direction == "up" and not peak > rest:
        raise ExerciseError(f"signal: with direction {direction!r} peak must be "
                            f"{'below' if direction == 'down' else 'above'} rest (hysteresis)")
    count_at = s.get("count_at", "return")
    if count_at not in ("return", "peak"):
        raise ExerciseError(f"signal.count_at: must be 'return' or 'peak' (got {count_at!r})")
    rng = s.get("range", [0, 180])
    if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int | float) for x in rng)):
        raise ExerciseError("signal.range: must be [low, high]")
    min_rep = _req(s, "min_rep_s", "signal", 0.5)
    max_rep = _req(s, "max_rep_s", "signal", 12.0)
    if not 0 < min_rep < max_rep:
        raise ExerciseError("signal: need 0 < min_rep_s < max_rep_s")
    min_range = _req(s, "min_range", "signal", 0.0)
    if min_range < 0:
        raise ExerciseError("signal.min_range: must not be negative")
    signal = SignalSpec(m, side, direction, rest, peak, min_rep, max_rep, count_at,
                        (float(rng[0]), float(rng[1])), str(s.get("unit", "deg")),
                        max(min_range, abs(rest - peak)))

    r = data.get("ready", {})
    if not isinstance(r, dict):
        raise ExerciseError("ready: must be a table")
    _check_keys(r, {"hold_s", "max_motion", "conditions"}, "ready")
    conds = [_condition(c, f"ready.conditions[{i}]")
             for i, c in enumerate(_list(r.get("conditions", []), "ready.conditions"))]
    ready = ReadySpec(_req(r, "hold_s", "ready", 0.3), _req(r, "max_motion", "ready", 0.6), tuple(conds))

    req = data.get("required", [])
    if not isinstance(req, list) or not req or any(g not in GROUPS for g in req):
        raise ExerciseError(f"required: a list of landmark groups from {sorted(GROUPS)} (got {req!r})")

    texts: dict[str, Texts] = {"title": _texts(data.get("title"), "title"),
                               "description": _texts(data.get("description"), "description")}
    rules = []
    for i, f in enumerate(data.get("form", [])):
        w = f"form[{i}]"
        if not isinstance(f, dict):
            raise ExerciseError(f"{w}: must be a table")
        _check_keys(f, {"key", "metric", "side", "agg", "min", "max", "view", "views", "when", "cue"}, w)
        fm, fs = _metric(f, w)
        key = f.get("key")
        if not isinstance(key, str) or not key:
            raise ExerciseError(f"{w}.key: missing")
        agg = f.get("agg", "at_peak")
        if agg not in ("min", "max", "mean", "at_peak"):
            raise ExerciseError(f"{w}.agg: must be min, max, mean or at_peak")
        views = _views(f, w)
        when = tuple(_condition(c, f"{w}.when[{j}]") for j, c in enumerate(_list(f.get("when", []), f"{w}.when")))
        lo, hi = _opt(f, "min", w), _opt(f, "max", w)
        if lo is None and hi is None:
            raise ExerciseError(f"{w}: needs min or max")
        rules.append(FormRule(key, fm, fs, agg, lo, hi, views, when))
        texts[f"cue.{key}"] = _texts(f.get("cue"), f"{w}.cue")

    naive = None
    if "naive" in data:
        n = data["naive"]
        _check_keys(n, {"metric", "side", "down", "up"}, "naive")
        nm, ns = _metric(n, "naive")
        naive = NaiveSpec(nm, ns, _req(n, "down", "naive"), _req(n, "up", "naive"))

    hold = None
    if kind.holds:
        h = data.get("hold", {})
        _check_keys(h, {"min_s", "grace_s"}, "hold")
        hold = HoldSpec(_req(h, "min_s", "hold", 1.0), _req(h, "grace_s", "hold", 0.4))

    tips = data.get("tips") or {}
    if not isinstance(tips, dict):
        raise ExerciseError("tips: must be a table of texts")
    for k, v in tips.items():
        texts[f"tip.{k}"] = _texts(v, f"tips.{k}")
    sim = data.get("sim", {})
    if not isinstance(sim, dict):
        raise ExerciseError("sim: must be a table")

    return ExerciseSpec(
        name=name,
        difficulty=difficulty,
        kind=kind,
        default_target=target,
        signal=signal,
        ready=ready,
        required=tuple(req),
        upright=bool(data.get("upright", True)),
        form=tuple(rules),
        naive=naive,
        hold=hold,
        texts=texts,
        sim={k: float(v) for k, v in sim.items() if isinstance(v, int | float)},
        source=source,
    )


def load_file(path: Path) -> ExerciseSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExerciseError(f"{path.name}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExerciseError(f"{path.name}: cannot read: {exc}") from None
    try:
        return parse_exercise(data, str(path))
    except ExerciseError as exc:
        raise ExerciseError(f"{path.name}: {exc}") from None


last_errors: list[str] = []
"""Problems found by the most recent ``load_exercises`` call, one line per bad file."""


def load_exercises_with_errors(extra_dir: Path | None = None) -> tuple[dict[str, ExerciseSpec], list[str]]:
    """Built-in exercises, then those in ``extra_dir`` (same name replaces); and the errors."""
    out: dict[str, ExerciseSpec] = {}
    errors: list[str] = []
    dirs = [BUILTIN_DIR]
    if extra_dir is not None:
        extra_dir = Path(extra_dir)
        if extra_dir.is_dir():
            dirs.append(extra_dir)
        else:
            errors.append(f"{extra_dir}: exercises directory not found")
    for d in dirs:
        for p in sorted(d.glob("*.toml")):
            try:
                spec = load_file(p)
            except ExerciseError as exc:
                log.error("exercise definition skipped: %s", exc)
                errors.append(str(exc))
                continue
            out[spec.name] = spec
    return out, errors


def load_exercises(extra_dir: Path | None = None) -> dict[str, ExerciseSpec]:
    """All valid exercises by name; bad files are logged by name and skipped."""
    global last_errors
    specs, errs = load_exercises_with_errors(extra_dir)
    last_errors = errs
    return specs
