"""Fixtures for the manager pages: databases, a seeded server on 127.0.0.1, Chromium.

The server is the real app (ingest API + pages) served by uvicorn on
127.0.0.1; its data arrives through the real ingest API with kiosk tokens,
and heartbeats through the real sync client. The browser is Debian's
``chromium`` driven by Playwright (it cannot download its own here).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.records import Record
from sync.server.db import Database
from tests.pg_cluster import PgCluster
from tests.sync.helpers import ThreadServer, start_thread_server
from tests.web import seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "seeded-password-2026"
MANAGERS = {"district": None, "east-manager": seed.EAST, "west-manager": seed.WEST}

_counter = itertools.count()


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> None:
    """Argon2id at t=1, 8 MiB: the same code path, a fraction of the production cost."""
    from sync.server.web import auth

    auth.set_hash_cost(time_cost=1, memory_kib=8 * 1024)


def _new_db_url(request: pytest.FixtureRequest, engine: str, tmp: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp / f'server-{next(_counter)}.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database(f"kiosk_web_{os.getpid()}_{next(_counter)}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def web_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _new_db_url(request, request.param, tmp_path)


@dataclass
class WebServer:
    url: str
    db: Database
    tokens: dict[str, str]
    records: list[Record]
    today: date
    handle: ThreadServer
    extra: dict[str, Any] = field(default_factory=dict)

    def login(self, name: str = "district") -> requests.Session:
        """A logged-in HTTP session (cookie jar) as one of the seeded managers."""
        s = requests.Session()
        r = s.get(f"{self.url}/login", timeout=10)
        token = r.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = s.post(
            f"{self.url}/login",
            data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/overview"},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 303, r.text
        return s

    def csrf(self, session: requests.Session, path: str = "/export") -> str:
        page = session.get(self.url + path, timeout=10).text
        return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def start_web_server(db_url: str, tmp: Path, stale_after_s: float = 1800) -> WebServer:
    """Enrol kiosks and managers, start the app, post the seeded records and heartbeats."""
    from sync.server.app import create_app
    from sync.server.web import auth
    from sync.server.web.settings import WebSettings

    db = Database(db_url)
    tokens = {k: db.add_kiosk(k, community=c) for k, c in seed.KIOSKS.items()}
    for name, community in MANAGERS.items():
        auth.add_manager(db.engine, name, PASSWORD, community, language="en")
    db.demographics = lambda rec: seed.demographics_of(rec.resident)
    app = create_app(db, web=WebSettings(stale_after_s=stale_after_s))
    handle = start_thread_server(app)
    today = seed.local_today()
    records = seed.make_records(today)
    post_records(handle.url, tokens, records)
    send_heartbeats(handle.url, tokens, tmp)
    return WebServer(handle.url, db, tokens, records, today, handle)


def post_records(url: str, tokens: dict[str, str], records: list[Record]) -> None:
    by_kiosk: dict[str, list[Record]] = {}
    for r in records:
        by_kiosk.setdefault(r.kiosk_id, []).append(r)
    for kiosk, recs in by_kiosk.items():
        for i in range(0, len(recs), 400):
            body = {"records": [r.to_json_dict() for r in recs[i : i + 400]]}
            resp = requests.post(
                f"{url}/api/v1/records",
                json=body,
                headers={"Authorization": f"Bearer {tokens[kiosk]}"},
                timeout=60,
            )
            assert resp.status_code == 200, resp.text[:500]


def send_heartbeats(url: str, tokens: dict[str, str], tmp: Path) -> None:
    """Every kiosk reports through the real sync client; w2's camera has failed."""
    from sync.api import PartStatus
    from sync.client import HeartbeatFacts, SyncClient, SyncSettings
    from sync.store import Store

    for kiosk, token in tokens.items():
        store = Store(tmp / f"store-{kiosk}")
        client = SyncClient(
            store, SyncSettings(server_url=url, token=token, kiosk_id=kiosk, app_version="0.3.1")
        )
        camera = (
            PartStatus(area="camera", name="/dev/video0", state="error", detail="no frames for 30 s")
            if kiosk == "w2"
            else PartStatus(area="camera", name="/dev/video0", state="ok", detail="30 fps")
        )
        facts = HeartbeatFacts(
            content={"sample-lessons": 3},
            parts=[camera, PartStatus(area="sensors", name="oximeter", state="ok")],
        )
        try:
            assert client.heartbeat(facts), f"heartbeat of {kiosk} refused"
        finally:
            client.close()
            store.close()


def _serve(request: pytest.FixtureRequest, engine: str, tmp: Path) -> Iterator[WebServer]:
    srv = start_web_server(_new_db_url(request, engine, tmp), tmp)
    backdate_heartbeat(srv.db, "e3", hours=3)
    try:
        yield srv
    finally:
        srv.handle.stop()
        srv.db.dispose()


@pytest.fixture(scope="module")
def web_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """The seeded server on SQLite, shared by a module's tests."""
    yield from _serve(request, "sqlite", tmp_path_factory.mktemp("web"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def any_web_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """The seeded server on SQLite and on PostgreSQL."""
    yield from _serve(request, request.param, tmp_path_factory.mktemp("web"))


def backdate_heartbeat(db: Database, kiosk: str, hours: float) -> None:
    """Make ``kiosk`` look silent for ``hours`` (its last heartbeat moved back in time)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from sync.server.tables import kiosks

    when = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with db.engine.begin() as conn:
        conn.execute(update(kiosks).where(kiosks.c.name == kiosk).values(last_seen_at=when))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (bash scripts/system-deps.sh)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def chart_library() -> Path:
    """The chart library built from npm (``make web-assets``); built here if missing."""
    from sync.server.web.pages import STATIC_DIR

    path = STATIC_DIR / "vendor" / "echarts.min.js"
    if not path.exists():
        import subprocess

        if not shutil.which("npm"):
            pytest.fail("npm is needed to build the chart library (bash scripts/system-deps.sh)")
        root = Path(__file__).resolve().parents[2]
        subprocess.run(["bash", str(root / "scripts" / "build-web-assets.sh")], check=True)
    return path


@pytest.fixture(scope="session")
def web_output(output_dir: Path) -> Path:
    out = output_dir / "web"
    out.mkdir(parents=True, exist_ok=True)
    return out
