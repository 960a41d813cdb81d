"""The kiosk's durable local record store (TinyDB on atomic, durable storage).

Why this module exists: a kiosk stores every session locally, works for weeks
without network and loses power without warning. Records must survive a
power cut the moment ``save`` returns, must never be half-stored, and the cost
of one save must not grow with years of history.

Layout under the store directory::

    segments/seg-2026-11-000042.json   TinyDB files, at most ``segment_size`` records each
    corrupt/                           files (or records) found broken at start, moved aside
    .lock                              exclusive lock: one process owns the store

A file that is not a JSON object is moved to ``corrupt/`` whole; a bad record
inside a good file (:mod:`sync.segment` says which) is quarantined: its exact
text goes to ``corrupt/<file>.<time>.records.json`` with the reason, and the
rest of the file is kept. :func:`inspect_store` reports all of this without
changing anything (``kiosk doctor``).

New records go into the newest ("active") segment; a new segment starts when
it is full or the month changes, so a save rewrites at most one small file
(through :class:`sync.storage.AtomicJSONStorage`: temp file, fsync, rename,
fsync the directory). At open every segment is read once to build an
in-memory index (uuid -> segment, the unsynced and rejected sets, and a small
entry per record by resident and by kind, :mod:`sync.record_index`, for "My
records" and the residents' profiles); there is no second file that could
disagree with the segments after a crash. ``delete_resident`` removes every
record of one resident ("Delete my data"). Segments
whose records are all synced and older than the retention are pruned.

One writer: every public method takes one lock, and the ``.lock`` file keeps a
second process (say ``kiosk sync`` while the kiosk runs) out.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from sync.record_index import Entry, RecordIndex
from sync.records import Record, check_record, parse_record
from sync.segment import FORMAT, TABLE, BadRecord, make_doc, read_segment
from sync.storage import TMP_SUFFIX, AtomicJSONStorage, atomic_write_bytes, dumps

log = logging.getLogger(__name__)

__all__ = [
    "FORMAT",
    "TABLE",
    "Store",
    "StoreBusyError",
    "StoreClosedError",
    "StoreError",
    "StoreInspection",
    "StoreStats",
    "StoreWarning",
    "inspect_store",
]

_SEG_RE = re.compile(r"^seg-(\d{4})-(\d{2})-(\d{6})\.json$")


class StoreError(RuntimeError):
    pass


class StoreBusyError(StoreError):
    """Another process holds the store (for example the running kiosk)."""


class StoreClosedError(StoreError):
    pass


@dataclass
class _SegMeta:
    name: str
    count: int = 0
    unsynced: int = 0
    newest: str = ""
    """ISO time of the newest record's own timestamp (for retention)."""


@dataclass(frozen=True)
class StoreWarning:
    when: datetime
    message: str
    path: str = ""

    def __str__(self) -> str:
        return self.message


@dataclass
class StoreStats:
    total: int
    waiting: int
    rejected: int
    segments: int
    warnings: list[StoreWarning] = field(default_factory=list)
    invalid: int = 0
    """Of ``rejected``: records the server refused as invalid (kept, never resent)."""
    quarantined: int = 0
    """Bad records set aside in ``corrupt/`` when the store was opened."""
    corrupt_files: int = 0
    """Whole files moved to ``corrupt/`` when the store was opened."""


def _now() -> datetime:
    return datetime.now(UTC)


class _Segment:
    """One TinyDB file of records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.storage: AtomicJSONStorage | None = None
        self.db = TinyDB(str(path), storage=AtomicJSONStorage)
        self.storage = self.db.storage  # type: ignore[assignment]
        self.table = self.db.table(TABLE, cache_size=0)

    def raw_docs(self) -> dict[str, dict[str, Any]]:
        data = self.db.storage.read() or {}
        return data.get(TABLE, {})

    def close(self) -> None:
        self.db.close()


class Store:
    """The local record store. Thread-safe; one instance per directory and process."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        segment_size: int = 256,
        retention_days: int | None = 365,
        open_segments: int = 4,
    ) -> None:
        self.dir = Path(data_dir)
        self.segment_size = segment_size
        self.retention_days = retention_days
        self._lock = threading.RLock()
        self._open_limit = max(2, open_segments)
        self._open: OrderedDict[str, _Segment] = OrderedDict()
        self._where: dict[str, tuple[str, int]] = {}
        self._unsynced: dict[str, None] = {}
        self._rejected: dict[str, str] = {}
        self._invalid: set[str] = set()
        self._quarantined = 0
        self._corrupt_files = 0
        self._index = RecordIndex()
        self._segs: dict[str, _SegMeta] = {}
        self._active: str | None = None
        self._next_seq = 1
        self._warnings: list[StoreWarning] = []
        self._closed = False
        self.seg_dir = self.dir / "segments"
        self.corrupt_dir = self.dir / "corrupt"
        self.seg_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = self._acquire_process_lock()
        try:
            self._load()
            if retention_days:
                self.prune()
        except BaseException:
            self._release_process_lock()
            raise

    # --- process lock -------------------------------------------------------------

    def _acquire_process_lock(self) -> int:
        path = self.dir / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            finally:
                os.close(fd)
            raise StoreBusyError(
                f"the store in {self.dir} is in use by another process"
                + (f" (pid {holder})" if holder else "")
                + "; the running kiosk syncs it in the background"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return fd

    def _release_process_lock(self) -> None:
        if self._lock_fd >= 0:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            finally:
                os.close(self._lock_fd)
                self._lock_fd = -1

    # --- loading ------------------------------------------------------------------

    def _warn(self, message: str, path: Path | str = "") -> None:
        log.error("STORE WARNING: %s", message)
        self._warnings.append(StoreWarning(_now(), message, str(path)))

    def _move_aside(self, path: Path, reason: str) -> Path:
        self.corrupt_dir.mkdir(exist_ok=True)
        stamp = _now().strftime("%Y%m%dT%H%M%SZ")
        dest = self.corrupt_dir / f"{path.name}.{stamp}.corrupt"
        n = 1
        while dest.exists():
            dest = self.corrupt_dir / f"{path.name}.{stamp}.{n}.corrupt"
            n += 1
        os.replace(path, dest)
        self._corrupt_files += 1
        self._warn(f"corrupt store file {path.name} moved aside to {dest} ({reason})", dest)
        return dest

    def _load(self) -> None:
        for tmp in self.seg_dir.glob(f".*{TMP_SUFFIX}"):
            log.info("removing an unfinished write left by a crash: %s", tmp.name)
            tmp.unlink(missing_ok=True)
        names = sorted(p.name for p in self.seg_dir.iterdir() if _SEG_RE.match(p.name))
        for name in names:
            path = self.seg_dir / name
            seq = int(name[-11:-5])
            self._next_seq = max(self._next_seq, seq + 1)
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            self._index_segment(path, raw)
        if names:
            last = names[-1]
            if last in self._segs:
                self._active = last

    def _index_segment(self, path: Path, raw: bytes) -> None:
        name = path.name
        read = read_segment(raw)
        if read.corrupt is not None:
            self._move_aside(path, read.corrupt)
            return
        meta = _SegMeta(name)
        bad = list(read.bad)
        docs = read.docs
        for b in bad:
            self._warn(f"invalid record {b.doc_id} in {name} quarantined: {b.reason}", path)
        for doc_id, doc in list(docs.items()):
            uid = doc["uuid"]
            if uid in self._where:
                # Cannot happen through this API; keep the first, report the second.
                bad.append(BadRecord(doc_id, f"duplicate of record {uid}", dumps(docs.pop(doc_id))))
                self._warn(f"duplicate record {uid} in {name} quarantined", path)
                continue
            self._where[uid] = (name, int(doc_id))
            self._index.add(uid, doc["data"])
            meta.count += 1
            meta.newest = max(meta.newest, doc["ts"])
            if doc.get("rejected"):
                self._rejected[uid] = str(doc["rejected"])
                if doc.get("invalid") is True:
                    self._invalid.add(uid)
            if not doc.get("synced"):
                meta.unsynced += 1
                self._unsynced[uid] = None
        if bad:
            self._quarantine(name, bad)
        if bad or read.changed:
            atomic_write_bytes(path, dumps(read.data))
            log.info("store file %s upgraded/repaired in place", name)
        for doc_id in read.repaired:
            log.warning("store file %s: record %s had damaged bookkeeping; rebuilt", name, doc_id)
        self._segs[name] = meta

    def _quarantine(self, name: str, bad: list[BadRecord]) -> None:
        """Keep each bad record's exact text, with the reason, in ``corrupt/``."""
        self.corrupt_dir.mkdir(exist_ok=True)
        stamp = _now().strftime("%Y%m%dT%H%M%SZ")
        dest = self.corrupt_dir / f"{name}.{stamp}.records.json"
        n = 1
        while dest.exists():
            dest = self.corrupt_dir / f"{name}.{stamp}.{n}.records.json"
            n += 1
        parts = [
            json.dumps(b.doc_id).encode() + b":{\"reason\":" + json.dumps(b.reason).encode()
            + b",\"document\":" + b.raw + b"}"
            for b in bad
        ]
        atomic_write_bytes(dest, b"{" + b",".join(parts) + b"}")
        self._quarantined += len(bad)

    # --- segments -----------------------------------------------------------------

    def _segment(self, name: str) -> _Segment:
        seg = self._open.get(name)
        if seg is not None:
            self._open.move_to_end(name)
            return seg
        seg = _Segment(self.seg_dir / name)
        self._open[name] = seg
        while len(self._open) > self._open_limit:
            old_name, old = self._open.popitem(last=False)
            old.close()
        return seg

    def _active_segment(self) -> tuple[str, _Segment]:
        month = _now().strftime("%Y-%m")
        name = self._active
        if name is not None:
            meta = self._segs[name]
            if meta.count < self.segment_size and name[4:11] == month:
                return name, self._segment(name)
        name = f"seg-{month}-{self._next_seq:06d}.json"
        self._next_seq += 1
        self._segs[name] = _SegMeta(name)
        self._active = name
        return name, self._segment(name)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("the store is closed")

    # --- writing ------------------------------------------------------------------

    def save(self, record: Record | dict[str, Any]) -> None:
        """Store ``record`` durably; returns only when it is on disk.

        An invalid record raises :class:`sync.records.RecordError` and nothing is
        written. Saving the same uuid again replaces the stored record (and marks
        it for sync again if it changed); an identical re-save is a no-op.
        """
        self.save_many([record])

    def save_many(self, records: Iterable[Record | dict[str, Any]]) -> int:
        """Validate all, then store all (one atomic write per segment touched).

        If any record is invalid nothing is written. Returns how many records
        were new or changed.
        """
        valid = [check_record(r) for r in records]  # raises before any write
        with self._lock:
            self._check_open()
            new: dict[str, dict[str, Any]] = {}
            updates: dict[str, list[tuple[int, dict[str, Any]]]] = {}
            for rec in valid:
                uid = rec.key
                doc = make_doc(rec, synced=False)
                if uid in new:
                    new[uid] = doc
                    continue
                where = self._where.get(uid)
                if where is None:
                    new[uid] = doc
                    continue
                seg_name, doc_id = where
                current = self._segment(seg_name).raw_docs().get(str(doc_id))
                if current is not None and current.get("data") == doc["data"]:
                    continue  # identical re-save: idempotent no-op
                updates.setdefault(seg_name, []).append((doc_id, doc))
            for seg_name, items in updates.items():
                seg = self._segment(seg_name)
                by_uuid = {d["uuid"]: d for _i, d in items}

                def replace(doc: dict[str, Any], by_uuid: dict[str, Any] = by_uuid) -> None:
                    fresh = by_uuid[doc["uuid"]]
                    doc.clear()
                    doc.update(fresh)

                seg.table.update(replace, doc_ids=[i for i, _d in items])  # one atomic write
                meta = self._segs[seg_name]
                for _i, d in items:
                    uid = d["uuid"]
                    self._index.add(uid, d["data"])
                    if uid not in self._unsynced:
                        self._unsynced[uid] = None
                        meta.unsynced += 1
                    self._rejected.pop(uid, None)
                    self._invalid.discard(uid)
                    meta.newest = max(meta.newest, d["ts"])
            pending = list(new.values())
            while pending:
                name, seg = self._active_segment()
                meta = self._segs[name]
                room = self.segment_size - meta.count
                chunk, pending = pending[:room], pending[room:]
                ids = seg.table.insert_multiple(chunk)
                for doc_id, d in zip(ids, chunk, strict=True):
                    uid = d["uuid"]
                    self._where[uid] = (name, doc_id)
                    self._index.add(uid, d["data"])
                    self._unsynced[uid] = None
                    meta.count += 1
                    meta.unsynced += 1
                    meta.newest = max(meta.newest, d["ts"])
            return len(new) + sum(len(v) for v in updates.values())

    def _set_flags(self, uuids: Iterable[str], fields: dict[str, Any]) -> list[str]:
        by_seg: dict[str, list[tuple[str, int]]] = {}
        for uid in uuids:
            uid = str(uid)
            where = self._where.get(uid)
            if where is not None:
                by_seg.setdefault(where[0], []).append((uid, where[1]))
        done: list[str] = []
        for seg_name, items in by_seg.items():
            self._segment(seg_name).table.update(fields, doc_ids=[i for _u, i in items])
            done.extend(u for u, _i in items)
        return done

    def mark_synced(self, uuids: Iterable[str]) -> int:
        """Mark records acknowledged by the server; unknown uuids are ignored."""
        with self._lock:
            self._check_open()
            todo = list(dict.fromkeys(str(u) for u in uuids if str(u) in self._unsynced))
            done = self._set_flags(
                todo, {"synced": True, "synced_at": _iso(_now()), "rejected": None}
            )
            for uid in done:
                del self._unsynced[uid]
                self._rejected.pop(uid, None)
                self._invalid.discard(uid)
                self._segs[self._where[uid][0]].unsynced -= 1
            return len(done)

    def mark_rejected(self, reasons: dict[str, str], invalid: bool = False) -> int:
        """Remember that the server refused these records: kept, not resent.

        ``invalid``: the server said the record itself is bad, so it will never be
        accepted; :meth:`retry_rejected` leaves such records alone unless asked.
        Other refusals (say a kiosk id that does not match the token) wait for the
        cause to be fixed and a retry, or a new save.
        """
        with self._lock:
            self._check_open()
            n = 0
            for uid, reason in reasons.items():
                uid = str(uid)
                text = reason[:500] or "rejected"
                fields = {"rejected": text, "invalid": invalid}
                if uid in self._unsynced and self._set_flags([uid], fields):
                    self._rejected[uid] = text
                    if invalid:
                        self._invalid.add(uid)
                    else:
                        self._invalid.discard(uid)
                    n += 1
            return n

    def retry_rejected(self, include_invalid: bool = False) -> int:
        """Put rejected records back in the queue (after the cause was fixed).

        Records refused as invalid stay aside unless ``include_invalid``.
        """
        with self._lock:
            self._check_open()
            uids = [u for u in self._rejected if include_invalid or u not in self._invalid]
            self._set_flags(uids, {"rejected": None, "invalid": False})
            for uid in uids:
                del self._rejected[uid]
                self._invalid.discard(uid)
            return len(uids)

    def prune(self, now: datetime | None = None) -> int:
        """Delete segments whose records are all synced and older than the retention."""
        if not self.retention_days:
            return 0
        cutoff = _iso((now or _now()) - timedelta(days=self.retention_days))
        removed = 0
        with self._lock:
            self._check_open()
            for name, meta in list(self._segs.items()):
                if name == self._active or meta.unsynced or not meta.newest:
                    continue
                if meta.newest >= cutoff:
                    continue
                seg = self._open.pop(name, None)
                if seg is not None:
                    seg.close()
                (self.seg_dir / name).unlink(missing_ok=True)
                for uid in [u for u, (s, _i) in self._where.items() if s == name]:
                    del self._where[uid]
                    self._index.remove(uid)
                del self._segs[name]
                removed += meta.count
                log.info(
                    "pruned %s (%d synced records older than %d days)",
                    name,
                    meta.count,
                    self.retention_days,
                )
        return removed

    def delete_resident(self, resident: str, keep_kinds: Iterable[str] = ()) -> int:
        """Delete every record of ``resident`` (synced or not) from the disk; returns how many.

        One atomic rewrite per segment that held some ("Delete my data"); records of
        ``keep_kinds`` stay. Unsynced records deleted here are never sent.
        """
        keep = set(keep_kinds)
        with self._lock:
            self._check_open()
            by_seg: dict[str, list[tuple[str, int]]] = {}
            for e in self._index.of_resident(resident):
                if e.kind in keep:
                    continue
                seg_name, doc_id = self._where[e.uuid]
                by_seg.setdefault(seg_name, []).append((e.uuid, doc_id))
            deleted = 0
            for seg_name, items in by_seg.items():
                self._segment(seg_name).table.remove(doc_ids=[i for _u, i in items])
                meta = self._segs[seg_name]
                for uid, _i in items:
                    del self._where[uid]
                    self._index.remove(uid)
                    self._rejected.pop(uid, None)
                    self._invalid.discard(uid)
                    if self._unsynced.pop(uid, ...) is not ...:
                        meta.unsynced -= 1
                    meta.count -= 1
                    deleted += 1
            if deleted:
                log.info("deleted %d record(s) of one resident from %d file(s)", deleted,
                         len(by_seg))
            return deleted

    # --- reading ------------------------------------------------------------------

    def entries(self, resident: str, kinds: Iterable[str] | None = None) -> list[Entry]:
        """The index entries of one resident's records, oldest first (no record is parsed)."""
        with self._lock:
            self._check_open()
            return self._index.of_resident(resident, kinds)

    def entries_of_kind(self, kind: str) -> list[Entry]:
        """The index entries of every record of one kind, oldest first."""
        with self._lock:
            self._check_open()
            return self._index.of_kind(kind)

    def get_many(self, uuids: Iterable[str]) -> list[Record]:
        """The records with these uuids (unknown ones left out), in the order asked."""
        with self._lock:
            self._check_open()
            out: list[Record] = []
            for uid in uuids:
                doc = self._doc(str(uid))
                if doc is not None:
                    out.append(parse_record(doc["data"]))
            return out

    def _doc(self, uid: str) -> dict[str, Any] | None:
        where = self._where.get(uid)
        if where is None:
            return None
        return self._segment(where[0]).raw_docs().get(str(where[1]))

    def get(self, uuid: str) -> Record | None:
        with self._lock:
            self._check_open()
            doc = self._doc(str(uuid))
            return None if doc is None else parse_record(doc["data"])

    def is_synced(self, uuid: str) -> bool:
        with self._lock:
            return str(uuid) in self._where and str(uuid) not in self._unsynced

    def unsynced(self, limit: int = 200) -> list[Record]:
        """The oldest records not yet acknowledged by the server (rejected ones left out)."""
        return [parse_record(d) for d in self.unsynced_json(limit)]

    def unsynced_uuids(self) -> set[str]:
        """Every record not yet acknowledged by the server and not refused by it."""
        with self._lock:
            self._check_open()
            return {u for u in self._unsynced if u not in self._rejected}

    def synced_uuids_of(self, resident: str) -> set[str]:
        """The resident's records the server has acknowledged."""
        with self._lock:
            self._check_open()
            return {u for u in self._index.uuids_of_resident(resident) if u not in self._unsynced}

    def unsynced_json(self, limit: int = 200) -> list[dict[str, Any]]:
        """Like :meth:`unsynced`, as the JSON dicts that go on the wire."""
        with self._lock:
            self._check_open()
            out: list[dict[str, Any]] = []
            for uid in self._unsynced:
                if len(out) >= limit:
                    break
                if uid in self._rejected:
                    continue
                doc = self._doc(uid)
                if doc is not None:
                    out.append(doc["data"])
            return out

    def recent(
        self, kind: str | None = None, limit: int = 20, resident: str | None = None
    ) -> list[Record]:
        """Newest first, optionally only one kind and/or one resident."""
        with self._lock:
            self._check_open()
            out: list[Record] = []
            for name in sorted(self._segs, reverse=True):
                docs = self._segment(name).raw_docs()
                for _doc_id, doc in sorted(docs.items(), key=lambda kv: -int(kv[0])):
                    if kind and doc.get("kind") != kind:
                        continue
                    if resident and doc["data"].get("resident") != resident:
                        continue
                    out.append(parse_record(doc["data"]))
                    if len(out) >= limit:
                        return out
            return out

    def count(self) -> int:
        with self._lock:
            return len(self._where)

    def waiting(self) -> int:
        """Records still to be sent (unsynced and not rejected)."""
        with self._lock:
            return len(self._unsynced) - len(self._rejected)

    def rejected(self) -> dict[str, str]:
        """uuid -> the server's reason, for every record it refused (invalid ones included)."""
        with self._lock:
            return dict(self._rejected)

    def invalid(self) -> dict[str, str]:
        """uuid -> reason, for the records the server refused as invalid (never resent)."""
        with self._lock:
            return {u: r for u, r in self._rejected.items() if u in self._invalid}

    def uuids(self) -> list[str]:
        with self._lock:
            return list(self._where)

    def warnings(self) -> list[StoreWarning]:
        with self._lock:
            return list(self._warnings)

    def stats(self) -> StoreStats:
        with self._lock:
            return StoreStats(
                total=len(self._where),
                waiting=len(self._unsynced) - len(self._rejected),
                rejected=len(self._rejected),
                segments=len(self._segs),
                warnings=list(self._warnings),
                invalid=len(self._invalid),
                quarantined=self._quarantined,
                corrupt_files=self._corrupt_files,
            )

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for seg in self._open.values():
                seg.close()
            self._open.clear()
            self._release_process_lock()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")



# --- read-only inspection ---------------------------------------------------------------


@dataclass
class StoreInspection:
    """What :func:`inspect_store` found; nothing was changed to find it."""

    directory: str
    exists: bool = False
    segments: int = 0
    records: int = 0
    waiting: int = 0
    rejected: int = 0
    invalid: int = 0
    bad_records: list[tuple[str, str, str]] = field(default_factory=list)
    """(file, document id, reason): records the next open will quarantine."""
    corrupt_segments: list[tuple[str, str]] = field(default_factory=list)
    """(file, reason): segment files the next open will move aside."""
    quarantined_files: list[str] = field(default_factory=list)
    """Files already in ``corrupt/`` (whole files or quarantined records)."""
    quarantined_records: int = 0
    """Records inside the quarantine files of ``corrupt/``."""

    @property
    def healthy(self) -> bool:
        return not (self.bad_records or self.corrupt_segments or self.quarantined_files)

    def summary(self) -> str:
        if not self.exists:
            return f"{self.directory}: no store yet"
        text = (
            f"{self.records} records in {self.segments} files, {self.waiting} waiting, "
            f"{self.rejected} rejected by the server ({self.invalid} as invalid)"
        )
        if self.corrupt_segments:
            text += f"; {len(self.corrupt_segments)} corrupt file(s) to move aside"
        if self.bad_records:
            text += f"; {len(self.bad_records)} bad record(s) to quarantine"
        if self.quarantined_files:
            text += (
                f"; {len(self.quarantined_files)} file(s) in corrupt/ "
                f"({self.quarantined_records} quarantined record(s))"
            )
        return text


def inspect_store(directory: Path | str) -> StoreInspection:
    """Read a store directory without changing it (no lock taken, nothing written).

    Safe while the kiosk runs: every write to a segment file is an atomic rename,
    so each file read is a whole version of it.
    """
    root = Path(directory)
    out = StoreInspection(str(root))
    seg_dir = root / "segments"
    if not seg_dir.is_dir():
        return out
    out.exists = True
    seen: set[str] = set()
    for path in sorted(p for p in seg_dir.iterdir() if _SEG_RE.match(p.name)):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            out.corrupt_segments.append((path.name, f"cannot be read: {exc.strerror or exc}"))
            continue
        read = read_segment(raw)
        if read.corrupt is not None:
            out.corrupt_segments.append((path.name, read.corrupt))
            continue
        out.segments += 1
        out.bad_records += [(path.name, b.doc_id, b.reason) for b in read.bad]
        for doc_id, doc in read.docs.items():
            uid = doc["uuid"]
            if uid in seen:
                out.bad_records.append((path.name, doc_id, f"duplicate of record {uid}"))
                continue
            seen.add(uid)
            out.records += 1
            if doc.get("rejected"):
                out.rejected += 1
                out.invalid += doc.get("invalid") is True
            elif not doc.get("synced"):
                out.waiting += 1
    corrupt = root / "corrupt"
    if corrupt.is_dir():
        for path in sorted(corrupt.iterdir()):
            out.quarantined_files.append(path.name)
            if path.name.endswith(".records.json"):
                out.quarantined_records += _count_quarantined(path)
    return out


def _count_quarantined(path: Path) -> int:
    from sync import jsonlimits

    try:
        return len(jsonlimits.split_members(b'{"q":' + path.read_bytes() + b"}", "q").members)
    except (OSError, jsonlimits.LimitError):
        return 0
