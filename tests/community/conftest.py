"""Fixtures of the community-life tests: a real server on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.server.app import create_app
from sync.server.db import Database
from tests.community.server_fixture import KIOSKS, Server
from tests.pg_cluster import PgCluster
from tests.sync.helpers import start_thread_server

_counter = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database(f"kiosk_community_{os.getpid()}_{next(_counter)}")
    db = Database(url)
    tokens = {k: db.add_kiosk(k, community=c) for k, c in KIOSKS.items()}
    handle = start_thread_server(create_app(db))
    try:
        yield Server(handle.url, db, tokens, handle)
    finally:
        handle.stop()
        db.dispose()
