"""What the server sends kiosks about community life, and what it tells one resident.

Why this module exists: sync only pushed records up until community life came;
challenges, events, polls, feedback topics and announcements are made by managers on
the server and must reach every kiosk of the community, which keeps working from its
last copy while offline. This module is the contract between the two sides of that
pull channel: the wire shapes (pydantic models, strict and bounded, like the records)
and the paths. The server builds them (``sync/server/community/``), the kiosk fetches
and caches them (``sync/community_client.py``) and shows them (``kiosk/features/community/``).

The feed (``GET FEED_PATH``, kiosk token) is the whole current state for the kiosk's
community, small by construction (the limits below), with a strong ``ETag``; the kiosk
sends ``If-None-Match`` and gets ``304`` when nothing changed. ``Feed.version`` grows
whenever a manager changes anything or challenge progress moves, and
``Feed.generated_at`` says how fresh the copy is (the kiosk shows its age offline).

Challenge progress (``Challenge.progress``) counts what the server has received from
all kiosks when it built the feed. A kiosk adds its own records that are not yet
synced and that match the challenge (``sync.community.counts_toward``); a record
counted by the server is synced, so it is never added twice.

One resident's own view (``GET INBOX_PATH/{resident}``, kiosk token, same community):
their first vote per poll, their event sign-ups, the replies to their feedback and
their contribution to each running challenge. Votes, sign-ups and feedback travel up
as records (``poll_vote``, ``event_signup``, ``feedback`` in ``sync.records``) through
the exactly-once records sync.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sync.api import API_PREFIX
from sync.records import COMMUNITY_ITEM_ID, Record

FEED_PATH = f"{API_PREFIX}/community/feed"
"""GET (kiosk token): the ``Feed`` of the kiosk's community; ``If-None-Match`` -> 304."""
INBOX_PATH = f"{API_PREFIX}/community/residents"
"""GET ``{INBOX_PATH}/{resident}`` (kiosk token): that resident's ``ResidentInbox``."""
PICTURE_PATH = f"{API_PREFIX}/community/pictures"
"""GET ``{PICTURE_PATH}/{announcement id}`` (kiosk token): the announcement's picture
(PNG or JPEG, at most ``MAX_PICTURE_BYTES``), cached by the kiosk beside the feed."""

MAX_ITEMS = 50
"""At most this many of each kind of item in a feed (the newest running ones)."""
MAX_PICTURE_BYTES = 2_000_000

_TEXT = Annotated[str, Field(max_length=2000)]
_SHORT = Annotated[str, Field(max_length=200)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Wire):
    """A text managers write in both languages; a missing one falls back to the other."""

    zh_CN: _TEXT = ""
    en: _TEXT = ""

    @model_validator(mode="after")
    def _some(self) -> Text:
        if not (self.zh_CN or self.en):
            raise ValueError("a text needs Chinese or English")
        return self

    def get(self, lang: str) -> str:
        """The text in ``lang`` ("zh_CN" or "en"), else in the other language."""
        first = self.zh_CN if lang == "zh_CN" else self.en
        return first or self.en or self.zh_CN


class Dated(_Wire):
    """Everything a manager publishes runs from ``starts_at`` to ``ends_at`` (UTC)."""

    id: COMMUNITY_ITEM_ID
    title: Text
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _ordered(self) -> Dated:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def running(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


Metric = Literal[
    "repetitions",        # repetitions of exercise sessions (of ``activities``' exercises)
    "sessions",           # exercise sessions (of ``activities``' exercises)
    "active_minutes",     # minutes of exercise sessions
    "lessons_completed",  # completed lesson_progress records (of ``activities``' lessons)
    "fitness_tests",      # fitness_test records (of ``activities``' tests)
    "residents_tested",   # distinct residents with a fitness_test (of ``activities``' tests)
]
"""What a challenge counts. ``activities`` narrows it (empty: every exercise/lesson/test)."""


LEADERS = 5
"""At most this many leaderboard lines per challenge (``Challenge.leaders``)."""


class Leader(_Wire):
    """One line of a challenge's leaderboard: a resident who chose a nickname."""

    rank: Annotated[int, Field(ge=1)]
    """1 for the most; equal amounts share a rank (1, 2, 2, 4)."""
    nickname: Annotated[str, Field(min_length=1, max_length=16)]
    value: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class Challenge(Dated):
    """A goal over a period for the community, some kiosks (a building) or a team."""

    description: Text | None = None
    metric: Metric
    activities: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                          Field(max_length=50)] = Field(default_factory=list)
    """Exercise ids, lesson ids or fitness test ids that count (empty: all of the metric's kind)."""
    goal: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)]
    scope: Literal["community", "kiosks", "team"] = "community"
    kiosks: Annotated[list[str], Field(max_length=500)] = Field(default_factory=list)
    """For ``scope == "kiosks"``: the kiosks whose records count (e.g. one building's)."""
    team: Annotated[str, Field(max_length=64)] | None = None
    """For ``scope == "team"``: the team whose residents' records count."""
    progress: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)] = 0.0
    """What the server has counted from all kiosks when the feed was built."""
    participants: Annotated[int, Field(ge=0)] | None = None
    """Distinct residents who contributed (None when fewer than 5: never shown exactly)."""
    leaders: Annotated[list[Leader], Field(max_length=LEADERS)] = Field(default_factory=list)
    """The top contributors among residents who opted in with a nickname, ranked among
    themselves; filled by the server for the feed only, and empty while fewer than 5
    residents take part or when every resident adds the same (``residents_tested``)."""


class Event(Dated):
    """An activity residents sign up for at the kiosk (``event_signup`` records)."""

    description: Text | None = None
    place: Text
    capacity: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """None: no limit."""
    signed_up: Annotated[int, Field(ge=0)] = 0


class Poll(Dated):
    """A question with preset choices (single or multiple), answered by ``poll_vote`` records."""

    choices: Annotated[list[Text], Field(min_length=2, max_length=20)]
    multiple: bool = False
    """True: a resident may pick several choices (``max_choices`` at most)."""
    max_choices: Annotated[int, Field(ge=1, le=20)] = 1


class FeedbackTopic(_Wire):
    """A preset topic of the feedback form (``equipment_broken``, ``suggestion``, ``praise``...)."""

    id: COMMUNITY_ITEM_ID
    title: Text


class Announcement(Dated):
    body: Text
    picture: bool = False
    """True: ``GET {PICTURE_PATH}/{id}`` gives its picture."""


class Today(_Wire):
    """The community's totals for today (the kiosk's local day), for the attract loop."""

    day: str
    """``YYYY-MM-DD``"""
    sessions: Annotated[int, Field(ge=0)] = 0
    repetitions: Annotated[int, Field(ge=0)] = 0
    active_minutes: Annotated[float, Field(ge=0)] = 0.0
    lessons_completed: Annotated[int, Field(ge=0)] = 0


class Feed(_Wire):
    """The whole current community state one kiosk needs (``GET FEED_PATH``)."""

    community: Annotated[str, Field(max_length=64)]
    version: Annotated[int, Field(ge=0)]
    """Grows with every change; the ETag is derived from it (and the content)."""
    generated_at: datetime
    today: Today | None = None
    challenges: Annotated[list[Challenge], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    events: Annotated[list[Event], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    polls: Annotated[list[Poll], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    announcements: Annotated[list[Announcement], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list
    )
    feedback_topics: Annotated[list[FeedbackTopic], Field(max_length=20)] = Field(
        default_factory=list
    )
    teams: Annotated[list[FeedbackTopic], Field(max_length=100)] = Field(default_factory=list)
    """Teams a resident may join (id and title), for team challenges."""


class Reply(_Wire):
    """A manager's answer to one of the resident's feedback records."""

    feedback: Annotated[str, Field(max_length=64)]
    """The feedback record's uuid."""
    topic: Annotated[str, Field(max_length=64)] = ""
    text: _TEXT
    replied_at: datetime


class ResidentInbox(_Wire):
    """One resident's own community view (``GET INBOX_PATH/{resident}``)."""

    resident: Annotated[str, Field(max_length=128)]
    votes: dict[COMMUNITY_ITEM_ID, list[int]] = Field(default_factory=dict)
    """poll id -> the choices of the vote the server kept (the first one)."""
    signups: Annotated[list[COMMUNITY_ITEM_ID], Field(max_length=500)] = Field(default_factory=list)
    """Events the resident is signed up for (cancelled ones left out)."""
    replies: Annotated[list[Reply], Field(max_length=100)] = Field(default_factory=list)
    contributions: dict[COMMUNITY_ITEM_ID, float] = Field(default_factory=dict)
    """challenge id -> what this resident's records (all kiosks) added to it."""
    generated_at: datetime


def counts_toward(challenge: Challenge, record: Record, team_of: dict[str, str] | None = None,
                  ) -> float:
    """What one record adds to ``challenge`` (0 when it does not count).

    The one rule both sides use: the server sums it over what it received, the kiosk over
    its records not yet synced. ``residents_tested`` counts each record as 1 here; callers
    count distinct residents (the server) or residents not yet counted (the kiosk).
    ``team_of`` maps residents to teams for team challenges.
    """
    if not challenge.running(record.timestamp()):
        return 0.0
    if challenge.scope == "kiosks" and record.kiosk_id not in challenge.kiosks:
        return 0.0
    if challenge.scope == "team" and (team_of or {}).get(record.resident) != challenge.team:
        return 0.0
    wanted = set(challenge.activities)
    m = challenge.metric
    if record.kind == "exercise_session" and m in ("repetitions", "sessions", "active_minutes"):
        if wanted and record.exercise not in wanted:
            return 0.0
        if m == "repetitions":
            return float(record.repetitions)
        if m == "sessions":
            return 1.0
        return record.duration_s / 60.0
    if record.kind == "lesson_progress" and m == "lessons_completed":
        if (wanted and record.lesson_id not in wanted) or not record.completed:
            return 0.0
        return 1.0
    if record.kind == "fitness_test" and m in ("fitness_tests", "residents_tested"):
        if wanted and record.test not in wanted:
            return 0.0
        return 1.0
    return 0.0
