"""The one record schema shared by the kiosk store, the sync client and the server.

Why this module exists: a session recorded on a kiosk must mean the same thing
in the local store, on the wire and in the central database. Every record kind
is a pydantic model defined here once, carries a ``schema_version`` and a UUID
made on the kiosk, and is validated strictly (unknown fields refused, times
must carry a time zone and are kept in UTC). Older stored records are brought
up to date by :func:`migrate`, a chain of small pure functions, one per version
step.

Record kinds: ``exercise_session``, ``lesson_progress``, ``fitness_test`` and
``feedback``. Every record says what it measured as a value with a unit
(:meth:`_Record.measure`) and the local day it belongs to
(:meth:`_Record.local_day`), so the server can index them as typed columns.

Version 3 (this one): an exercise session carries its activity kind
(``vision.activity``: ``reps``, ``hold``, ``reps_in_time``, ``timed``), its
target as ``{value, unit}`` and its result as ``value`` + ``unit``; a hold's
seconds are no longer stored in ``repetitions``.
"""

from __future__ import annotations

import functools
import uuid as _uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import UnionType
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 3
"""Current version of every record kind. Version 1 is the pre-release layout (see ``migrate``)."""

ACTIVITIES = ("reps", "hold", "reps_in_time", "timed")
"""The activity kinds of ``vision.activity`` (kept as strings here: records do not import vision)."""
Activity = Literal["reps", "hold", "reps_in_time", "timed"]
ExerciseUnit = Literal["reps", "s"]

GUEST = "guest"
KINDS = ("exercise_session", "lesson_progress", "fitness_test", "feedback")

Kind = Literal["exercise_session", "lesson_progress", "fitness_test", "feedback"]

KIOSK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
"""The rule for a kiosk id (ASCII letters and digits, then also ``.``, ``_``, ``:``, ``-``)."""
KIOSK_ID_MAX = 64
_ID = Annotated[str, Field(min_length=1, max_length=KIOSK_ID_MAX, pattern=KIOSK_ID_PATTERN)]
_NAME = Annotated[str, Field(min_length=1, max_length=64)]
_OFFSET = Annotated[int, Field(ge=-14 * 60, le=14 * 60)]
"""The kiosk's local offset from UTC in minutes at the time (e.g. 480 for China)."""


def kiosk_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a kiosk id (the records' own rule), or ``None`` if it can."""
    import re

    if not 1 <= len(value) <= KIOSK_ID_MAX:
        return f"kiosk id must be 1 to {KIOSK_ID_MAX} characters long (got {len(value)})"
    if not re.fullmatch(KIOSK_ID_PATTERN, value):
        return (
            f"kiosk id {value!r} may only use ASCII letters and digits, then also "
            "'.', '_', ':' and '-' (it must start with a letter or digit)"
        )
    return None


class RecordError(ValueError):
    """A record failed validation; ``problems`` lists ``(field, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]], kind: str | None = None):
        self.problems = problems
        self.kind = kind
        text = "; ".join(f"{f}: {m}" for f, m in problems) or "invalid record"
        super().__init__(f"invalid {kind or 'record'}: {text}")


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Times outside [EARLIEST, LATEST) are refused (a local day must exist for every record)."""


def _utc(v: datetime) -> datetime:
    if v.tzinfo is None or v.utcoffset() is None:
        raise ValueError("must include a time zone (UTC, e.g. 2026-01-31T08:00:00Z)")
    try:
        t = v.astimezone(UTC)
    except OverflowError:
        t = EARLIEST - timedelta(days=1)
    if not EARLIEST <= t < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return t


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[3] = SCHEMA_VERSION
    uuid: _uuid.UUID = Field(default_factory=_uuid.uuid4)
    """Made on the kiosk when the record is created; the server upserts on it."""
    kiosk_id: _ID
    resident: Annotated[str, Field(min_length=1, max_length=128)] = GUEST
    """A pseudonymous resident id (salted hash of the card), or ``"guest"``."""

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def key(self) -> str:
        return str(self.uuid)

    def timestamp(self) -> datetime:
        """The moment the record is about (used for retention)."""
        raise NotImplementedError

    def local_day(self) -> date:
        """The kiosk's local calendar day of :meth:`timestamp` (reports count by it)."""
        offset = getattr(self, "utc_offset_min", 0)
        return (self.timestamp() + timedelta(minutes=offset)).date()

    def measure(self) -> tuple[float | None, str | None]:
        """What the record measured, as ``(value, unit)`` (``(None, None)`` if nothing)."""
        return None, None


class Target(BaseModel):
    """A session's target: a number of repetitions or seconds (a time limit for ``reps_in_time``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Annotated[float, Field(ge=1, le=10_000, allow_inf_nan=False)]
    unit: ExerciseUnit


class HeartRate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    avg_bpm: Annotated[float, Field(ge=20, le=250)]
    max_bpm: Annotated[float, Field(ge=20, le=250)]

    @model_validator(mode="after")
    def _order(self) -> HeartRate:
        if self.max_bpm < self.avg_bpm:
            raise ValueError("max_bpm must not be below avg_bpm")
        return self


RepFlags = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=20)]


class ExerciseSession(_Record):
    """One exercise session, finished or abandoned."""

    kind: Literal["exercise_session"] = "exercise_session"
    exercise: _NAME
    activity: Activity = "reps"
    """How it was measured (``vision.activity``)."""
    target: Target | None
    """None for kinds without a target (``timed``)."""
    value: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
    """The result: repetitions (``reps``, ``reps_in_time``) or seconds (``hold``, ``timed``)."""
    unit: ExerciseUnit
    repetitions: Annotated[int, Field(ge=0, le=10_000)] = 0
    """Repetitions counted (0 for kinds that do not count them)."""
    good_repetitions: Annotated[int, Field(ge=0, le=10_000)] = 0
    rep_flags: Annotated[list[RepFlags], Field(max_length=10_000)] = Field(default_factory=list)
    """Per repetition, the form flags raised (empty list = a clean repetition)."""
    duration_s: Annotated[float, Field(ge=0, le=24 * 3600)]
    heart_rate: HeartRate | None = None
    started_at: datetime
    ended_at: datetime
    utc_offset_min: _OFFSET
    completed: bool = True
    """False when the session was abandoned (stop, idle timeout, person walked away)."""

    _utc_times = field_validator("started_at", "ended_at")(_utc)

    @model_validator(mode="after")
    def _consistent(self) -> ExerciseSession:
        if self.good_repetitions > self.repetitions:
            raise ValueError("good_repetitions must not exceed repetitions")
        if self.rep_flags and len(self.rep_flags) != self.repetitions:
            raise ValueError("rep_flags must have one entry per repetition (or be empty)")
        if self.ended_at < self.started_at:
            raise ValueError("ended_at must not be before started_at")
        counts = self.activity in ("reps", "reps_in_time")
        want_unit = "reps" if counts else "s"
        if self.unit != want_unit:
            raise ValueError(f"unit must be {want_unit!r} for activity {self.activity!r}")
        if counts and self.value != self.repetitions:
            raise ValueError("value must equal repetitions for a counted activity")
        if not counts and (self.repetitions or self.rep_flags):
            raise ValueError(f"activity {self.activity!r} counts no repetitions")
        target_unit = {"reps": "reps", "hold": "s", "reps_in_time": "s"}.get(self.activity)
        if target_unit is None and self.target is not None:
            raise ValueError(f"activity {self.activity!r} has no target")
        if target_unit is not None and (self.target is None or self.target.unit != target_unit):
            raise ValueError(f"target must be in {target_unit!r} for activity {self.activity!r}")
        return self

    def timestamp(self) -> datetime:
        return self.ended_at

    def measure(self) -> tuple[float | None, str | None]:
        return self.value, self.unit


class LessonProgress(_Record):
    kind: Literal["lesson_progress"] = "lesson_progress"
    lesson_id: _NAME
    progress: Annotated[float, Field(ge=0, le=1)]
    position_s: Annotated[float, Field(ge=0, le=24 * 3600)] = 0.0
    completed: bool = False
    updated_at: datetime
    utc_offset_min: _OFFSET

    _utc_times = field_validator("updated_at")(_utc)

    def timestamp(self) -> datetime:
        return self.updated_at

    def measure(self) -> tuple[float | None, str | None]:
        return self.progress, "ratio"


class FitnessTestResult(_Record):
    kind: Literal["fitness_test"] = "fitness_test"
    test: _NAME
    """e.g. ``grip_strength``, ``sit_to_stand_30s``, ``single_leg_stance``."""
    value: Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]
    unit: Annotated[str, Field(min_length=1, max_length=16)]
    measured_at: datetime
    utc_offset_min: _OFFSET
    device: Annotated[str, Field(max_length=64)] = ""

    _utc_times = field_validator("measured_at")(_utc)

    def timestamp(self) -> datetime:
        return self.measured_at

    def measure(self) -> tuple[float | None, str | None]:
        return self.value, self.unit


class Feedback(_Record):
    kind: Literal["feedback"] = "feedback"
    rating: Annotated[int, Field(ge=1, le=5)]
    topic: Annotated[str, Field(max_length=64)] = ""
    text: Annotated[str, Field(max_length=2000)] = ""
    created_at: datetime
    utc_offset_min: _OFFSET

    _utc_times = field_validator("created_at")(_utc)

    def timestamp(self) -> datetime:
        return self.created_at

    def measure(self) -> tuple[float | None, str | None]:
        return float(self.rating), "points"


Record = ExerciseSession | LessonProgress | FitnessTestResult | Feedback
_ADAPTER: TypeAdapter[Record] = TypeAdapter(
    Annotated[Record, Field(discriminator="kind")]  # type: ignore[arg-type]
)
MODELS: dict[str, type[_Record]] = {
    "exercise_session": ExerciseSession,
    "lesson_progress": LessonProgress,
    "fitness_test": FitnessTestResult,
    "feedback": Feedback,
}


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "<record>"
        out.append((loc, err["msg"]))
    return out


def parse_record(data: Any) -> Record:
    """Validate a JSON-like dict (migrating older versions) into a record, or raise ``RecordError``.

    Strict, as on the wire: every field must hold its own JSON type (``"3"`` or ``true`` is
    not an integer, ``1`` is not a boolean, a number is not a time), and the ``uuid`` made on
    the kiosk must be there (a missing one is never invented here).
    """
    if not isinstance(data, dict):
        raise RecordError([("<record>", f"must be a JSON object, got {type(data).__name__}")])
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in MODELS:
        raise RecordError([("kind", f"must be one of {', '.join(KINDS)} (got {_show(kind)})")])
    problems: list[tuple[str, str]] = []
    if "uuid" not in data:
        problems.append(("uuid", "Field required (the kiosk makes it when it saves)"))
    try:
        data = migrate(data)
    except (TypeError, ValueError, KeyError, ArithmeticError) as exc:
        raise RecordError([("schema_version", f"cannot migrate: {exc}")], kind) from None
    if not isinstance(data, dict):  # pragma: no cover - migrations return dicts
        raise RecordError([("<record>", "migration did not give an object")], kind)
    problems += _json_type_problems(MODELS[kind], data, "")
    try:
        rec = MODELS[kind].model_validate(data)
    except ValidationError as exc:
        named = {f for f, _m in problems}
        problems += [(f, m) for f, m in _problems(exc) if f not in named]
    if problems:
        raise RecordError(problems, kind)
    return cast(Record, rec)


# --- strict JSON types ----------------------------------------------------------------
#
# pydantic's lax mode (kept for records built in Python) would turn "3" or true into 3 and
# 1 into True; on the wire and on disk a field must hold its own JSON type. Checked from
# the models' annotations before validation (the strict JSON mode of pydantic does the
# same but costs twice as much at every store open).

_JsonKind = str | type[BaseModel]


def _kind_of(annotation: Any) -> tuple[_JsonKind | None, bool]:
    """The JSON type a field takes (``None``: not checked here) and whether null is allowed."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind_of(get_args(annotation)[0])
    if origin in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        kind, _ = _kind_of(args[0]) if len(args) == 1 else (None, False)
        return kind, True
    if annotation is bool:
        return "boolean", False
    if annotation is int:
        return "integer", False
    if annotation is float:
        return "number", False
    if annotation in (str, datetime, _uuid.UUID):
        return "string", False
    if origin is Literal:
        values = get_args(annotation)
        if all(isinstance(v, str) for v in values):
            return "string", False
        return None, False
    if origin is list:
        return "array", False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


@functools.cache
def _field_kinds(model: type[BaseModel]) -> tuple[tuple[str, _JsonKind, bool], ...]:
    out = []
    for name, f in model.model_fields.items():
        kind, nullable = _kind_of(f.annotation)
        if kind is not None:
            out.append((name, kind, nullable))
    return tuple(out)


_JSON_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def _json_type_problems(
    model: type[BaseModel], data: dict[str, Any], prefix: str
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, kind, nullable in _field_kinds(model):
        value = data.get(name, _ABSENT)
        if value is _ABSENT or (value is None and nullable):
            continue
        got = _JSON_TYPES.get(type(value), type(value).__name__)
        if got == kind or (got == "integer" and kind == "number"):
            continue
        if isinstance(kind, str):
            out.append((prefix + name, f"must be a JSON {kind}, not {got}"))
        elif got != "object":
            out.append((prefix + name, f"must be a JSON object, not {got}"))
        else:
            out += _json_type_problems(kind, value, f"{prefix}{name}.")
    return out


_ABSENT = object()


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_record(record: Any) -> Record:
    """Return ``record`` if it is a valid record model instance (re-validated), else raise."""
    if isinstance(record, _Record):
        # Models are frozen and validated on construction, but a caller may have
        # built one with model_construct(); validate the dumped form to be sure.
        return parse_record(record.to_json_dict())
    if isinstance(record, dict):
        return parse_record(record)
    raise RecordError([("<record>", f"not a record: {type(record).__name__}")])


# --- migrations ---------------------------------------------------------------------
#
# Version 1 (the pre-release layout, still found on early kiosks' disks):
#  - exercise_session: ``duration_ms`` (int) instead of ``duration_s``;
#    ``hr_avg`` / ``hr_max`` flat fields instead of ``heart_rate``;
#    ``target`` was a bare integer number of repetitions;
#    ``resident`` could be null for guests.
#  - other kinds: ``resident`` could be null.

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    d = dict(d)
    if d.get("resident") is None:
        d["resident"] = GUEST
    if d.get("kind") == "exercise_session":
        if "duration_ms" in d:
            d["duration_s"] = float(d.pop("duration_ms")) / 1000.0
        hr_avg, hr_max = d.pop("hr_avg", None), d.pop("hr_max", None)
        if "heart_rate" not in d:
            d["heart_rate"] = (
                None if hr_avg is None or hr_max is None else {"avg_bpm": hr_avg, "max_bpm": hr_max}
            )
        if isinstance(d.get("target"), int) and not isinstance(d.get("target"), bool):
            d["target"] = {"kind": "repetitions", "value": d["target"]}
    d["schema_version"] = 2
    return d


def _v2_to_v3(d: dict[str, Any]) -> dict[str, Any]:
    """Version 2 stored a hold's seconds in ``repetitions`` and the target as
    ``{kind: repetitions|seconds, value}``; version 3 has activity, value and unit."""
    d = dict(d)
    if d.get("kind") == "exercise_session":
        target = d.get("target")
        seconds = isinstance(target, dict) and target.get("kind") == "seconds"
        if isinstance(target, dict) and "kind" in target:
            d["target"] = {"value": target.get("value"),
                           "unit": "s" if seconds else "reps"}
        reps = d.get("repetitions", 0)
        if seconds:
            d["activity"] = "hold"
            d["value"] = reps
            d["unit"] = "s"
            d["repetitions"] = 0
            d["good_repetitions"] = 0
            d["rep_flags"] = []
        else:
            d["activity"] = "reps"
            d["value"] = reps
            d["unit"] = "reps"
    d["schema_version"] = 3
    return d


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2, 2: _v2_to_v3}
"""``MIGRATIONS[n]`` turns a version-n dict into a version n+1 dict."""


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored record dict up to ``SCHEMA_VERSION`` (a no-op for current records)."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"schema_version must be an integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"schema_version {version} is newer than this software ({SCHEMA_VERSION}); upgrade it"
        )
    if version < 1:
        raise ValueError(f"unknown schema_version {version}")
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data


def record_json_schema() -> dict[str, Any]:
    """JSON schema of one record (any kind), for the server's OpenAPI document."""
    return _ADAPTER.json_schema(ref_template="#/components/schemas/{model}")


def now_utc() -> datetime:
    return datetime.now(UTC)
