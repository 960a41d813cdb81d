"""The manager pages: login, overview, fleet, lessons and tests, monthly report, CSV export.

Why this package exists: community managers need to see whether residents
use the stations, which kiosks are broken, and to report upward; the ingest
server already has the data. Pages are rendered on the server (Jinja2) with
charts from a chart library built into ``static/vendor`` by the project's
own build (``make web-assets``), so they work on a closed network.

:func:`include_web` adds the pages to the ingest app. Figures come from the
aggregates kept at ingest (:mod:`.aggregates`), never from scanning records;
any figure about fewer than 5 people reads "<5" (:mod:`.privacy`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from sync.server.db import Database
from sync.server.web import auth
from sync.server.web.pages import (
    STATIC_DIR,
    LoginRequired,
    PageError,
    WebState,
    render,
    secure,
)
from sync.server.web.settings import WebSettings

__all__ = ["WebSettings", "WebState", "include_web"]


def include_web(app: FastAPI, db: Database, settings: WebSettings | None = None) -> WebState:
    """Add the manager pages to ``app`` (the ingest app); returns their state."""
    from sync.server.web.routes import (
        announcements,
        challenges,
        events,
        export,
        feedback,
        fleet,
        lessons,
        login,
        overview,
        polls,
        report,
    )

    state = WebState(db, settings or WebSettings(), auth.signing_key(db.engine))
    app.state.web = state
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (login, overview, fleet, lessons, report, export, challenges, events, polls,
                   feedback, announcements):
        app.include_router(module.router)

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        if isinstance(exc, LoginRequired) and request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return secure(RedirectResponse(f"/login?next={quote(target, safe='')}", 303))
        return secure(render(request, "error.html", exc.status, message=exc.message))

    app.add_exception_handler(PageError, page_error)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if not request.url.path.startswith("/api/"):
            secure(response)
            if request.url.path.startswith("/static/"):
                response.headers["Cache-Control"] = "no-cache"
        return response

    return state
