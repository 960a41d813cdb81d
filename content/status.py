"""What the maintainer sees about content: installed bundles, the last check, failed installs.

Why this module exists: the kiosk's status page, ``kiosk doctor`` and the
heartbeat must show the real content state without importing the installer
or Kivy. ``ContentStatus.load(store)`` reads the active view's state and
``status.json`` (last check, recent failures, the last install report);
``lines()`` gives rows a status page can show; ``heartbeat()`` the installed
versions for the server.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from content.store import ContentStore, InstalledBundle, StoreError, atomic_write, now_iso

log = logging.getLogger(__name__)

MAX_FAILURES = 20

LineState = Literal["ok", "warning", "error", "unavailable"]


@dataclass(frozen=True)
class StatusLine:
    """One row for a status page: maps onto ``kiosk.services.base.StatusRow``."""

    state: LineState
    name: str
    detail: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    time: str
    source: str
    bundle: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"time": self.time, "source": self.source, "bundle": self.bundle, "reason": self.reason}


@dataclass(frozen=True)
class Check:
    time: str
    source: str
    ok: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "source": self.source, "ok": self.ok, "message": self.message}


@dataclass
class ContentStatus:
    installed: list[InstalledBundle] = field(default_factory=list)
    last_check: Check | None = None
    failures: list[Failure] = field(default_factory=list)
    last_report: dict[str, Any] | None = None
    error: str = ""
    """Set when the installed state itself cannot be read."""

    @classmethod
    def load(cls, store: ContentStore) -> ContentStatus:
        out = cls()
        try:
            out.installed = sorted(store.state().bundles.values(), key=lambda b: b.id)
        except StoreError as exc:
            out.error = str(exc)
        book = _read_book(store)
        lc = book.get("last_check")
        if isinstance(lc, dict):
            out.last_check = Check(str(lc.get("time", "")), str(lc.get("source", "")),
                                   bool(lc.get("ok")), str(lc.get("message", "")))
        for f in book.get("failures", []):
            if isinstance(f, dict):
                out.failures.append(Failure(str(f.get("time", "")), str(f.get("source", "")),
                                            str(f.get("bundle", "")), str(f.get("reason", ""))))
        rep = book.get("last_report")
        out.last_report = rep if isinstance(rep, dict) else None
        return out

    def lines(self) -> list[StatusLine]:
        rows: list[StatusLine] = []
        if self.error:
            rows.append(StatusLine("error", "content", self.error))
        if not self.installed and not self.error:
            rows.append(StatusLine("warning", "content", "no content bundle installed"))
        for b in self.installed:
            skipped = f"; {len(b.skipped)} skipped" if b.skipped else ""
            rows.append(StatusLine(
                "warning" if b.skipped else "ok", b.id,
                f"version {b.version}: {len(b.lessons)} lessons, {len(b.exercises)} exercises, "
                f"{len(b.voice)} voice clips{skipped}",
                {"installed": b.installed_at, "title": b.title.get("en", ""),
                 "previous": ",".join(str(v) for v, _ in b.previous) or "-"}))
        if self.last_check is not None:
            c = self.last_check
            rows.append(StatusLine("ok" if c.ok else "warning", "last check",
                                   f"{c.time} {c.source}: {c.message}"))
        for f in self.failures[-3:]:
            rows.append(StatusLine("error", f"failed {f.bundle or 'install'}",
                                   f"{f.time} {f.source}: {f.reason}"))
        return rows

    def heartbeat(self) -> dict[str, int]:
        """Installed versions by bundle id (for the kiosk's heartbeat)."""
        return {b.id: b.version for b in self.installed}

    def to_json(self) -> dict[str, Any]:
        return {
            "installed": [b.to_json() for b in self.installed],
            "last_check": self.last_check.to_json() if self.last_check else None,
            "failures": [f.to_json() for f in self.failures],
            "last_report": self.last_report,
            "error": self.error,
        }


def _read_book(store: ContentStore) -> dict[str, Any]:
    try:
        data = json.loads(store.status_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("content: %s unreadable (%s); starting a new one", store.status_file, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _write_book(store: ContentStore, book: dict[str, Any]) -> None:
    """Write the status book; it is informational, so a full disk only logs."""
    try:
        store.root.mkdir(parents=True, exist_ok=True)
        atomic_write(store.status_file, (json.dumps(book, ensure_ascii=False, indent=1) + "\n").encode())
    except OSError as exc:
        log.error("content: cannot write %s: %s", store.status_file, exc.strerror or exc)


def record_check(store: ContentStore, source: str, ok: bool, message: str) -> None:
    book = _read_book(store)
    book["last_check"] = Check(now_iso(), source, ok, message).to_json()
    _write_book(store, book)


def record_failure(store: ContentStore, source: str, bundle: str, reason: str) -> None:
    book = _read_book(store)
    fails = [f for f in book.get("failures", []) if isinstance(f, dict)]
    fails.append(Failure(now_iso(), source, bundle, reason).to_json())
    book["failures"] = fails[-MAX_FAILURES:]
    _write_book(store, book)


def record_report(store: ContentStore, report: dict[str, Any]) -> None:
    book = _read_book(store)
    book["last_report"] = report
    _write_book(store, book)
