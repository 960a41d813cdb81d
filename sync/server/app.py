"""The ingest API (FastAPI): batches of records, heartbeats, health.

Why this module exists: kiosks post what they stored while offline, possibly
twice (a retry after a lost response), possibly malformed (old software, a
broken disk). The server must store each valid record exactly once, tell the
kiosk per record what happened, and answer bad input with a 4xx that names
the problem, never a 500.

``POST /api/v1/records`` reads the raw body itself (size-capped, optionally
gzip) and validates each record on its own so that one bad record does not
hide the fate of the others: valid records are committed, and the response
lists every record's ``status`` (``created``, ``updated``, ``unchanged`` or
``rejected`` with field errors). The code is 200 when every record was
accepted, 422 when some were rejected (403 when all rejections are records
under another kiosk's id), 400/413/415 for a body that cannot be read.
"""

from __future__ import annotations

import json
import logging
import zlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.api import (
    API_PREFIX,
    HEALTH_PATH,
    HEARTBEAT_PATH,
    MAX_BATCH,
    MAX_BODY_BYTES,
    MAX_INFLATED_BYTES,
    RECORDS_PATH,
    FieldError,
    HealthResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    RecordResult,
    RecordsRequest,
    RecordsResponse,
)
from sync.records import SCHEMA_VERSION, Record, RecordError, parse_record
from sync.server.db import Database

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        super().__init__(detail)


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(RecordsResponse(detail=detail).model_dump(), status, headers=headers)


async def _read_body(request: Request, max_body: int, max_inflated: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
        if size > max_body:
            raise ApiError(413, f"body of {size} bytes is over the limit of {max_body} bytes")
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_body:
            raise ApiError(413, f"body is over the limit of {max_body} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise ApiError(415, f"Content-Encoding {encoding!r} not supported (use gzip or none)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_inflated + 1)
    except zlib.error as exc:
        raise ApiError(400, f"body is not valid gzip: {exc}") from None
    if len(out) > max_inflated or inflater.unconsumed_tail:
        raise ApiError(413, f"body inflates to more than {max_inflated} bytes")
    if not inflater.eof:
        raise ApiError(400, "gzip body is truncated")
    return out


def kiosk_from_token(request: Request) -> str:
    authorization = request.headers.get("authorization")
    if not authorization:
        raise ApiError(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise ApiError(
            401, "expected 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"}
        )
    kiosk = request.app.state.db.kiosk_for_token(token)
    if kiosk is None:
        raise ApiError(401, "unknown kiosk token", {"WWW-Authenticate": "Bearer"})
    return kiosk


Kiosk = Annotated[str, Depends(kiosk_from_token)]


def create_app(
    db: Database,
    *,
    max_batch: int = MAX_BATCH,
    max_body: int = MAX_BODY_BYTES,
    max_inflated: int = MAX_INFLATED_BYTES,
) -> FastAPI:
    app = FastAPI(
        title="Community kiosk ingest API",
        version=str(SCHEMA_VERSION),
        description="Kiosks post the records they stored locally; every write needs a kiosk token.",
    )
    app.state.db = db

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse({"detail": "invalid request", "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)

    @app.post(
        RECORDS_PATH,
        response_model=RecordsResponse,
        responses={
            401: {"model": RecordsResponse, "description": "missing or unknown token"},
            403: {"model": RecordsResponse, "description": "records under another kiosk's id"},
            413: {"model": RecordsResponse, "description": "body or batch over the limit"},
            415: {"model": RecordsResponse, "description": "unsupported Content-Encoding"},
            422: {
                "model": RecordsResponse,
                "description": "some records rejected (per-record errors)",
            },
            400: {"model": RecordsResponse, "description": "unreadable body"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RecordsRequest"}}
                },
            }
        },
        summary="Store a batch of records (idempotent upsert by uuid)",
    )
    async def post_records(request: Request, kiosk: Kiosk) -> JSONResponse:
        body = await _read_body(request, max_body, max_inflated)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"body is not valid JSON: {exc}") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
            raise ApiError(422, 'body must be a JSON object {"records": [...]}')
        extra = set(payload) - {"records"}
        if extra:
            raise ApiError(422, f"unknown top-level field(s): {', '.join(sorted(map(str, extra)))}")
        items: list[Any] = payload["records"]
        if len(items) > max_batch:
            detail = f"batch of {len(items)} records is over the limit of {max_batch}"
            over = [
                RecordResult(
                    index=i,
                    uuid=_uuid_of(item),
                    status="rejected",
                    errors=[FieldError(field="<batch>", message=f"{detail}; nothing stored")],
                )
                for i, item in enumerate(items)
            ]
            body = RecordsResponse(detail=detail, rejected=len(items), results=over)
            return JSONResponse(body.model_dump(), 413)
        results: list[RecordResult] = []
        valid: dict[str, Record] = {}
        for i, item in enumerate(items):
            uid = _uuid_of(item)
            try:
                rec = parse_record(item)
            except RecordError as exc:
                results.append(
                    RecordResult(
                        index=i,
                        uuid=uid,
                        status="rejected",
                        errors=[FieldError(field=f, message=m) for f, m in exc.problems],
                    )
                )
                continue
            if rec.kiosk_id != kiosk:
                results.append(
                    RecordResult(
                        index=i,
                        uuid=rec.key,
                        status="rejected",
                        errors=[
                            FieldError(
                                field="kiosk_id",
                                message=f"token belongs to kiosk {kiosk!r}, record says {rec.kiosk_id!r}",
                            )
                        ],
                    )
                )
                continue
            valid[rec.key] = rec  # a uuid twice in one batch: the later copy wins
            results.append(RecordResult(index=i, uuid=rec.key, status="created"))
        outcome = await _run_sync(request, db.upsert, kiosk, list(valid.values()))
        forbidden_only = True
        for r in results:
            if r.status == "rejected":
                forbidden_only = forbidden_only and all(e.field == "kiosk_id" for e in r.errors)
                continue
            st = outcome.get(r.uuid or "")
            if st in ("created", "updated", "unchanged"):
                r.status = st  # type: ignore[assignment]
            else:
                r.status = "rejected"
                r.errors = [FieldError(field="uuid", message=str(st))]
                forbidden_only = False
        rejected = sum(1 for r in results if r.status == "rejected")
        resp = RecordsResponse(accepted=len(results) - rejected, rejected=rejected, results=results)
        if rejected:
            resp.detail = f"{rejected} of {len(results)} records rejected; see results"
            code = 403 if forbidden_only else 422
        else:
            code = 200
        return JSONResponse(resp.model_dump(), code)

    @app.post(
        HEARTBEAT_PATH,
        response_model=HeartbeatResponse,
        responses={
            401: {"description": "missing or unknown token"},
            403: {"description": "wrong kiosk"},
        },
    )
    def heartbeat(hb: HeartbeatRequest, kiosk: Kiosk) -> HeartbeatResponse:
        if hb.kiosk_id != kiosk:
            raise ApiError(403, f"token belongs to kiosk {kiosk!r}, heartbeat says {hb.kiosk_id!r}")
        db.heartbeat(kiosk, hb.model_dump(mode="json"))
        return HeartbeatResponse(kiosk_id=kiosk, server_time=datetime.now(UTC))

    @app.get(HEALTH_PATH, response_model=HealthResponse, responses={503: {"model": HealthResponse}})
    def health() -> Any:
        try:
            db.ping()
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            log.warning("health check: database unreachable: %s", exc)
            return JSONResponse(
                HealthResponse(
                    status="degraded", database=type(exc).__name__, schema_version=SCHEMA_VERSION
                ).model_dump(),
                503,
            )
        return HealthResponse(status="ok", database="ok", schema_version=SCHEMA_VERSION)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        req = RecordsRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        defs = req.pop("$defs", {})
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        comps.update(defs)
        comps["RecordsRequest"] = req
        schema["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
        }
        for path, ops in schema["paths"].items():
            if path.startswith(API_PREFIX) and path != HEALTH_PATH:
                for op in ops.values():
                    op["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app


def _uuid_of(item: Any) -> str | None:
    uid = item.get("uuid") if isinstance(item, dict) else None
    return uid if isinstance(uid, str) and len(uid) <= 64 else None


async def _run_sync(_request: Request, fn: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)
