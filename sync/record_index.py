"""A small in-memory index of the store's records, by resident and by kind.

Why this module exists: "My records" must open in well under a second for a
resident with thousands of records, and a kiosk must find residents'
profiles at start without reading every record again. The store already
reads every segment once when it opens; while it does, it hands each
record's JSON here, and this index keeps one small ``Entry`` per record (the
few fields the summaries need: kind, time, local day, what and how much).
Nothing is parsed twice and nothing is written: after a crash the index is
rebuilt from the segments, so it can never disagree with them.

The index is not thread-safe on its own; the store calls it under its lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

_NAME_FIELD = {
    "exercise_session": "exercise",
    "lesson_progress": "lesson_id",
    "fitness_test": "test",
    "feedback": "topic",
    "poll_vote": "poll_id",
    "event_signup": "event_id",
}
_TIME_FIELD = {
    "exercise_session": "ended_at",
    "lesson_progress": "updated_at",
    "fitness_test": "measured_at",
    "feedback": "created_at",
    "resident_profile": "updated_at",
    "consent": "decided_at",
    "erasure_request": "requested_at",
    "poll_vote": "voted_at",
    "event_signup": "decided_at",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """What the summaries need of one record, without parsing it again."""

    uuid: str
    kind: str
    resident: str
    ts: str
    """The record's own time, ISO 8601 in UTC (sorts chronologically)."""
    day: date
    """The kiosk's local calendar day of ``ts``."""
    name: str
    """The exercise, lesson or test (empty for other kinds)."""
    value: float | None
    unit: str | None
    duration_s: float
    completed: bool
    side: str | None = None


def _day(ts: str, offset_min: object) -> date:
    when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    minutes = offset_min if isinstance(offset_min, int) else 0
    return (when + timedelta(minutes=minutes)).date()


def entry_of(uid: str, data: Mapping[str, Any]) -> Entry:
    """The index entry of a stored (already validated) record's JSON."""
    kind = str(data.get("kind", ""))
    ts = str(data.get(_TIME_FIELD.get(kind, ""), "") or "1970-01-01T00:00:00Z")
    unit: object
    if kind == "lesson_progress":
        value, unit = data.get("progress"), "ratio"
    elif kind == "feedback":
        value, unit = data.get("rating"), "points"
    else:
        value, unit = data.get("value"), data.get("unit")
    side = data.get("side")
    return Entry(
        uuid=uid,
        kind=kind,
        resident=str(data.get("resident", "")),
        ts=ts,
        day=_day(ts, data.get("utc_offset_min", 0)),
        name=str(data.get(_NAME_FIELD.get(kind, ""), "") or ""),
        value=float(value) if isinstance(value, int | float) else None,
        unit=str(unit) if unit is not None else None,
        duration_s=float(data.get("duration_s", 0.0) or 0.0),
        completed=bool(data.get("completed", True)),
        side=str(side) if isinstance(side, str) else None,
    )


class RecordIndex:
    """Entries by uuid, with the uuids of each resident and of each kind."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._by_resident: dict[str, set[str]] = {}
        self._by_kind: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, uid: str, data: Mapping[str, Any]) -> None:
        """Index (or re-index, after a record was saved again) one record."""
        self.remove(uid)
        e = entry_of(uid, data)
        self._entries[uid] = e
        self._by_resident.setdefault(e.resident, set()).add(uid)
        self._by_kind.setdefault(e.kind, set()).add(uid)

    def remove(self, uid: str) -> None:
        e = self._entries.pop(uid, None)
        if e is None:
            return
        for table, key in ((self._by_resident, e.resident), (self._by_kind, e.kind)):
            uids = table.get(key)
            if uids is not None:
                uids.discard(uid)
                if not uids:
                    del table[key]

    def remove_many(self, uids: Iterable[str]) -> None:
        for uid in uids:
            self.remove(uid)

    def of_resident(self, resident: str, kinds: Iterable[str] | None = None) -> list[Entry]:
        """The resident's entries, oldest first (optionally only some kinds)."""
        wanted = set(kinds) if kinds is not None else None
        out = [self._entries[u] for u in self._by_resident.get(resident, ())]
        if wanted is not None:
            out = [e for e in out if e.kind in wanted]
        out.sort(key=lambda e: e.ts)
        return out

    def uuids_of_resident(self, resident: str) -> list[str]:
        return list(self._by_resident.get(resident, ()))

    def of_kind(self, kind: str) -> list[Entry]:
        """Every entry of one kind, oldest first."""
        out = [self._entries[u] for u in self._by_kind.get(kind, ())]
        out.sort(key=lambda e: e.ts)
        return out
