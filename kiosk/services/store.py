"""The kiosk's local record store as a service: opened from the config, shown on the status page.

Why this module exists: screens save finished sessions, lesson progress,
fitness-test results and feedback; they should not know where the store lives
or block the UI on a disk write or a query. ``save`` is durable when it
returns (a few milliseconds); ``save_async`` and ``query_async`` hand the work
to the store's single thread (writes and reads in the order asked) and report
back on the UI thread through ``post``.

It also keeps the session being measured safe: ``checkpoint_async`` writes
the session as it stands (``kiosk/system/checkpoint.py``) on the same
thread, in order with the saves, so the final save of that session (same
UUID) removes the checkpoint after it; ``start`` saves a checkpoint left by
a crash or a frozen UI as a partial session before anything else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from kiosk.config import Config, DataLayout, data_layout
from kiosk.services.base import Post, StatusRow, post_inline
from kiosk.system.checkpoint import SessionCheckpoint
from sync.records import Record
from sync.store import Store, StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")


class StoreService:
    name = "store"

    def __init__(self, cfg: Config, post: Post = post_inline,
                 layout: DataLayout | None = None) -> None:
        self.cfg = cfg
        self.post = post
        layout = layout or data_layout(cfg)
        self.dir = layout.store
        self.checkpoint = SessionCheckpoint(layout.in_progress)
        self._checkpointed: str | None = None
        """UUID of the session whose checkpoint is on disk (writer thread only)."""
        self._cp_pending: Record | None = None
        self._cp_lock = threading.Lock()
        self._cp_failed = False
        self.recovered: Record | None = None
        """The session a crash interrupted, saved as partial at this start (if any)."""
        self._store: Store | None = None
        self._error: str | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._store is not None:
                return
            try:
                self._store = Store(
                    self.dir,
                    segment_size=self.cfg.store.segment_size,
                    retention_days=self.cfg.store.retention_days,
                )
                self._error = None
            except (StoreError, OSError) as exc:
                self._error = str(exc)
                log.error("local store unavailable: %s", exc)
                return
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
            try:
                self.recovered = self.checkpoint.recover(self._store)
            except (StoreError, OSError, ValueError) as exc:  # kept on disk for the next start
                log.error("could not save the interrupted session: %s", exc)
            log.info(
                "local store open in %s: %d records, %d waiting",
                self.dir,
                self._store.count(),
                self._store.waiting(),
            )

    def stop(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.shutdown(wait=True)  # finish every queued save first
                self._writer = None
            if self._store is not None:
                self._store.close()
                self._store = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise StoreError(self._error or "the store service is not started")
        return self._store

    @property
    def available(self) -> bool:
        return self._store is not None

    def save(self, record: Record | dict[str, Any]) -> None:
        """Save now, on the calling thread; durable on return. Raises ``RecordError`` if invalid."""
        self.store.save(record)
        self._clear_checkpoint_of(record)

    # ----- the session in progress ---------------------------------------------------------
    def checkpoint_async(self, record: Record) -> None:
        """Write ``record`` (a session as it stands) as the checkpoint, on the store's thread.

        Returns at once; when several arrive before the thread gets to them only the newest
        is written. A failure is logged (once), never raised: the session goes on."""
        if self._writer is None:
            return
        with self._cp_lock:
            queued = self._cp_pending is not None
            self._cp_pending = record
        if not queued:
            self._writer.submit(self._write_checkpoint)

    def _write_checkpoint(self) -> None:
        with self._cp_lock:
            record, self._cp_pending = self._cp_pending, None
        if record is None:
            return
        try:
            self.checkpoint.save(record)
        except OSError as exc:
            if not self._cp_failed:
                log.error("cannot checkpoint the session in progress: %s", exc)
                self._cp_failed = True
            return
        self._cp_failed = False
        self._checkpointed = record.key

    def _clear_checkpoint_of(self, record: Record | dict[str, Any]) -> None:
        key = record.key if isinstance(record, Record) else str(record.get("uuid", ""))
        if key and key == self._checkpointed:
            try:
                self.checkpoint.clear()
            except OSError as exc:  # recovered at the next start: the same record, kept
                log.warning("could not remove the session checkpoint: %s", exc)
            self._checkpointed = None

    def save_async(
        self,
        record: Record | dict[str, Any],
        on_done: Callable[[BaseException | None], None] | None = None,
    ) -> Future[None]:
        """Queue a save on the writer thread; ``on_done(error_or_None)`` runs through ``post``."""
        if self._writer is None:
            raise StoreError(self._error or "the store service is not started")
        store = self.store

        def job() -> None:
            err: BaseException | None = None
            try:
                store.save(record)
                self._clear_checkpoint_of(record)
            except Exception as exc:  # noqa: BLE001 - reported to the caller
                log.error("could not save record: %s", exc)
                err = exc
            if on_done is not None:
                self.post(lambda: on_done(err))
            if err is not None:
                raise err

        return self._writer.submit(job)

    def query_async(
        self,
        query: Callable[[Store], T],
        on_done: Callable[[T | None, BaseException | None], None],
    ) -> Future[T | None]:
        """Run ``query(store)`` on the store's thread (after the saves queued before it);
        ``on_done(result, None)`` or ``on_done(None, error)`` runs through ``post``."""
        if self._writer is None:
            err = StoreError(self._error or "the store service is not started")
            self.post(lambda: on_done(None, err))
            done: Future[T | None] = Future()
            done.set_result(None)
            return done
        store = self.store

        def job() -> T | None:
            try:
                result = query(store)
            except Exception as exc:  # noqa: BLE001 - reported to the caller
                log.error("store query failed: %s", exc)
                err: BaseException = exc
                self.post(lambda: on_done(None, err))
                return None
            self.post(lambda: on_done(result, None))
            return result

        return self._writer.submit(job)

    def status(self) -> list[StatusRow]:
        if self._store is None:
            return [StatusRow("store", str(self.dir), "error", self._error or "not started")]
        st = self._store.stats()
        rows = [
            StatusRow(
                "store",
                str(self.dir),
                "warning" if st.warnings or st.rejected else "ok",
                f"{st.total} records, {st.waiting} waiting to sync"
                + (f", {st.rejected} rejected by the server" if st.rejected else "")
                + (f", {st.quarantined} bad record(s) quarantined" if st.quarantined else ""),
                {
                    "records": str(st.total),
                    "waiting": str(st.waiting),
                    "rejected": str(st.rejected),
                    "files": str(st.segments),
                    "quarantined": str(st.quarantined),
                },
            )
        ]
        if self.recovered is not None:
            rows.append(StatusRow(
                "store", "interrupted session", "ok",
                f"saved as partial at this start ({self.recovered.key[:8]})",
                {"uuid": self.recovered.key}))
        for w in st.warnings:
            rows.append(
                StatusRow(
                    "store",
                    w.path or str(self.dir),
                    "warning",
                    w.message,
                    {"when": w.when.strftime("%Y-%m-%d %H:%M:%S UTC")},
                )
            )
        return rows
