"""The kiosk's durable local record store (TinyDB on atomic, durable storage).

Why this module exists: a kiosk stores every session locally, works for weeks
without network and loses power without warning. Records must survive a
power cut the moment ``save`` returns, must never be half-stored, and the cost
of one save must not grow with years of history.

Layout under the store directory::

    segments/seg-2026-11-000042.json   TinyDB files, at most ``segment_size`` records each
    corrupt/                           files (or records) found broken at start, moved aside
    .lock                              exclusive lock: one process owns the store

New records go into the newest ("active") segment; a new segment starts when
it is full or the month changes, so a save rewrites at most one small file
(through :class:`sync.storage.AtomicJSONStorage`: temp file, fsync, rename,
fsync the directory). At open every segment is read once to build an
in-memory index (uuid -> segment, the unsynced and rejected sets); there is no
second file that could disagree with the segments after a crash. Segments
whose records are all synced and older than the retention are pruned.

One writer: every public method takes one lock, and the ``.lock`` file keeps a
second process (say ``kiosk sync`` while the kiosk runs) out.
"""

from __future__ import annotations

import fcntl
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

from sync.records import SCHEMA_VERSION, Record, RecordError, check_record, parse_record
from sync.storage import (
    TMP_SUFFIX,
    AtomicJSONStorage,
    CorruptFileError,
    atomic_write_bytes,
    dumps,
    read_json_object,
)

log = logging.getLogger(__name__)

TABLE = "records"
FORMAT = 1
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
        self._warn(f"corrupt store file {path.name} moved aside to {dest} ({reason})", dest)
        return dest

    def _load(self) -> None:
        for tmp in self.seg_dir.glob(f".*{TMP_SUFFIX}"):
            log.info("removing an unfinished write left by a crash: %s", tmp.name)
            tmp.unlink(missing_ok=True)
        names = sorted(p.name for p in self.seg_dir.iterdir() if _SEG_RE.match(p.name))
        for name in names:
            path = self.seg_dir / name
            seq = int(_SEG_RE.match(name).group(3))  # type: ignore[union-attr]
            self._next_seq = max(self._next_seq, seq + 1)
            try:
                data = read_json_object(path)
                if data is None:
                    continue
                docs = data.get(TABLE, {})
                if not isinstance(docs, dict):
                    raise CorruptFileError(path, f"table {TABLE!r} is not an object")
            except CorruptFileError as exc:
                self._move_aside(path, exc.reason)
                continue
            self._index_segment(path, data, docs)
        if names:
            last = names[-1]
            if last in self._segs:
                self._active = last

    def _index_segment(self, path: Path, data: dict[str, Any], docs: dict[str, Any]) -> None:
        name = path.name
        meta = _SegMeta(name)
        changed = False
        bad: dict[str, Any] = {}
        for doc_id, doc in list(docs.items()):
            problem = None
            try:
                if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
                    raise RecordError([("<document>", "not a stored record")])
                int(doc_id)
                rec = parse_record(doc["data"])
                if doc["data"].get("schema_version") != SCHEMA_VERSION:  # migrated: rewrite
                    doc = _make_doc(rec, synced=bool(doc.get("synced")), prev=doc)
                    docs[doc_id] = doc
                    changed = True
            except (RecordError, ValueError) as exc:
                problem = str(exc)
            if problem is not None:
                bad[doc_id] = docs.pop(doc_id)
                changed = True
                self._warn(f"invalid record {doc_id} in {name} quarantined: {problem}", path)
                continue
            uid = doc["uuid"]
            if uid in self._where:
                # Cannot happen through this API; keep the first, report the second.
                bad[doc_id] = docs.pop(doc_id)
                changed = True
                self._warn(f"duplicate record {uid} in {name} quarantined", path)
                continue
            self._where[uid] = (name, int(doc_id))
            meta.count += 1
            meta.newest = max(meta.newest, doc.get("ts", ""))
            if doc.get("rejected"):
                self._rejected[uid] = str(doc["rejected"])
            if not doc.get("synced"):
                meta.unsynced += 1
                self._unsynced[uid] = None
        if bad:
            self.corrupt_dir.mkdir(exist_ok=True)
            stamp = _now().strftime("%Y%m%dT%H%M%SZ")
            atomic_write_bytes(self.corrupt_dir / f"{name}.{stamp}.records.json", dumps(bad))
        if changed:
            data[TABLE] = docs
            data.setdefault("_meta", {"1": {"format": FORMAT}})
            atomic_write_bytes(path, dumps(data))
            log.info("store file %s upgraded/repaired in place", name)
        self._segs[name] = meta

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
                doc = _make_doc(rec, synced=False)
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
                    if uid not in self._unsynced:
                        self._unsynced[uid] = None
                        meta.unsynced += 1
                    self._rejected.pop(uid, None)
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
                self._segs[self._where[uid][0]].unsynced -= 1
            return len(done)

    def mark_rejected(self, reasons: dict[str, str]) -> int:
        """Remember that the server refused these records (kept, not resent until saved again)."""
        with self._lock:
            self._check_open()
            n = 0
            for uid, reason in reasons.items():
                uid = str(uid)
                if uid in self._unsynced and self._set_flags([uid], {"rejected": reason[:500]}):
                    self._rejected[uid] = reason[:500]
                    n += 1
            return n

    def retry_rejected(self) -> int:
        """Put every rejected record back in the queue (after the cause was fixed)."""
        with self._lock:
            self._check_open()
            uids = list(self._rejected)
            self._set_flags(uids, {"rejected": None})
            self._rejected.clear()
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
                del self._segs[name]
                removed += meta.count
                log.info(
                    "pruned %s (%d synced records older than %d days)",
                    name,
                    meta.count,
                    self.retention_days,
                )
        return removed

    # --- reading ------------------------------------------------------------------

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
        with self._lock:
            return dict(self._rejected)

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


def _make_doc(rec: Record, synced: bool, prev: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = {
        "uuid": rec.key,
        "kind": rec.kind,
        "ts": _iso(rec.timestamp()),
        "saved_at": _iso(_now()),
        "synced": synced,
        "rejected": None,
        "data": rec.to_json_dict(),
    }
    if prev is not None:
        doc["saved_at"] = prev.get("saved_at", doc["saved_at"])
        doc["synced_at"] = prev.get("synced_at")
        doc["rejected"] = prev.get("rejected")
    return doc
