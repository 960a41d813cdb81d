"""The central server's database: SQLAlchemy Core on SQLite (WAL) or PostgreSQL.

Why this module exists: ingest must be idempotent (a retried POST must never
create a second row) and must not acknowledge a record before it is
committed. Records are keyed by the UUID made on the kiosk; a batch is one
transaction: look up the batch's UUIDs, insert the new ones with
``ON CONFLICT DO NOTHING`` (safe when two retries race), update the changed
ones. SQLite needs no set-up (WAL, ``synchronous=FULL`` so an acknowledged
record survives a power cut); a ``postgresql://`` URL uses psycopg 3.
Kiosk tokens are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine

from sync.api import Status
from sync.records import Record

log = logging.getLogger(__name__)

metadata = MetaData()

kiosks = Table(
    "kiosks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32)),
    Column("last_heartbeat", Text),
)

records = Table(
    "records",
    metadata,
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


class Database:
    """All database access of the server."""

    def __init__(self, url: str) -> None:
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
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # SQLite allows one writer; serialise writers here rather than spin on SQLITE_BUSY.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        metadata.create_all(self.engine)
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

    def add_kiosk(self, name: str, rotate: bool = False) -> str:
        """Create (or with ``rotate`` re-key) a kiosk; returns the token, which is not stored."""
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
                        name=name, token_hash=hash_token(token), created_at=_iso()
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
                select(kiosks.c.name, kiosks.c.created_at, kiosks.c.last_seen_at)
            ).all()
        return [dict(r._mapping) for r in rows]

    # --- records ------------------------------------------------------------------

    def upsert(self, kiosk: str, batch: Sequence[Record]) -> dict[str, Status | str]:
        """Store a batch in one transaction; returns uuid -> status (or an error text).

        A uuid already stored under another kiosk is refused (an error string).
        """
        if not batch:
            return {}
        now = _iso()
        rows: dict[str, dict[str, Any]] = {}
        for rec in batch:
            payload = json.dumps(rec.to_json_dict(), sort_keys=True, separators=(",", ":"))
            rows[rec.key] = {
                "uuid": rec.key,
                "kiosk_id": rec.kiosk_id,
                "kind": rec.kind,
                "schema_version": rec.schema_version,
                "resident": rec.resident,
                "occurred_at": _iso(rec.timestamp()),
                "payload": payload,
                "payload_hash": hashlib.sha256(payload.encode()).hexdigest(),
                "received_at": now,
                "updated_at": now,
            }
        out: dict[str, Status | str] = {}
        with self._writing() as conn:
            existing: dict[str, tuple[str, str]] = {}
            keys = list(rows)
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                for uid, h, k in conn.execute(
                    select(records.c.uuid, records.c.payload_hash, records.c.kiosk_id).where(
                        records.c.uuid.in_(chunk)
                    )
                ):
                    existing[uid] = (h, k)
            new_rows, changed = [], []
            for uid, row in rows.items():
                if uid not in existing:
                    new_rows.append(row)
                    out[uid] = "created"
                    continue
                h, owner = existing[uid]
                if owner != kiosk:
                    out[uid] = f"uuid {uid} is already stored for another kiosk"
                elif h == row["payload_hash"]:
                    out[uid] = "unchanged"
                else:
                    changed.append(row)
                    out[uid] = "updated"
            if new_rows:
                stmt = self._insert(records).on_conflict_do_nothing(index_elements=["uuid"])
                conn.execute(stmt, new_rows)
            if changed:
                conn.execute(
                    update(records)
                    .where(records.c.uuid == bindparam("b_uuid"))
                    .values(
                        kind=bindparam("b_kind"),
                        schema_version=bindparam("b_schema_version"),
                        resident=bindparam("b_resident"),
                        occurred_at=bindparam("b_occurred_at"),
                        payload=bindparam("b_payload"),
                        payload_hash=bindparam("b_payload_hash"),
                        updated_at=bindparam("b_updated_at"),
                    ),
                    [{f"b_{k}": v for k, v in r.items()} for r in changed],
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

    def payload(self, uuid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(records.c.payload).where(records.c.uuid == uuid)).first()
        return None if row is None else json.loads(row[0])

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))
