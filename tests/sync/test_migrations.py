"""Schema migrations (Alembic) on SQLite and PostgreSQL: fresh, adopted, backfilled, exact.

``data/server-before-migrations.sqlite`` was made by the server as it was
before migrations existed (``metadata.create_all``, records keyed by uuid):
kiosks k1 and k2, nine current records and three rows as the version-2
server stored them (one a hold whose seconds sit in ``repetitions``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    select,
)

from sync.records import SCHEMA_VERSION, parse_record
from sync.server.db import Database, normalise_url
from sync.server.migrate import alembic_config, head_revision
from sync.server.tables import metadata, records
from tests.sync.helpers import REPO, session, v2_session_dict

LEGACY = Path(__file__).parent / "data" / "server-before-migrations.sqlite"


def schema_diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(ctx, metadata))


def typed_rows(db: Database) -> dict[str, dict[str, object]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(records)).mappings().all()
    return {r["uuid"]: dict(r) for r in rows}


def check_typed_columns(db: Database) -> None:
    """Every row's typed columns agree with its payload, read with the current schema."""
    for uid, row in typed_rows(db).items():
        rec = parse_record(json.loads(str(row["payload"])))
        assert rec.key == uid and rec.schema_version == row["schema_version"] == SCHEMA_VERSION
        assert (row["kind"], row["kiosk_id"], row["resident"]) == (
            rec.kind,
            rec.kiosk_id,
            rec.resident,
        )
        assert row["local_day"] == rec.local_day()
        assert (row["value"], row["unit"]) == rec.measure()


def test_a_fresh_database_is_built_by_the_migrations_exactly(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert db.migration is not None and db.migration.before is None
        assert db.migration.after == head_revision() and not db.migration.adopted
        assert schema_diff(db) == []
        names = {ix["name"] for ix in inspect(db.engine).get_indexes("records")}
        assert {"ix_records_kind_local_day", "ix_records_kiosk_id_local_day",
                "ix_records_resident_kind"} <= names
        again = Database(db_url)  # a second start does nothing
        assert again.migration is not None and again.migration.before == head_revision()
        again.dispose()
    finally:
        db.dispose()


def test_an_old_sqlite_file_is_adopted_without_losing_rows(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    shutil.copy(LEGACY, path)
    old = create_engine(f"sqlite:///{path}")
    with old.connect() as conn:
        before = {r[0]: r[1] for r in conn.exec_driver_sql("SELECT uuid, kiosk_id FROM records")}
        assert "alembic_version" not in inspect(conn).get_table_names()
    old.dispose()
    assert len(before) == 12

    db = Database(f"sqlite:///{path}")
    try:
        assert db.migration is not None and db.migration.adopted
        assert "adopted" in db.migration.summary()
        assert schema_diff(db) == []
        rows = typed_rows(db)
        assert {u: r["kiosk_id"] for u, r in rows.items()} == before
        check_typed_columns(db)
        hold = rows[str(v2_session_dict(2, hold=True)["uuid"])]
        assert (hold["value"], hold["unit"]) == (25.0, "s")
        hold_payload = json.loads(str(hold["payload"]))
        assert hold_payload["activity"] == "hold" and hold_payload["repetitions"] == 0
        assert hold_payload["target"] == {"value": 30.0, "unit": "s"}
        assert hold["local_day"] == date(2026, 10, 1)
        reps = rows[str(v2_session_dict(1)["uuid"])]
        assert (reps["value"], reps["unit"]) == (1.0, "reps")
        assert {k["name"]: k["community"] for k in db.list_kiosks()} == {
            "k1": "default",
            "k2": "default",
        }
        # the kiosks' stored tokens survived; a rotation still works, and re-sending a
        # migrated record is recognised as the same record
        token = db.add_kiosk("k1", rotate=True)
        assert db.kiosk_for_token(token) == "k1"
        v2 = parse_record(v2_session_dict(3))
        assert db.upsert("k1", [v2]) == {v2.key: "unchanged"}
        assert db.upsert("k1", [session(500)])  # and new ones are stored
        assert db.count_records() == 13
    finally:
        db.dispose()


# The pre-migration schema, as ``create_all`` made it (copied from the old sync/server/db.py).
_old = MetaData()
Table(
    "kiosks",
    _old,
    Column("name", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32)),
    Column("last_heartbeat", Text),
)
_old_records = Table(
    "records",
    _old,
    Column("uuid", String(36), primary_key=True),
    Column("kiosk_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("resident", String(128), nullable=False),
    Column("occurred_at", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)


def test_an_old_database_is_adopted_on_both_engines(db_url: str) -> None:
    """The same adoption on PostgreSQL (and SQLite), from rows copied out of the old file."""
    src = create_engine(f"sqlite:///{LEGACY}")
    with src.connect() as conn:
        kiosk_rows = [dict(r) for r in conn.exec_driver_sql("SELECT * FROM kiosks").mappings()]
        record_rows = [dict(r) for r in conn.exec_driver_sql("SELECT * FROM records").mappings()]
    src.dispose()
    old = create_engine(normalise_url(db_url))
    _old.create_all(old)
    with old.begin() as conn:
        conn.execute(_old.tables["kiosks"].insert(), kiosk_rows)
        conn.execute(_old_records.insert(), record_rows)
    old.dispose()
    db = Database(db_url)
    try:
        assert db.migration is not None and db.migration.adopted
        assert schema_diff(db) == []
        assert db.count_records() == len(record_rows) == 12
        check_typed_columns(db)
    finally:
        db.dispose()


def test_downgrade_and_upgrade_again_keep_the_rows(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.add_kiosk("k1")
        db.upsert("k1", [session(i) for i in range(5)])
        with db.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
        assert db.count_records() == 5
        with db.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert schema_diff(db) == [] and db.count_records() == 5
        check_typed_columns(db)
    finally:
        db.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_kiosk_server_migrate_command(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "old.db"
    shutil.copy(LEGACY, path)
    cmd = [sys.executable, "-m", "sync.server.cli", "migrate", "--db", f"sqlite:///{path}"]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "adopted" in first.stdout and head_revision() in first.stdout
    second = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=60)
    assert second.returncode == 0 and "up to date" in second.stdout
