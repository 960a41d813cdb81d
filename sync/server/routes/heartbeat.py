"""``POST /api/v1/heartbeat``: a kiosk says it is alive and how much it has waiting.

The token is checked before the body is read (a dependency that needs only
headers); the body is read by hand, capped at :data:`MAX_HEARTBEAT_BYTES`,
and validated strictly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sync.api import HEARTBEAT_PATH, HeartbeatRequest, HeartbeatResponse
from sync.server.deps import (
    DB,
    ApiError,
    Kiosk,
    Limits,
    SafeJSONResponse,
    content_encoding,
    inflate,
    read_body,
    safe_text,
)

MAX_HEARTBEAT_BYTES = 16 * 1024

router = APIRouter()

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HeartbeatRequest"}}
        },
    }
}


@router.post(
    HEARTBEAT_PATH,
    response_model=HeartbeatResponse,
    responses={
        401: {"description": "missing or unknown token"},
        403: {"description": "wrong kiosk"},
        413: {"description": "body over the limit"},
        422: {"description": "invalid heartbeat (field errors)"},
    },
    openapi_extra=_BODY,
)
async def heartbeat(request: Request, kiosk: Kiosk, db: DB) -> HeartbeatResponse | SafeJSONResponse:
    limits = Limits(max_body=MAX_HEARTBEAT_BYTES, max_inflated=MAX_HEARTBEAT_BYTES)
    raw = await read_body(request, limits)
    body = inflate(raw, content_encoding(request), limits.max_inflated)
    try:
        hb = HeartbeatRequest.model_validate_json(bytes(body), strict=True)
    except ValidationError as exc:
        errors = [
            {
                "field": safe_text(".".join(["body", *(str(p) for p in e["loc"])]), 120),
                "message": safe_text(e["msg"]),
            }
            for e in exc.errors(include_url=False, include_input=False)[:20]
        ]
        return SafeJSONResponse({"detail": "invalid request", "errors": errors}, 422)
    if hb.kiosk_id != kiosk:
        raise ApiError(403, f"token belongs to kiosk {kiosk!r}, heartbeat says {hb.kiosk_id!r}")
    await run_in_threadpool(db.heartbeat, kiosk, hb.model_dump(mode="json"))
    return HeartbeatResponse(kiosk_id=kiosk, server_time=datetime.now(UTC))
