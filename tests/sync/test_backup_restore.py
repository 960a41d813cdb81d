"""Backups of the central database and their restore, on SQLite and the real PostgreSQL.

Records in (through the real ingest path), ``kiosk-server backup``, the
database dropped, ``kiosk-server restore``: every record, every typed column
and every kiosk token is back. A damaged dump changes nothing. Retention
deletes old dumps only after a good one and always keeps the newest few.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.server.backup import BackupError, backup, backup_name, list_backups, prune, restore
from sync.server.db import Database, records
from tests.sync.helpers import REPO, one_of_each, session


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync.server.cli", *args],
        capture_output=True, text=True, cwd=REPO, timeout=180,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def _snapshot(db: Database) -> list[tuple[object, ...]]:
    cols = [records.c.kiosk_id, records.c.uuid, records.c.kind, records.c.resident,
            records.c.local_day, records.c.value, records.c.unit, records.c.payload_hash,
            records.c.payload]
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(records.c.uuid))]


def _drop_and_recreate(db_url: str, request: pytest.FixtureRequest) -> None:
    if db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return
    import psycopg

    cluster = request.getfixturevalue("pg_cluster")
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def test_records_in_dump_drop_restore_records_all_there(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = Database(db_url)
    tokens = {k: db.add_kiosk(k) for k in ("k1", "k2")}
    sent = [session(i, "k1") for i in range(400)] + one_of_each("k1")[1:]
    db.upsert("k1", sent)
    db.upsert("k2", [session(i, "k2") for i in range(150)])
    before = _snapshot(db)
    assert len(before) == 553
    db.dispose()

    dest = tmp_path / "backups"
    made = _cli("backup", "--db", db_url, "--dir", str(dest))
    assert made.returncode == 0, made.stderr
    (dump,) = [p for _, p in list_backups(dest)]
    assert dump.stat().st_mode & 0o777 == 0o600 and str(dump) in made.stdout

    _drop_and_recreate(db_url, request)
    empty = Database(db_url)
    assert empty.count_records() == 0
    empty.dispose()

    back = _cli("restore", str(dump), "--db", db_url)
    assert back.returncode == 0, back.stderr
    db = Database(db_url)
    try:
        assert _snapshot(db) == before
        assert db.kiosk_for_token(tokens["k1"]) == "k1"
        assert db.kiosk_for_token(tokens["k2"]) == "k2"
        assert db.migration is not None and db.migration.before == db.migration.after
        # and ingest goes on where it stopped: a resent record is unchanged, a new one created
        new = session(1000, "k1")
        assert db.upsert("k1", [sent[0], new]) == {sent[0].key: "unchanged", new.key: "created"}
    finally:
        db.dispose()


def test_a_damaged_dump_is_refused_and_changes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    db.add_kiosk("k1")
    db.upsert("k1", [session(i) for i in range(50)])
    before = _snapshot(db)
    result = backup(db_url, tmp_path / "b")
    db.upsert("k1", [session(i) for i in range(50, 60)])
    after_more = _snapshot(db)
    db.dispose()

    broken = tmp_path / "broken.dump"
    data = result.path.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    out = _cli("restore", str(broken), "--db", db_url)
    assert out.returncode == 1 and out.stderr.startswith("error: ")
    assert "Traceback" not in out.stderr
    db = Database(db_url)
    try:
        assert _snapshot(db) == after_more  # nothing lost, nothing half-restored
        assert len(after_more) == len(before) + 10
    finally:
        db.dispose()
    missing = _cli("restore", str(tmp_path / "nope.dump"), "--db", db_url)
    assert missing.returncode == 1 and "no backup file" in missing.stderr


def test_retention_deletes_old_dumps_only_after_a_good_one_and_keeps_the_newest(
    tmp_path: Path,
) -> None:
    dest = tmp_path / "b"
    dest.mkdir()
    now = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    for days in (40, 30, 20, 10, 1):
        (dest / backup_name(now - timedelta(days=days), "dump")).write_bytes(b"x")
    (dest / "notes.txt").write_text("not a backup")
    deleted = prune(dest, keep_days=14, keep_min=3, now=now)
    assert sorted(p.name for p in deleted) == [
        backup_name(now - timedelta(days=40), "dump"),
        backup_name(now - timedelta(days=30), "dump"),
    ]
    left = [p.name for _, p in list_backups(dest)]
    assert left == [backup_name(now - timedelta(days=d), "dump") for d in (20, 10, 1)]
    assert (dest / "notes.txt").exists()

    # a failed backup deletes nothing
    with pytest.raises(BackupError):
        backup(f"sqlite:///{tmp_path / 'absent.db'}", dest, keep_days=1, keep_min=1,
               now=now + timedelta(days=365))
    assert len(list_backups(dest)) == 3
    assert not [p for p in dest.iterdir() if p.name.endswith(".partial")]


def test_restore_of_a_sqlite_backup_replaces_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    db = Database(url)
    db.add_kiosk("k1")
    db.upsert("k1", [session(i) for i in range(20)])
    before = _snapshot(db)
    result = backup(url, tmp_path / "b")
    db.upsert("k1", [session(i) for i in range(20, 30)])
    db.dispose()
    restore(url, result.path)
    db = Database(url)
    try:
        assert _snapshot(db) == before
    finally:
        db.dispose()
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a SQLite database|integrity"):
        restore(url, tmp_path / "junk.sqlite")
