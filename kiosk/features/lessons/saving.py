"""A lesson run's record, saved as the resident goes on, off the UI thread, free of Kivy.

Why this module exists: progress, quiz answers and practice results must be
saved as they happen (a resident may walk away at any moment, or the power
may go) without the lesson screen waiting for the disk. Each save builds the
run's ``lesson_progress`` record (one UUID per run, so every save replaces
the one before, in the store and on the server) and hands it to the store's
thread (``StoreService.save_async``); the result comes back through the
store service's ``post``. Saves of one run happen in the order asked, so the
newest state is what stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from content.progress import LessonRun
from kiosk.services.store import StoreService
from kiosk.session.record import local_utc_offset_min
from sync.records import GUEST, LessonProgress

log = logging.getLogger(__name__)


@dataclass
class LessonSaver:
    store: StoreService | None
    kiosk_id: str
    pending: int = 0
    """Saves handed to the store's thread and not yet done."""
    saved: int = 0
    failed: int = 0
    last_error: str = ""
    last_record: LessonProgress | None = None
    on_saved: list[Callable[[LessonProgress, BaseException | None], None]] = field(
        default_factory=list)

    def save(self, run: LessonRun, resident: str) -> LessonProgress | None:
        """Save the run's current state; returns the record (None when it cannot be built)."""
        now = datetime.now(UTC)
        try:
            rec = run.to_record(self.kiosk_id, resident or GUEST, now, local_utc_offset_min(now))
        except ValueError as exc:  # a lesson the record cannot describe: log, never crash
            log.error("lesson %s: progress record not made: %s", run.lesson.id, exc)
            self.failed += 1
            self.last_error = str(exc)
            return None
        self.last_record = rec
        store = self.store
        if store is None or not store.available:
            self._done(rec, RuntimeError("the local store is not available"))
            return rec
        self.pending += 1
        try:
            store.save_async(rec, lambda err: self._done(rec, err, pending=True))
        except Exception as exc:  # noqa: BLE001 - the store stopped meanwhile
            self._done(rec, exc, pending=True)
        return rec

    def _done(self, rec: LessonProgress, err: BaseException | None, pending: bool = False) -> None:
        if pending:
            self.pending -= 1
        if err is None:
            self.saved += 1
        else:
            self.failed += 1
            self.last_error = str(err)
            log.error("lesson %s: progress not saved: %s", rec.lesson_id, err)
        for cb in list(self.on_saved):
            cb(rec, err)
