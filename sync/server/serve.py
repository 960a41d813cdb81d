"""Run the server with uvicorn: one process, or several worker processes on one socket.

Why this module exists: an installed server runs several uvicorn workers
(``[server] workers`` in its config) so one slow request or one crashed
process does not stop ingest. uvicorn starts workers as fresh processes that
import the app by name, so the resolved settings (config file plus command
line) travel to them in one environment variable, and each worker builds its
own app and database pool from them (:func:`worker_app`). The schema is
migrated once, by the parent, before any worker starts; workers open the
database without migrating.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from fastapi import FastAPI

log = logging.getLogger(__name__)

PLAN_ENV = "KIOSK_SERVER_RUN_PLAN"
WORKER_HEALTHCHECK_S = 30


@dataclass(frozen=True)
class RunPlan:
    """Everything a server process needs to serve: the settings after command-line overrides."""

    host: str
    port: int
    db_url: str
    workers: int = 1
    log_level: str = "INFO"
    access_log: bool = False
    certfile: str = ""
    keyfile: str = ""
    forwarded_allow_ips: str = ""
    pool_size: int = 5
    content_repo: str = ""
    """The content repository served under /content (empty: none)."""
    timezone: str = "Asia/Shanghai"
    """Manager pages: the communities' time zone."""
    stale_after_s: float = 1800.0
    """Manager pages: a kiosk silent longer than this is stale."""
    secure_cookies: str = "auto"
    """Manager pages: the session cookie's Secure flag (auto, always, never)."""

    def to_env(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls) -> RunPlan:
        raw = os.environ.get(PLAN_ENV)
        if not raw:
            raise RuntimeError(f"{PLAN_ENV} is not set: start workers with `kiosk-server run`")
        return cls(**json.loads(raw))

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"


def build_app(plan: RunPlan, *, migrate: bool) -> FastAPI:
    from sync.server.app import create_app
    from sync.server.db import Database
    from sync.server.web.settings import WebSettings

    db = Database(plan.db_url, migrate=migrate, pool_size=plan.pool_size,
                  max_overflow=plan.pool_size)
    secure: Literal["auto", "always", "never"] = (
        "always" if plan.secure_cookies == "always" else
        "never" if plan.secure_cookies == "never" else "auto"
    )
    web = WebSettings(
        timezone=plan.timezone, stale_after_s=plan.stale_after_s, cookie_secure=secure
    )
    return create_app(
        db, content_repo=Path(plan.content_repo) if plan.content_repo else None, web=web
    )


def worker_app() -> FastAPI:
    """The app of one uvicorn worker process (``uvicorn --factory``); the parent migrated."""
    return build_app(RunPlan.from_env(), migrate=False)


def serve(plan: RunPlan) -> None:
    """Serve until stopped: in this process (one worker) or under uvicorn's supervisor."""
    import uvicorn

    from sync.server.db import Database

    if plan.workers <= 1:
        app = build_app(plan, migrate=True)
        try:
            uvicorn.run(
                app,
                host=plan.host,
                port=plan.port,
                log_level=plan.log_level.lower(),
                access_log=plan.access_log,
                ssl_certfile=plan.certfile or None,
                ssl_keyfile=plan.keyfile or None,
                proxy_headers=bool(plan.forwarded_allow_ips),
                forwarded_allow_ips=plan.forwarded_allow_ips or None,
                timeout_graceful_shutdown=10,
            )
        finally:
            app.state.db.dispose()
        return
    db = Database(plan.db_url, migrate=True, pool_size=2, max_overflow=0)  # lock + migration
    if db.migration is not None:
        log.info("%s", db.migration.summary())
    db.dispose()
    os.environ[PLAN_ENV] = plan.to_env()
    uvicorn.run(
        "sync.server.serve:worker_app",
        factory=True,
        workers=plan.workers,
        # A worker that does not answer the supervisor's ping for this long is
        # killed and replaced. Importing the app on a busy 2-core machine can
        # take longer than uvicorn's default of 5 s.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        host=plan.host,
        port=plan.port,
        log_level=plan.log_level.lower(),
        access_log=plan.access_log,
        ssl_certfile=plan.certfile or None,
        ssl_keyfile=plan.keyfile or None,
        proxy_headers=bool(plan.forwarded_allow_ips),
        forwarded_allow_ips=plan.forwarded_allow_ips or None,
        timeout_graceful_shutdown=10,
    )
