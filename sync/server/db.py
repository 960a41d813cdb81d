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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError

from sync.api import Status
from sync.records import Record
from sync.server.community import ingest as community_ingest
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
        self.demographics: Demographics = _no_demographics
        """Age group and sex of a record's resident for the pages' aggregates (pluggable)."""
        self.count_aggregates = True
        """False only for a bulk import followed by ``kiosk-server rebuild-aggregates``."""
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
        connection is not a record's fault: that still raises. Erasure
        requests are enforced for the batch's residents in the same
        transaction (see :meth:`enforce_erasures`).
        """
        if not batch:
            return {}
        rows = {rec.key: _row(rec, _iso()) for rec in batch}
        recs = {rec.key: rec for rec in batch}
        residents = [rec.resident for rec in batch]
        try:
            with self._writing() as conn:
                out_batch = self._upsert_rows(conn, kiosk, list(rows.values()), recs)
                self._erase(conn, kiosk, residents)
                return out_batch
        except (StatementError, DBAPIError) as exc:
            if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
                raise
            log.warning("batch of %d refused by the database (%s); storing one by one",
                        len(rows), _db_reason(exc))
        out: dict[str, Status | str] = {}
        for uid, row in rows.items():
            try:
                with self._writing() as conn:
                    out.update(self._upsert_rows(conn, kiosk, [row], recs))
            except (StatementError, DBAPIError) as exc:
                if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
                    raise
                out[uid] = f"the database cannot store this record: {_db_reason(exc)}"
        refused = {uid for uid, st in out.items() if st.startswith("the database cannot store")}
        self.enforce_erasures(kiosk, [r.resident for u, r in recs.items() if u not in refused])
        return out

    def _upsert_rows(
        self,
        conn: Connection,
        kiosk: str,
        rows: list[dict[str, Any]],
        recs: dict[str, Record],
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
        refused, moved = community_ingest.judge(
            conn, kiosk, [recs[r["uuid"]] for r in new_rows], [recs[r["uuid"]] for r in changed]
        )
        if refused:  # votes and sign-ups the community rules refuse are not stored
            new_rows = [r for r in new_rows if r["uuid"] not in refused]
            changed = [r for r in changed if r["uuid"] not in refused]
            out.update(refused)
        inserted: set[str] = set()
        if new_rows:
            stmt = self._insert(records).on_conflict_do_nothing(
                index_elements=["kiosk_id", "uuid"]
            )
            inserted = {r[0] for r in conn.execute(stmt.returning(records.c.uuid), new_rows)}
        replaced = self._payloads_for_update(conn, kiosk, [r["uuid"] for r in changed])
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
        stored = [recs[u] for u in inserted] + [recs[u] for u in replaced]
        moved = community_ingest.tally(conn, kiosk, stored, list(replaced.values())) or moved
        self._count(conn, kiosk, stored, replaced)
        if moved:
            community_ingest.finish(conn, kiosk)
        return out

    # --- manager pages: their aggregates move with the records, in this transaction ---

    def _payloads_for_update(self, conn: Connection, kiosk: str, uuids: list[str]) -> dict[str, str]:
        """The stored payloads of records about to be replaced (rows locked until commit)."""
        if not uuids:
            return {}
        q = (
            select(records.c.uuid, records.c.payload)
            .where(records.c.kiosk_id == kiosk, records.c.uuid.in_(uuids))
            .with_for_update()
        )
        return {uid: payload for uid, payload in conn.execute(q)}

    def _count(
        self, conn: Connection, kiosk: str, stored: list[Record], replaced: dict[str, str]
    ) -> None:
        if not self.count_aggregates:
            return
        from sync.server.web.aggregates import count_ingest

        count_ingest(conn, kiosk, stored, list(replaced.values()), self.demographics)

    def _uncount(self, conn: Connection, gone: Sequence[Row[tuple[str, str]]]) -> None:
        """Take deleted records (kiosk, payload) out of the manager pages' aggregates."""
        if not self.count_aggregates or not gone:
            return
        from sync.server.web.aggregates import uncount_deleted

        uncount_deleted(conn, [(k, p) for k, p in gone], self.demographics)

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

    # --- residents (issue 13): erasure and profiles, within one community ------------

    def community_kiosks(self, kiosk: str) -> list[str]:
        """The kiosks of ``kiosk``'s community (``kiosk`` itself included)."""
        community = (
            select(kiosks.c.community).where(kiosks.c.name == kiosk).scalar_subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(select(kiosks.c.name).where(kiosks.c.community == community))
            return [str(r[0]) for r in rows]

    def enforce_erasures(self, kiosk: str, residents: Sequence[str]) -> int:
        """Delete the records of ``residents`` that an erasure request covers.

        A request (kind ``erasure_request``, from any kiosk of ``kiosk``'s
        community) covers every record of its resident made by the community's
        kiosks up to its ``requested_at``; the requests themselves are kept. Run
        after every stored batch for the residents in it, so a request deletes
        what is there, and a record that arrives later from before the request
        (another kiosk that was offline) is deleted as it arrives. The manager
        pages' aggregates lose the deleted records in the same transaction
        (uncounted per sending kiosk, the resident's reference counts with
        them), so no figure keeps an erased resident's contribution. Returns
        how many records were deleted.
        """
        if not any(r and r != "guest" for r in residents):
            return 0
        with self._writing() as conn:
            return self._erase(conn, kiosk, residents)

    def _erase(self, conn: Connection, kiosk: str, residents: Sequence[str]) -> int:
        """:meth:`enforce_erasures` inside the caller's write transaction."""
        names = sorted({r for r in residents if r and r != "guest"})
        if not names:
            return 0
        community_of_kiosk = community_ingest.items.community_of(conn, kiosk)
        if community_of_kiosk is None:
            return 0
        members = community_ingest.items.community_kiosks(conn, community_of_kiosk)
        deleted = 0
        erased: list[Row[tuple[str, str]]] = []
        for i in range(0, len(names), 500):
            chunk = names[i : i + 500]
            latest = conn.execute(
                select(records.c.resident, func.max(records.c.occurred_at))
                .where(
                    records.c.kind == "erasure_request",
                    records.c.resident.in_(chunk),
                    records.c.kiosk_id.in_(members),
                )
                .group_by(records.c.resident)
            ).all()
            erased_residents = [resident for resident, _until in latest]
            if erased_residents:  # their votes, sign-ups and challenge tallies
                community_ingest.erase(conn, community_of_kiosk, erased_residents)
            for resident, until in latest:
                gone = conn.execute(
                    delete(records)
                    .where(
                        records.c.resident == resident,
                        records.c.kind != "erasure_request",
                        records.c.kiosk_id.in_(members),
                        records.c.occurred_at <= until,
                    )
                    .returning(records.c.kiosk_id, records.c.payload)
                ).all()
                deleted += len(gone)
                erased.extend(gone)
        self._uncount(conn, erased)
        if deleted:
            log.info("erasure: deleted %d record(s) of %d resident(s) for kiosk %s's community",
                     deleted, len(names), kiosk)
        return deleted

    def count_resident_records(self, resident: str, kind: str | None = None) -> int:
        """How many records of ``resident`` the server holds (any kiosk), e.g. after an erasure."""
        q = select(func.count()).select_from(records).where(records.c.resident == resident)
        if kind is not None:
            q = q.where(records.c.kind == kind)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def resident_profiles(self, kiosk: str, resident: str | None = None) -> list[dict[str, Any]]:
        """The newest ``resident_profile`` of each resident (or of one) in ``kiosk``'s community."""
        members = self.community_kiosks(kiosk)
        q = select(records.c.resident, records.c.occurred_at, records.c.payload).where(
            records.c.kind == "resident_profile", records.c.kiosk_id.in_(members)
        )
        if resident is not None:
            q = q.where(records.c.resident == resident)
        newest: dict[str, tuple[str, str]] = {}
        with self.engine.connect() as conn:
            for who, when, payload in conn.execute(q):
                if who not in newest or when >= newest[who][0]:
                    newest[who] = (when, payload)
        return [json.loads(payload) for _when, payload in newest.values()]


Demographics = Callable[[Record], tuple[str | int | None, str | None]]
"""A record's resident's age group (or age) and sex; see ``sync.server.web.record_facts``."""


def _no_demographics(_record: Record) -> tuple[str | int | None, str | None]:
    return None, None


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
