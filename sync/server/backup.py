"""Nightly backups of the central database, with retention, and the matching restore.

Why this module exists: the central database holds every community's
records; a broken disk or a bad upgrade must cost at most a day. The
installed server runs ``kiosk-server backup`` from a systemd timer every
night: PostgreSQL is dumped with ``pg_dump --format=custom`` (SQLite with
its online backup API), written to a temporary name, fsynced, checked
(``pg_restore --list`` must read it) and only then renamed into place; old
dumps are deleted only after a new one succeeded, and the newest
``keep_min`` are kept however old. ``kiosk-server restore FILE`` puts a dump
back (``pg_restore --clean --if-exists --single-transaction``: all or
nothing). docs/deploy.md says how, and the tests run those very lines.

The password, if the URL has one, goes to the tools in ``PGPASSWORD``, never
on their command line where ``ps`` would show it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from sync.server.db import normalise_url

log = logging.getLogger(__name__)

PREFIX = "community-kiosk-"
_NAME_RE = re.compile(r"^community-kiosk-(\d{8}T\d{6}Z)\.(dump|sqlite)$")
_STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(RuntimeError):
    """A backup or restore that did not happen; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    deleted: tuple[Path, ...]


def _pg_target(url: URL) -> tuple[list[str], dict[str, str]]:
    """``--dbname`` argument (no password) and the environment for libpq tools."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return [f"--dbname={plain.render_as_string(hide_password=False)}"], env


def _run(cmd: Sequence[str], env: dict[str, str]) -> None:
    try:
        proc = subprocess.run(list(cmd), env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{cmd[0]} not found: install the PostgreSQL client (Debian: postgresql-client)"
        ) from None
    if proc.returncode != 0:
        err = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError(f"{cmd[0]} failed: {' / '.join(err[-3:]) or f'exit {proc.returncode}'}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def backup_name(now: datetime, suffix: str) -> str:
    return f"{PREFIX}{now.astimezone(UTC).strftime(_STAMP)}.{suffix}"


def list_backups(dest: Path) -> list[tuple[datetime, Path]]:
    """The backups in ``dest`` (oldest first); other files are ignored."""
    found = []
    if not dest.is_dir():
        return []
    for p in dest.iterdir():
        m = _NAME_RE.match(p.name)
        if m and p.is_file():
            found.append((datetime.strptime(m.group(1), _STAMP).replace(tzinfo=UTC), p))
    return sorted(found)


def prune(dest: Path, keep_days: int, keep_min: int, now: datetime) -> tuple[Path, ...]:
    """Delete backups older than ``keep_days``, never the newest ``keep_min``."""
    backups = list_backups(dest)
    protected = {p for _, p in backups[-keep_min:]}
    cutoff = now - timedelta(days=keep_days)
    deleted = []
    for when, path in backups:
        if when < cutoff and path not in protected:
            path.unlink()
            deleted.append(path)
    if deleted:
        _fsync_dir(dest)
    return tuple(deleted)


def backup(db_url: str, dest: Path, *, keep_days: int = 14, keep_min: int = 3,
           now: datetime | None = None) -> BackupResult:
    """Dump the database into ``dest`` (created mode 0700), then apply the retention."""
    now = now or datetime.now(UTC)
    url = make_url(normalise_url(db_url))
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    if url.get_backend_name() == "postgresql":
        final = dest / backup_name(now, "dump")
        tmp = dest / f".{final.name}.partial"
        target, env = _pg_target(url)
        try:
            _run(["pg_dump", "--format=custom", "--compress=6", f"--file={tmp}", *target], env)
            _run(["pg_restore", "--list", str(tmp)], env)  # the dump must be readable
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    elif url.get_backend_name() == "sqlite":
        final = dest / backup_name(now, "sqlite")
        tmp = dest / f".{final.name}.partial"
        source = url.database or ""
        if not source or source == ":memory:" or not Path(source).exists():
            raise BackupError(f"no SQLite database at {source!r}")
        try:
            with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(tmp)) as out:
                src.backup(out)
        except sqlite3.Error as exc:
            tmp.unlink(missing_ok=True)
            raise BackupError(f"SQLite backup failed: {exc}") from None
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()!r} database")
    os.chmod(tmp, 0o600)
    _fsync_file(tmp)
    os.replace(tmp, final)
    _fsync_dir(dest)
    deleted = prune(dest, keep_days, keep_min, now)
    size = final.stat().st_size
    log.info("backup written: %s (%d bytes); %d old backup(s) deleted", final, size, len(deleted))
    return BackupResult(final, size, deleted)


def restore(db_url: str, dump: Path) -> None:
    """Put ``dump`` back into the database, replacing what is there (stop the server first).

    PostgreSQL: the database must exist (it may be empty); the restore is one
    transaction, so a failure leaves the database as it was. SQLite: the file
    is replaced atomically.
    """
    if not dump.is_file():
        raise BackupError(f"no backup file at {dump}")
    url = make_url(normalise_url(db_url))
    if url.get_backend_name() == "postgresql":
        target, env = _pg_target(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *target,
                str(dump),
            ],
            env,
        )
    elif url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        try:
            with closing(sqlite3.connect(f"file:{dump}?mode=ro", uri=True)) as check:
                ok = check.execute("PRAGMA integrity_check").fetchone()
            if not ok or ok[0] != "ok":
                raise BackupError(f"{dump} fails SQLite's integrity check: {ok}")
        except sqlite3.Error as exc:
            raise BackupError(f"{dump} is not a SQLite database: {exc}") from None
        tmp = path.with_name(f".{path.name}.restoring")
        shutil.copyfile(dump, tmp)
        os.chmod(tmp, 0o600)
        _fsync_file(tmp)
        for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    else:
        raise BackupError(f"cannot restore a {url.get_backend_name()!r} database")
    log.info("restored %s into the database", dump)
