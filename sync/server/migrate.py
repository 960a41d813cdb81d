"""Bring a central database's schema up to date (Alembic, run in-process).

Why this module exists: the server's schema changes as features arrive
(typed report columns now, pages and challenges later), and a community's
database must follow without an administrator running SQL by hand. The
server runs :func:`upgrade` at start (``Database`` does), and ``kiosk-server
migrate`` runs it on request. A database made before migrations existed
(``create_all``: tables but no ``alembic_version``) is adopted: stamped at the
baseline revision, then upgraded, keeping every row.

Several server processes may start at once (uvicorn workers, or two machines
behind a load balancer): on PostgreSQL the upgrade runs under a session-level
advisory lock, so one migrates while the others wait and then find the schema
up to date. (SQLite serialises writers itself.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
"""The revision that describes the schema ``create_all`` made before Alembic."""
LEGACY_TABLES = frozenset({"kiosks", "records"})
MIGRATION_LOCK_KEY = 0x4B696F736B  # "Kiosk": the advisory lock every migrating process takes


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    """The revision found (``None``: an empty database)."""
    after: str
    adopted: bool
    """True when a pre-Alembic database was stamped at the baseline first."""

    def summary(self) -> str:
        if self.adopted:
            return (
                f"adopted a database made before migrations (stamped {BASELINE}) and upgraded "
                f"it to revision {self.after}"
            )
        if self.before == self.after:
            return f"schema is up to date (revision {self.after})"
        start = "an empty database" if self.before is None else f"revision {self.before}"
        return f"schema upgraded from {start} to revision {self.after}"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> MigrationResult:
    """Migrate ``engine``'s database to ``target`` (adopting a pre-Alembic one); idempotent.

    On PostgreSQL, concurrent callers (other processes or machines) wait for
    each other on an advisory lock instead of racing to create the same tables.
    """
    if engine.dialect.name != "postgresql":
        return _upgrade(engine, target)
    with engine.connect() as lock_conn:
        lock_conn.execute(sql("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        lock_conn.commit()
        try:
            return _upgrade(engine, target)
        finally:
            lock_conn.execute(sql("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            lock_conn.commit()


def _upgrade(engine: Engine, target: str) -> MigrationResult:
    head = head_revision() if target == "head" else target
    with engine.connect() as conn:
        before = current_revision(conn)
        tables = set(inspect(conn).get_table_names())
    if before == head:
        return MigrationResult(before, head, adopted=False)
    adopted = False
    with engine.begin() as conn:
        cfg = alembic_config(conn)
        if before is None and LEGACY_TABLES & tables:
            missing = LEGACY_TABLES - tables
            if missing:
                raise RuntimeError(
                    f"database has {sorted(LEGACY_TABLES & tables)} but not {sorted(missing)} "
                    "and no migration history; refusing to guess its schema"
                )
            log.warning("adopting a database made before migrations: stamping %s", BASELINE)
            command.stamp(cfg, BASELINE)
            adopted = True
        command.upgrade(cfg, target)
    result = MigrationResult(before, head, adopted)
    log.info("%s", result.summary())
    return result
