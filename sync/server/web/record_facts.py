"""What the dashboard counts from one record: the one place that reads record fields.

Why this module exists: the pages count sessions, repetitions, minutes,
lesson completions, quiz scores and fitness-test results by community, day,
hour, age group and sex. Records are defined in :mod:`sync.records` and
grow with new versions; everything the aggregates need from a record is read
here, by :func:`facts_of`, so a new field means one change in this file.

Only the kinds the pages chart are counted (:data:`COUNTED_KINDS`: exercise
sessions, lesson progress, fitness tests, feedback); a resident's own records
(``resident_profile``, ``consent``, ``erasure_request``) and community bookkeeping
(``poll_vote``, ``event_signup``) are not activity and
are left out explicitly (:func:`counted`), at ingest and in a rebuild alike.

Age group and sex are optional: taken from the record when it carries them
(``age_group``/``age`` and ``sex`` attributes), else from a pluggable
:data:`Demographics` lookup (e.g. resident profiles kept by the server), else
``unknown``. The records' age-group labels (``sync.records.AGE_GROUPS``:
``under_60``, ``60-64`` ... ``95_plus``) are shown as :data:`AGE_GROUPS`
(``<60`` ... ``95+``). A guest (resident ``"guest"``) has no identity: their
records are counted, never as a resident.

A lesson's quiz score is its right first answers over its questions
(``score``/``questions`` of a version-4 record), 0..1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sync.records import GUEST, Record
from sync.server.web.norms import Band, Norms, load_norms

UNKNOWN = "unknown"
AGE_GROUPS: tuple[str, ...] = (
    "<60",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80-84",
    "85-89",
    "90-94",
    "95+",
)
SEXES: tuple[str, ...] = ("female", "male")
_RECORD_AGE_GROUPS = {"under_60": "<60", "95_plus": "95+"}
"""``sync.records.AgeGroup`` labels that the pages write differently (the rest are equal)."""

COUNTED_KINDS: frozenset[str] = frozenset(
    {"exercise_session", "lesson_progress", "fitness_test", "feedback"}
)
"""The record kinds the aggregates count; every other kind (profiles, consent, erasure
requests, poll votes, event sign-ups) is bookkeeping, not activity, and is ignored
(see :func:`counted`)."""


def counted(record: Record) -> bool:
    """Whether the pages count ``record`` (its kind is charted)."""
    return record.kind in COUNTED_KINDS


Demographics = Callable[[Record], tuple[str | int | None, str | None]]
"""Returns ``(age group or age, sex)`` for a record's resident, either may be None (unknown)."""


def no_demographics(_record: Record) -> tuple[str | int | None, str | None]:
    return None, None


def age_group_of(value: object) -> str:
    """Normalise an age (number) or an age-group label to one of :data:`AGE_GROUPS`."""
    if isinstance(value, bool) or value is None:
        return UNKNOWN
    if isinstance(value, int | float):
        age = int(value)
        if age < 0 or age > 130:
            return UNKNOWN
        if age < 60:
            return "<60"
        if age >= 95:
            return "95+"
        low = 60 + (age - 60) // 5 * 5
        return f"{low}-{low + 4}"
    if isinstance(value, str):
        text = value.strip().replace("–", "-").replace(" ", "")
        text = _RECORD_AGE_GROUPS.get(text, text)
        return text if text in AGE_GROUPS else UNKNOWN
    return UNKNOWN


def sex_of(value: object) -> str:
    if not isinstance(value, str):
        return UNKNOWN
    text = value.strip().lower()
    if text in ("f", "female", "woman", "女"):
        return "female"
    if text in ("m", "male", "man", "男"):
        return "male"
    return UNKNOWN


@dataclass(frozen=True)
class Facts:
    """The dashboard's view of one record."""

    kind: str
    subject: str
    """The exercise, lesson, fitness test or feedback topic."""
    day: date
    """The kiosk's local calendar day."""
    hour: int
    """The kiosk's local hour of day (0-23)."""
    resident: str | None
    """The pseudonymous resident id; None for a guest."""
    age_group: str
    sex: str
    completed: bool
    reps: int
    duration_ms: int
    value: float
    score: float | None
    """Quiz score 0..1 of a lesson record, when it has one."""
    band: Band | None
    """Fitness tests: where the value falls against its norm."""


def _field(record: Record, name: str) -> object:
    """A record field that may not exist in this schema version (None when absent)."""
    return getattr(record, name) if name in type(record).model_fields else None


def _record_demographics(record: Record) -> tuple[str | None, str | None]:
    age = _field(record, "age_group")
    if age is None:
        age = _field(record, "age")
    sex = _field(record, "sex")
    return (None if age is None else age_group_of(age)), (None if sex is None else sex_of(sex))


def _quiz_score(record: Record) -> float | None:
    """Right answers over questions (0..1), when the record has a quiz that was answered."""
    score, questions = _field(record, "score"), _field(record, "questions")
    if (
        isinstance(score, int)
        and isinstance(questions, int)
        and not isinstance(score, bool)
        and not isinstance(questions, bool)
        and 0 <= score <= questions
        and questions > 0
    ):
        return score / questions
    return None


def facts_of(
    record: Record, demographics: Demographics = no_demographics, norms: Norms | None = None
) -> Facts:
    """What the pages count of ``record``; ``ValueError`` for a kind they do not count
    (callers filter with :func:`counted`)."""
    if not counted(record):
        raise ValueError(f"records of kind {record.kind!r} are not counted by the pages")
    ts = record.timestamp()
    offset = int(getattr(record, "utc_offset_min", 0))
    local = ts + timedelta(minutes=offset)
    age, sex = _record_demographics(record)
    if age is None or sex is None:
        looked_age, looked_sex = demographics(record)
        age = age or (None if looked_age is None else age_group_of(looked_age))
        sex = sex or (None if looked_sex is None else sex_of(looked_sex))
    age_group, sex_name = age or UNKNOWN, sex or UNKNOWN
    resident = None if record.resident == GUEST else record.resident
    reps, duration_ms, value, completed = 0, 0, 0.0, True
    score: float | None = None
    band: Band | None = None
    if record.kind == "exercise_session":
        subject = record.exercise
        reps = record.repetitions
        duration_ms = round(record.duration_s * 1000)
        value = float(record.value)
        completed = record.completed
    elif record.kind == "lesson_progress":
        subject = record.lesson_id
        value = float(record.progress)
        completed = record.completed
        score = _quiz_score(record)
    elif record.kind == "fitness_test":
        norms = norms or load_norms()
        subject = record.test
        value = float(record.value)
        band = norms.band(subject, age_group, sex_name, value)
    elif record.kind == "feedback":
        subject = record.topic or "-"
        value = float(record.rating)
    else:  # pragma: no cover - refused above (COUNTED_KINDS)
        raise ValueError(f"records of kind {record.kind!r} are not counted by the pages")
    return Facts(
        kind=record.kind,
        subject=subject[:120],
        day=local.date(),
        hour=local.hour,
        resident=resident,
        age_group=age_group,
        sex=sex_name,
        completed=completed,
        reps=reps,
        duration_ms=duration_ms,
        value=value,
        score=score,
        band=band,
    )
