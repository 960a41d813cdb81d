"""A private PostgreSQL cluster on loopback, for the tests and the benches.

Started from the Debian binaries (``/usr/lib/postgresql/<ver>/bin``;
``scripts/system-deps.sh`` installs them): ``initdb`` in a temporary
directory, ``pg_ctl`` on a free 127.0.0.1 port. PostgreSQL refuses to run as
root, so as root the cluster is owned by and run as the ``postgres`` user
through ``runuser``. The ``pg_cluster`` fixture (``tests/conftest.py``) starts
one per test session; ``bench/dashboard_bench.py`` uses :func:`running_cluster`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def pg_bindir() -> Path | None:
    for d in sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
        reverse=True,
    ):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


class PgUnavailable(RuntimeError):
    pass


@contextlib.contextmanager
def running_cluster(extra_options: str = "") -> Iterator[PgCluster]:
    """initdb + pg_ctl start on a free port; stopped and removed on exit."""
    bindir = pg_bindir()
    if bindir is None:
        raise PgUnavailable(
            "PostgreSQL server binaries not found: install the Debian package "
            "'postgresql' (bash scripts/system-deps.sh)"
        )
    base = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    port = _free_port()
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
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200 {extra_options}"
    started = subprocess.run(
        prefix
        + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", opts, "start"],
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
