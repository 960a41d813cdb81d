"""The app factory: one FastAPI app from the router modules of ``sync.server.routes``.

Why this module exists: the server will carry more than ingest (the
manager's pages, reports, challenges); each area is its own router module,
and this factory only wires them to the database and the request limits,
installs the error handlers (every refusal is JSON with a ``detail``, never
a bare 500 page) and completes the OpenAPI document with the record schemas
the ingest route reads by hand.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.api import (
    API_PREFIX,
    HEALTH_PATH,
    MAX_BATCH,
    MAX_BODY_BYTES,
    MAX_INFLATED_BYTES,
    HeartbeatRequest,
    RecordsRequest,
    RecordsResponse,
)
from sync.records import SCHEMA_VERSION
from sync.server.db import Database
from sync.server.deps import ApiError, Limits, SafeJSONResponse
from sync.server.routes import ROUTERS
from sync.server.web import WebSettings, include_web

log = logging.getLogger(__name__)

__all__ = ["ApiError", "create_app"]


def create_app(
    db: Database,
    *,
    max_batch: int = MAX_BATCH,
    max_body: int = MAX_BODY_BYTES,
    max_inflated: int = MAX_INFLATED_BYTES,
    content_repo: Path | None = None,
    web: WebSettings | None = None,
) -> FastAPI:
    """The server's app: the ingest routers and the manager pages (``web`` settings)."""
    app = FastAPI(
        title="Community kiosk ingest API",
        version=str(SCHEMA_VERSION),
        description="Kiosks post the records they stored locally; every write needs a kiosk token.",
        default_response_class=SafeJSONResponse,
    )
    app.state.db = db
    app.state.limits = Limits(max_batch=max_batch, max_body=max_body, max_inflated=max_inflated)
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    if content_repo is not None:  # the signed content repository, static files with Range
        from content.server_routes import content_router

        app.include_router(content_router(content_repo))
    include_web(app, db, web or WebSettings())
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> SafeJSONResponse:
        return SafeJSONResponse(
            RecordsResponse(detail=exc.detail).model_dump(), exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> SafeJSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return SafeJSONResponse({"detail": "invalid request", "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> SafeJSONResponse:
        # 404/405 and the like: the body (if any) was never read; close rather than drain it
        headers = {**(exc.headers or {}), "Connection": "close"}
        return SafeJSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (RecordsRequest, HeartbeatRequest):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        comps.update(body.pop("$defs", {}))
        comps[model.__name__] = body
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
