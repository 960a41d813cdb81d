"""Fixtures: a private PostgreSQL cluster on loopback, databases, a real ingest server.

The PostgreSQL cluster is started once per test session from the Debian
binaries (``/usr/lib/postgresql/<ver>/bin``; ``scripts/system-deps.sh``
installs them): ``initdb`` in a temporary directory, ``pg_ctl`` on a free
127.0.0.1 port. PostgreSQL refuses to run as root, so as root the cluster is
owned by and run as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sync.server.app import create_app
from sync.server.db import Database
from tests.sync.helpers import ThreadServer, free_port, start_thread_server


def _pg_bindir() -> Path | None:
    for d in sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
        reverse=True,
    ):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PgCluster:
    port: int
    admin_url: str

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries not found: install the Debian package "
            "'postgresql' (bash scripts/system-deps.sh)"
        )
    base = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    port = free_port()
    log = base / "server.log"
    subprocess.run(
        prefix
        + [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200"
    started = subprocess.run(
        prefix
        + [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            opts,
            "start",
        ],
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        text = log.read_text() if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{text}")
    try:
        yield PgCluster(port, f"postgresql://postgres@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(
            prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


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
