"""The central server's database: SQLAlchemy Core on SQLite (WAL) or PostgreSQL.

Why this module exists: ingest must be idempotent (a retried POST must never
create a second row) and must not acknowledge a record before it is
committed. Records are keyed by the sending kiosk and the UUID made on it; a
batch is one transaction: look up the batch's UUIDs, insert the new ones with
``ON CONFLICT DO NOTHING`` (safe when two retries race), update the changed
ones. If the database refuses the batch because of one record's data (say a
character PostgreSQL cannot store), the rows are written one by one and only
the refused ones are reported, with the database's reason. SQLite needs no
set-up (WAL, ``synchronous=FULL`` so an acknowledged record survives a power
cut; the file is created mode 0600: it holds residents' data); a
``postgresql://`` URL uses psycopg 3. The schema is brought up to date by
Alembic at open (:mod:`sync.server.migrate`). Kiosk tokens are stored only as
SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError

from sync.api import Status
from sync.records import Record
from sync.server.migrate import MigrationResult, upgrade
from sync.server.tables import DEFAULT_COMMUNITY, kiosks, records

log = logging.getLogger(__name__)

__all__ = ["Database", "KioskExistsError", "hash_token", "kiosks", "normalise_url", "records"]


class KioskExistsError(ValueError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(t: datetime | None = None) -> str:
    return (t or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` (use psycopg 3) and plain SQLite paths."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _create_private_file(url: str) -> None:
    """Create a SQLite database file mode 0600 (SQLite gives its -wal/-shm files the same mode)."""
    path = url.split("sqlite:///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if os.stat(path).st_mode & 0o077:
        log.warning("database file %s is readable by others; setting mode 0600", path)
        os.chmod(path, 0o600)


class Database:
    """All database access of the server."""

    def __init__(
        self, url: str, *, migrate: bool = True, pool_size: int = 10, max_overflow: int = 20
    ) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            path = self.url.split("sqlite:///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = max_overflow
        if self.is_sqlite:
            _create_private_file(self.url)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # SQLite allows one writer; serialise writers here rather than spin on SQLITE_BUSY.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self.migration: MigrationResult | None = upgrade(self.engine) if migrate else None
        self._insert = self._dialect_insert()

    def _dialect_insert(self) -> Any:
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        return insert

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        if self._write_lock is not None:
            with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    # --- kiosks -------------------------------------------------------------------

    def add_kiosk(
        self, name: str, rotate: bool = False, community: str = DEFAULT_COMMUNITY
    ) -> str:
        """Create (or with ``rotate`` re-key) a kiosk; returns the token, which is not stored.

        ``community`` is set for a new kiosk; a rotation keeps the kiosk's community.
        """
        token = secrets.token_urlsafe(32)
        with self._writing() as conn:
            exists = conn.execute(select(kiosks.c.name).where(kiosks.c.name == name)).first()
            if exists and not rotate:
                raise KioskExistsError(
                    f"kiosk {name!r} already exists; use --rotate to issue a new token"
                )
            if exists:
                conn.execute(
                    update(kiosks).where(kiosks.c.name == name).values(token_hash=hash_token(token))
                )
            else:
                conn.execute(
                    kiosks.insert().values(
                        name=name,
                        token_hash=hash_token(token),
                        created_at=_iso(),
                        community=community,
                    )
                )
        return token

    def kiosk_for_token(self, token: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(kiosks.c.name).where(kiosks.c.token_hash == hash_token(token))
            ).first()
        return None if row is None else str(row[0])

    def token_matches(self, name: str, token: str) -> bool:
        return self.kiosk_for_token(token) == name

    def heartbeat(self, name: str, info: dict[str, Any]) -> None:
        with self._writing() as conn:
            conn.execute(
                update(kiosks)
                .where(kiosks.c.name == name)
                .values(last_seen_at=_iso(), last_heartbeat=json.dumps(info, default=str))
            )

    def list_kiosks(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    kiosks.c.name, kiosks.c.community, kiosks.c.created_at, kiosks.c.last_seen_at
                ).order_by(kiosks.c.name)
            ).all()
        return [dict(r._mapping) for r in rows]

    # --- records ------------------------------------------------------------------

    def upsert(self, kiosk: str, batch: Sequence[Record]) -> dict[str, Status | str]:
        """Store a batch of ``kiosk``'s records; returns uuid -> status, or the reason it was refused.

        Every record must carry ``kiosk_id == kiosk`` (the caller checks). The
        batch is one transaction; if the database refuses it for a record's
        data, each record is written in its own transaction and the refused
        ones get the database's reason instead of a status. Losing the
        connection is not a record's fault: that still raises.
        """
        if not batch:
            return {}
        rows = {rec.key: _row(rec, _iso()) for rec in batch}
        try:
            with self._writing() as conn:
                return self._upsert_rows(conn, kiosk, list(rows.values()))
        except (StatementError, DBAPIError) as exc:
            if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
                raise
            log.warning("batch of %d refused by the database (%s); storing one by one",
                        len(rows), _db_reason(exc))
        out: dict[str, Status | str] = {}
        for uid, row in rows.items():
            try:
                with self._writing() as conn:
                    out.update(self._upsert_rows(conn, kiosk, [row]))
            except (StatementError, DBAPIError) as exc:
                if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
                    raise
                out[uid] = f"the database cannot store this record: {_db_reason(exc)}"
        return out

    def _upsert_rows(
        self, conn: Connection, kiosk: str, rows: list[dict[str, Any]]
    ) -> dict[str, Status | str]:
        out: dict[str, Status | str] = {}
        existing: dict[str, str] = {}
        keys = [r["uuid"] for r in rows]
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            for uid, h in conn.execute(
                select(records.c.uuid, records.c.payload_hash).where(
                    records.c.kiosk_id == kiosk, records.c.uuid.in_(chunk)
                )
            ):
                existing[uid] = h
        new_rows, changed = [], []
        for row in rows:
            uid = row["uuid"]
            if uid not in existing:
                new_rows.append(row)
                out[uid] = "created"
            elif existing[uid] == row["payload_hash"]:
                out[uid] = "unchanged"
            else:
                changed.append(row)
                out[uid] = "updated"
        if new_rows:
            stmt = self._insert(records).on_conflict_do_nothing(
                index_elements=["kiosk_id", "uuid"]
            )
            conn.execute(stmt, new_rows)
        if changed:
            fields = [c for c in changed[0] if c not in ("kiosk_id", "uuid", "received_at")]
            conn.execute(
                update(records)
                .where(
                    records.c.kiosk_id == bindparam("b_kiosk_id"),
                    records.c.uuid == bindparam("b_uuid"),
                )
                .values({f: bindparam(f"b_{f}") for f in fields}),
                [{f"b_{k}": v for k, v in r.items() if k != "received_at"} for r in changed],
            )
        return out

    def count_records(self, kiosk: str | None = None) -> int:
        q = select(func.count()).select_from(records)
        if kiosk is not None:
            q = q.where(records.c.kiosk_id == kiosk)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def uuids(self, kiosk: str | None = None) -> list[str]:
        q = select(records.c.uuid)
        if kiosk is not None:
            q = q.where(records.c.kiosk_id == kiosk)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def payload(self, uuid: str, kiosk: str | None = None) -> dict[str, Any] | None:
        q = select(records.c.payload).where(records.c.uuid == uuid)
        if kiosk is not None:
            q = q.where(records.c.kiosk_id == kiosk)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else json.loads(row[0])

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))


def _row(rec: Record, now: str) -> dict[str, Any]:
    payload = json.dumps(rec.to_json_dict(), sort_keys=True, separators=(",", ":"))
    value, unit = rec.measure()
    return {
        "kiosk_id": rec.kiosk_id,
        "uuid": rec.key,
        "kind": rec.kind,
        "schema_version": rec.schema_version,
        "resident": rec.resident,
        "occurred_at": _iso(rec.timestamp()),
        "local_day": rec.local_day(),
        "value": value,
        "unit": unit,
        "payload": payload,
        "payload_hash": hashlib.sha256(payload.encode()).hexdigest(),
        "received_at": now,
        "updated_at": now,
    }


def _db_reason(exc: StatementError | DBAPIError) -> str:
    """The database's own words (first line), without the SQL and parameters."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return (text[0] if text else type(orig).__name__)[:300]
