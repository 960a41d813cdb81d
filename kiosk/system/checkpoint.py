"""Checkpoint a session while it runs, so a crash or a frozen UI loses none of it.

Why this module exists: the kiosk may be killed at any moment (the watchdog
kills a frozen UI, a power cut, kill -9). A resident's session in progress
is written, while it runs, as the record it would be if it ended now
(``completed=False``), to ``<data dir>/in-progress/session.json``
(``DataLayout.in_progress``): temp file,
fsync, rename, fsync the directory, so the file is always either the old or
the new checkpoint, never half. When the session ends normally the real
record is saved and the checkpoint removed. At the next start
:meth:`SessionCheckpoint.recover` saves a checkpoint left behind into the
store as a partial session and removes it. The record's UUID was chosen when
the session started, so if the crash came after the final save but before
the removal, the recovery finds that record already stored and keeps it (the
final record is never replaced by an older checkpoint of itself); a second
recovery of the same checkpoint is an idempotent upsert of the same UUID:
never a duplicate. A checkpoint that cannot be read is moved aside, not lost.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sync.records import Record, RecordError, parse_record
from sync.storage import atomic_write_bytes

log = logging.getLogger(__name__)

FILENAME = "session.json"


class RecordSink(Protocol):
    """Where recovered sessions go (``sync.store.Store``)."""

    def save(self, record: Record) -> None: ...

    def get(self, uuid: str) -> Record | None: ...


class SessionCheckpoint:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.path = self.dir / FILENAME

    def save(self, record: Record) -> None:
        """Write ``record`` (the session as it stands) atomically; raises OSError if the disk fails."""
        data = record.to_json_dict()
        if "completed" in data:
            data["completed"] = False
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode())

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> bool:
        return self.path.exists()

    def recover(self, sink: RecordSink) -> Record | None:
        """Save a checkpoint left by a crash as a partial session; returns it (None if none)."""
        if not self.path.exists():
            return None
        try:
            record = parse_record(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecordError) as exc:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            aside = self.dir / f"{FILENAME}.unreadable-{stamp}"
            os.replace(self.path, aside)
            log.error("session checkpoint unreadable (%s); kept as %s", exc, aside)
            return None
        stored = sink.get(str(record.key))
        if stored is not None:
            log.info("the interrupted session %s had been saved already; keeping that record",
                     record.key)
        else:
            sink.save(record)
            log.warning("saved the session interrupted by the last stop as partial (%s)",
                        record.key)
        self.clear()
        return record if stored is None else stored
