"""``GET /api/v1/health``: is the server up and its database reachable (no token needed)."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from sync.api import HEALTH_PATH, HealthResponse
from sync.records import SCHEMA_VERSION
from sync.server.deps import DB, SafeJSONResponse

log = logging.getLogger(__name__)

router = APIRouter()


@router.get(HEALTH_PATH, response_model=HealthResponse, responses={503: {"model": HealthResponse}})
def health(db: DB) -> HealthResponse | SafeJSONResponse:
    try:
        db.ping()
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        log.warning("health check: database unreachable: %s", exc)
        return SafeJSONResponse(
            HealthResponse(
                status="degraded", database=type(exc).__name__, schema_version=SCHEMA_VERSION
            ).model_dump(),
            503,
        )
    return HealthResponse(status="ok", database="ok", schema_version=SCHEMA_VERSION)
