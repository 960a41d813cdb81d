"""The one record schema shared by the kiosk store, the sync client and the server.

Why this module exists: a session recorded on a kiosk must mean the same thing
in the local store, on the wire and in the central database. Every record kind
is a pydantic model defined here once, carries a ``schema_version`` and a UUID
made on the kiosk, and is validated strictly (unknown fields refused, times
must carry a time zone and are kept in UTC). Older stored records are brought
up to date by :func:`migrate`, a chain of small pure functions, one per version
step.

Record kinds: ``exercise_session``, ``lesson_progress``, ``fitness_test``,
``feedback``, and the resident's own ``resident_profile``, ``consent`` and
``erasure_request``. Every record says what it measured as a value with a unit
(:meth:`_Record.measure`) and the local day it belongs to
(:meth:`_Record.local_day`), so the server can index them as typed columns.

Version 3: an exercise session carries its activity kind
(``vision.activity``: ``reps``, ``hold``, ``reps_in_time``, ``timed``), its
target as ``{value, unit}`` and its result as ``value`` + ``unit``; a hold's
seconds are no longer stored in ``repetitions``.

Version 4 (this one) only adds optional fields and new kinds, so a version-3
record migrates unchanged. Lesson progress also says where to resume
(``step`` of ``steps``), the quiz answers with the score, the practice results
(linked to their exercise sessions) and the bundle the lesson came from. A
fitness test may carry the resident's ``age_group`` and ``sex`` (optional;
the manager's pages compare results with norms by them) and the ``side``
tested (one-leg stance, grip). Three kinds for residents:
``resident_profile`` (what a resident chose to tell: age group, sex, language,
large text; the salted hash of a code login's PIN; the consent version
accepted), ``consent`` (a resident accepted the consent text of a version) and
``erasure_request`` (a resident asked for their data to be deleted: the server
deletes every record of that pseudonym in the community made before
``requested_at``; see ``docs/residents.md``). Community life
(``sync.community``): ``poll_vote`` (one per resident per poll across the
community) and ``event_signup`` (sign up or cancel); a profile may carry an
opt-in ``nickname`` and a ``team``.
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

SCHEMA_VERSION = 4
"""Current version of every record kind. Version 1 is the pre-release layout (see ``migrate``)."""

ACTIVITIES = ("reps", "hold", "reps_in_time", "timed")
"""The activity kinds of ``vision.activity`` (kept as strings here: records do not import vision)."""
Activity = Literal["reps", "hold", "reps_in_time", "timed"]
ExerciseUnit = Literal["reps", "s"]

GUEST = "guest"
KINDS = ("exercise_session", "lesson_progress", "fitness_test", "feedback",
         "resident_profile", "consent", "erasure_request", "poll_vote", "event_signup")

Kind = Literal["exercise_session", "lesson_progress", "fitness_test", "feedback",
               "resident_profile", "consent", "erasure_request", "poll_vote", "event_signup"]

AGE_GROUPS = ("under_60", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90-94",
              "95_plus")
"""The age groups a resident may give (5-year groups of the fitness-test norms, 60 to 94)."""
AgeGroup = Literal["under_60", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90-94",
                   "95_plus"]
Sex = Literal["female", "male"]
Side = Literal["left", "right"]

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

    schema_version: Literal[4] = SCHEMA_VERSION
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


MAX_LESSON_STEPS = 200
"""Steps a lesson may have, as far as records are concerned (bundles allow fewer)."""
_STEP = Annotated[int, Field(ge=0, lt=MAX_LESSON_STEPS)]


class QuizAnswer(BaseModel):
    """A resident's first answer to one quiz question (the one that counts for the score)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: _STEP
    """The quiz's step index in the lesson."""
    question: Annotated[int, Field(ge=0, le=99)]
    choice: Annotated[int, Field(ge=0, le=99)]
    """The index of the chosen answer (true/false: 0 = true, 1 = false)."""
    right: bool


class PracticeResult(BaseModel):
    """What the resident did on a lesson's practice step ("learn, then move")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: _STEP
    exercise: _NAME
    value: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
    unit: ExerciseUnit
    target: Target | None = None
    completed: bool = False
    """The practice reached its target."""
    session: _uuid.UUID | None = None
    """The ``exercise_session`` record of the practice (stored and synced on its own)."""


class LessonProgress(_Record):
    """One run through a lesson by one resident: saved again (same uuid) as it goes on."""

    kind: Literal["lesson_progress"] = "lesson_progress"
    lesson_id: _NAME
    progress: Annotated[float, Field(ge=0, le=1)]
    position_s: Annotated[float, Field(ge=0, le=24 * 3600)] = 0.0
    completed: bool = False
    updated_at: datetime
    utc_offset_min: _OFFSET
    # version 4: where to resume, the quiz and the practice (all optional)
    step: _STEP | None = None
    """The step to resume at (0-based)."""
    steps: Annotated[int, Field(ge=1, le=MAX_LESSON_STEPS)] | None = None
    """How many steps the lesson had."""
    answers: Annotated[list[QuizAnswer], Field(max_length=1000)] = Field(default_factory=list)
    score: Annotated[int, Field(ge=0, le=1000)] | None = None
    """Right first answers over every quiz of the lesson."""
    questions: Annotated[int, Field(ge=0, le=1000)] | None = None
    """Quiz questions in the lesson (the score is out of these)."""
    practice: Annotated[list[PracticeResult], Field(max_length=MAX_LESSON_STEPS)] = Field(
        default_factory=list
    )
    bundle_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """The content bundle the lesson came from, and its version (answers refer to it)."""
    bundle_version: Annotated[int, Field(ge=1)] | None = None

    _utc_times = field_validator("updated_at")(_utc)

    @model_validator(mode="after")
    def _consistent(self) -> LessonProgress:
        if self.step is not None and self.steps is not None and self.step >= self.steps:
            raise ValueError("step must be below steps")
        seen = {(a.step, a.question) for a in self.answers}
        if len(seen) != len(self.answers):
            raise ValueError("answers must hold one answer per question")
        if (self.score is None) != (self.questions is None):
            raise ValueError("score and questions go together")
        if self.score is not None and self.questions is not None:
            if self.score > self.questions:
                raise ValueError("score must not exceed questions")
            if len(self.answers) > self.questions:
                raise ValueError("more answers than questions")
            if self.answers and self.score != sum(1 for a in self.answers if a.right):
                raise ValueError("score must count the right answers")
        if len({p.step for p in self.practice}) != len(self.practice):
            raise ValueError("practice must hold one result per step")
        return self

    def timestamp(self) -> datetime:
        return self.updated_at

    def measure(self) -> tuple[float | None, str | None]:
        return self.progress, "ratio"


class FitnessTestResult(_Record):
    kind: Literal["fitness_test"] = "fitness_test"
    test: _NAME
    """e.g. ``chair_stand_30s``, ``grip_strength``, ``one_leg_stance`` (``sync.fitness_norms``)."""
    value: Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]
    unit: Annotated[str, Field(min_length=1, max_length=16)]
    measured_at: datetime
    utc_offset_min: _OFFSET
    device: Annotated[str, Field(max_length=64)] = ""
    age_group: AgeGroup | None = None
    """The resident's age group when they gave it (never required)."""
    sex: Sex | None = None
    side: Side | None = None
    """The leg stood on (one-leg stance) or the hand (grip strength)."""

    _utc_times = field_validator("measured_at")(_utc)

    def timestamp(self) -> datetime:
        return self.measured_at

    def measure(self) -> tuple[float | None, str | None]:
        return self.value, self.unit


class Feedback(_Record):
    """A resident's (or guest's) feedback: a topic and a rating from large buttons, maybe a few words.

    ``topic`` is one of the community's preset topics (``sync.community.FeedbackTopic.id``,
    e.g. ``equipment_broken``, ``suggestion``, ``praise``). A manager may reply on the
    server; the reply reaches the resident at their next visit
    (``sync.community.ResidentInbox.replies``, keyed by this record's ``uuid``).
    """

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


_PIN_HASH = Annotated[str, Field(max_length=200, pattern=r"^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[0-9a-f]{32}\$[0-9a-f]{64}$")]
"""``scrypt$N$r$p$<salt hex>$<hash hex>`` (``kiosk.residents.pins``); never the PIN."""
_VERSION = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]


class ResidentProfile(_Record):
    """What a resident chose to tell the kiosks; the latest ``updated_at`` wins.

    Synced, and sent back by the server to every kiosk of the community, so the
    same card or code is the same resident with the same settings everywhere.
    """

    kind: Literal["resident_profile"] = "resident_profile"
    age_group: AgeGroup | None = None
    sex: Sex | None = None
    language: Literal["zh_CN", "en"] | None = None
    large_text: bool = False
    pin_hash: _PIN_HASH | None = None
    """Code logins only: the PIN's salted scrypt hash."""
    consent_version: _VERSION | None = None
    """The version of the consent text the resident accepted (None: not given)."""
    nickname: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    """Opt-in name for leaderboards (pseudonymous, chosen by the resident; None: not shown)."""
    team: _NAME | None = None
    """The community team the resident joined (``sync.community.Feed.teams``), for team challenges."""
    updated_at: datetime
    utc_offset_min: _OFFSET

    _utc_times = field_validator("updated_at")(_utc)

    @model_validator(mode="after")
    def _named(self) -> ResidentProfile:
        if self.resident == GUEST:
            raise ValueError("a guest has no profile")
        return self

    def timestamp(self) -> datetime:
        return self.updated_at


class Consent(_Record):
    """A resident accepted the consent text of ``version`` (declining stores nothing)."""

    kind: Literal["consent"] = "consent"
    version: _VERSION
    accepted: Literal[True] = True
    decided_at: datetime
    utc_offset_min: _OFFSET

    _utc_times = field_validator("decided_at")(_utc)

    @model_validator(mode="after")
    def _named(self) -> Consent:
        if self.resident == GUEST:
            raise ValueError("a guest gives no consent record")
        return self

    def timestamp(self) -> datetime:
        return self.decided_at


class ErasureRequest(_Record):
    """The resident asked for their data to be deleted ("Delete my data").

    The kiosk deletes the resident's records it holds at once and keeps only
    this request until the server has it; the server deletes every record of
    ``resident`` made by the community's kiosks before ``requested_at`` (and
    any that arrive later from before that time), keeping this request as the
    proof it was asked and done.
    """

    kind: Literal["erasure_request"] = "erasure_request"
    requested_at: datetime
    utc_offset_min: _OFFSET

    _utc_times = field_validator("requested_at")(_utc)

    @model_validator(mode="after")
    def _named(self) -> ErasureRequest:
        if self.resident == GUEST:
            raise ValueError("guest data cannot be erased by pseudonym")
        return self

    def timestamp(self) -> datetime:
        return self.requested_at


COMMUNITY_ITEM_ID = Annotated[str, Field(min_length=1, max_length=64,
                                         pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
"""The id of a challenge, event, poll or announcement (made by the server)."""


class PollVote(_Record):
    """A resident's vote in a community poll: one per resident per poll across the community.

    The server keeps the first vote it receives for ``(poll_id, resident)`` and rejects
    any later one (another uuid) as ``already voted``; the kiosk then shows the first
    vote (``sync.community.ResidentInbox.votes``). Guests cannot vote.
    """

    kind: Literal["poll_vote"] = "poll_vote"
    poll_id: COMMUNITY_ITEM_ID
    choices: Annotated[list[Annotated[int, Field(ge=0, le=19)]], Field(min_length=1, max_length=20)]
    """Indices into the poll's choices (one for a single-choice poll)."""
    voted_at: datetime
    utc_offset_min: _OFFSET

    _utc_times = field_validator("voted_at")(_utc)

    @model_validator(mode="after")
    def _valid(self) -> PollVote:
        if self.resident == GUEST:
            raise ValueError("a guest cannot vote")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("choices must not repeat")
        return self

    def timestamp(self) -> datetime:
        return self.voted_at


class EventSignup(_Record):
    """A resident signs up for a community event, or cancels (the newest ``decided_at`` wins).

    The server refuses a sign-up beyond the event's capacity (``event full``). Guests
    cannot sign up.
    """

    kind: Literal["event_signup"] = "event_signup"
    event_id: COMMUNITY_ITEM_ID
    action: Literal["sign_up", "cancel"] = "sign_up"
    decided_at: datetime
    utc_offset_min: _OFFSET

    _utc_times = field_validator("decided_at")(_utc)

    @model_validator(mode="after")
    def _named(self) -> EventSignup:
        if self.resident == GUEST:
            raise ValueError("a guest cannot sign up")
        return self

    def timestamp(self) -> datetime:
        return self.decided_at


Record = (ExerciseSession | LessonProgress | FitnessTestResult | Feedback | ResidentProfile
          | Consent | ErasureRequest | PollVote | EventSignup)
_ADAPTER: TypeAdapter[Record] = TypeAdapter(
    Annotated[Record, Field(discriminator="kind")]  # type: ignore[arg-type]
)
MODELS: dict[str, type[_Record]] = {
    "exercise_session": ExerciseSession,
    "lesson_progress": LessonProgress,
    "fitness_test": FitnessTestResult,
    "feedback": Feedback,
    "resident_profile": ResidentProfile,
    "consent": Consent,
    "erasure_request": ErasureRequest,
    "poll_vote": PollVote,
    "event_signup": EventSignup,
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


def _v3_to_v4(d: dict[str, Any]) -> dict[str, Any]:
    """Version 4 only adds optional fields and new kinds: a version-3 record is a valid
    version-4 record as it is."""
    d = dict(d)
    d["schema_version"] = 4
    return d


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}
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
