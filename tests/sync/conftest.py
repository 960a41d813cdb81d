"""Fixtures: databases on SQLite and PostgreSQL, a real ingest server.

The PostgreSQL cluster (``pg_cluster``, one per test session) is defined in
``tests/conftest.py`` and shared with the manager pages' tests.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sync.server.app import create_app
from sync.server.db import Database
from tests.pg_cluster import PgCluster
from tests.sync.helpers import ThreadServer, start_thread_server

_db_counter = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database(f"kiosk_test_{os.getpid()}_{next(_db_counter)}")


@dataclass
class LiveServer:
    url: str
    db: Database
    tokens: dict[str, str]
    handle: ThreadServer

    def auth(self, kiosk: str = "k1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[kiosk]}"}


@pytest.fixture
def live_server(db_url: str) -> Iterator[LiveServer]:
    """The real app on 127.0.0.1 (uvicorn in a thread), with kiosks k1 and k2 enrolled."""
    db = Database(db_url)
    tokens = {k: db.add_kiosk(k) for k in ("k1", "k2")}
    handle = start_thread_server(
        create_app(db, max_batch=500, max_body=2_000_000, max_inflated=4_000_000)
    )
    try:
        yield LiveServer(handle.url, db, tokens, handle)
    finally:
        handle.stop()
        db.dispose()
