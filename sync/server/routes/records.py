"""``POST /api/v1/records``: store a batch of records, idempotently, with a result per record.

Why this module exists: kiosks post what they stored while offline, possibly
twice (a retry after a lost response), possibly malformed (old software, a
broken disk), possibly hostile. The server must store each valid record
exactly once, tell the kiosk per record what happened, and answer bad input
with a 4xx that names the problem, never a 500.

Order of work: the token (headers only), then the body (streamed, capped),
then, off the event loop, gunzip and parse (:mod:`sync.server.ingest`), then
each record on its own. Valid records are committed; the response lists
every record's ``status`` (``created``, ``updated``, ``unchanged`` or
``rejected`` with field errors). The code is 200 when every record was
accepted, 422 when some were rejected (403 when every rejection is a valid
record under another kiosk's id), 400/413/415 for a body that cannot be read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from sync.api import RECORDS_PATH, FieldError, RecordsResponse, Status
from sync.server.deps import (
    DB,
    Kiosk,
    RequestLimits,
    SafeJSONResponse,
    content_encoding,
    read_body,
)
from sync.server.ingest import judge_body

router = APIRouter()

_ACKNOWLEDGED: dict[str, Status] = {"created": "created", "updated": "updated", "unchanged": "unchanged"}

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": RecordsResponse, "description": "missing or unknown token"},
    403: {"model": RecordsResponse, "description": "records under another kiosk's id"},
    413: {"model": RecordsResponse, "description": "body or batch over the limit"},
    415: {"model": RecordsResponse, "description": "unsupported Content-Encoding"},
    422: {
        "model": RecordsResponse,
        "description": "some records rejected (per-record errors)",
    },
    400: {"model": RecordsResponse, "description": "unreadable body"},
}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/RecordsRequest"}}
        },
    }
}


@router.post(
    RECORDS_PATH,
    response_model=RecordsResponse,
    responses=_RESPONSES,
    openapi_extra=_BODY,
    summary="Store a batch of records (idempotent upsert by uuid)",
)
async def post_records(
    request: Request, kiosk: Kiosk, db: DB, limits: RequestLimits
) -> SafeJSONResponse:
    encoding = content_encoding(request)
    raw = await read_body(request, limits)
    checked = await run_in_threadpool(judge_body, raw, encoding, limits, kiosk)
    if isinstance(checked, RecordsResponse):  # the batch is over the limit
        return SafeJSONResponse(checked.model_dump(), 413)
    # "Delete my data": the upsert also enforces erasure requests in the same transaction:
    # a request in this batch deletes its resident's records, and a record that arrives
    # after a request (from before it) is deleted as it arrives.
    outcome = await run_in_threadpool(db.upsert, kiosk, list(checked.valid.values()))
    results = checked.results
    for r in results:
        if r.status == "rejected":
            continue
        st = outcome.get(r.uuid or "", "not stored")
        ack = _ACKNOWLEDGED.get(st)
        if ack is not None:
            r.status = ack
        else:
            r.status = "rejected"
            r.errors = [FieldError(field="<record>", message=str(st))]
    rejected = [r for r in results if r.status == "rejected"]
    resp = RecordsResponse(
        accepted=len(results) - len(rejected), rejected=len(rejected), results=results
    )
    code = 200
    if rejected:
        resp.detail = f"{len(rejected)} of {len(results)} records rejected; see results"
        forbidden_only = all(r.index in checked.foreign for r in rejected)
        code = 403 if forbidden_only else 422
    return SafeJSONResponse(resp.model_dump(), code)
