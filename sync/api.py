"""Wire shapes of the ingest API, shared by the sync client and the server.

Why this module exists: the client and the server must agree on paths, limits
and the per-record result format; defining them once keeps the two honest.
The records themselves are the models in :mod:`sync.records`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.records import (
    KIOSK_ID_MAX,
    KIOSK_ID_PATTERN,
    Consent,
    ErasureRequest,
    ExerciseSession,
    Feedback,
    FitnessTestResult,
    LessonProgress,
    ResidentProfile,
)

API_PREFIX = "/api/v1"
RECORDS_PATH = f"{API_PREFIX}/records"
HEARTBEAT_PATH = f"{API_PREFIX}/heartbeat"
HEALTH_PATH = f"{API_PREFIX}/health"
PROFILES_PATH = f"{API_PREFIX}/residents/profiles"
"""GET: the newest profile of every resident of the kiosk's community (``/{resident}``: one)."""

MAX_BATCH = 1000
"""Most records the server accepts in one POST."""
MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body on the wire (compressed or not)."""
MAX_INFLATED_BYTES = 8 * 1024 * 1024
"""Largest request body after gunzip (a batch of 1,000 ordinary records is about 1 MB; a
client that meets 413 halves its batch)."""

Status = Literal["created", "updated", "unchanged", "rejected"]
ACKNOWLEDGED: frozenset[str] = frozenset({"created", "updated", "unchanged"})


class FieldError(BaseModel):
    field: str
    message: str


class RecordResult(BaseModel):
    index: int
    """Position of the record in the posted batch."""
    uuid: str | None = None
    status: Status
    errors: list[FieldError] = Field(default_factory=list)


class RecordsResponse(BaseModel):
    detail: str = ""
    accepted: int = 0
    rejected: int = 0
    results: list[RecordResult] = Field(default_factory=list)


AnyRecord = Annotated[
    ExerciseSession | LessonProgress | FitnessTestResult | Feedback | ResidentProfile | Consent
    | ErasureRequest,
    Field(discriminator="kind"),
]


class RecordsRequest(BaseModel):
    """A batch of records (used for the OpenAPI document; the server checks each record alone)."""

    model_config = ConfigDict(extra="forbid")
    records: Annotated[list[AnyRecord], Field(max_length=MAX_BATCH)]


PartState = Literal["ok", "warning", "error", "unavailable", "not_available_yet"]


class PartStatus(BaseModel):
    """One part of the kiosk as its status page shows it (camera, a sensor, the store, ...)."""

    model_config = ConfigDict(extra="forbid")
    area: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(max_length=80)] = ""
    state: PartState
    detail: Annotated[str, Field(max_length=200)] = ""


class HeartbeatRequest(BaseModel):
    """What a kiosk says about itself after each sync pass (the fleet page shows it).

    ``content``, ``last_sync_at`` and ``parts`` were added later and are
    optional: an older kiosk's heartbeat is still accepted; a newer kiosk
    talking to an older server resends without them (see ``SyncClient.heartbeat``).
    """

    model_config = ConfigDict(extra="forbid")
    kiosk_id: Annotated[str, Field(min_length=1, max_length=KIOSK_ID_MAX, pattern=KIOSK_ID_PATTERN)]
    waiting: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    rejected: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    app_version: Annotated[str, Field(max_length=40)] = ""
    sent_at: datetime | None = None
    content: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[int, Field(ge=0)]],
        Field(max_length=50),
    ] = Field(default_factory=dict)
    """Installed content bundles: id -> version."""
    last_sync_at: datetime | None = None
    """When the kiosk's last sync pass succeeded."""
    parts: Annotated[list[PartStatus], Field(max_length=24)] = Field(default_factory=list)


class HeartbeatResponse(BaseModel):
    status: Literal["ok"] = "ok"
    kiosk_id: str
    server_time: datetime


class ProfilesResponse(BaseModel):
    """Residents' profiles as stored records (each checked by the kiosk with ``parse_record``)."""

    profiles: list[dict[str, Any]] = Field(default_factory=list)


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    database: str
    schema_version: int


def error_body(detail: str) -> dict[str, Any]:
    return RecordsResponse(detail=detail).model_dump()
