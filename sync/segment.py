"""Reading one store segment file defensively: good records kept, bad ones set aside verbatim.

Why this module exists: a segment file can be valid JSON and still hold a
record that breaks the reader (a missing ``uuid``, ``kind`` a list, ``ts`` a
number, a year-9999 date, a 5,000-digit integer, a record nested 100,000
deep). One such record must not stop the store from opening: the record is
set aside with its exact text and the reason, the others are read.
:func:`read_segment` is pure (bytes in, verdicts out), so the store, the
read-only inspection (``kiosk doctor``) and the tests share it.

A document is *bad* when its record cannot be read with the record schema
(which also refuses oversized numbers, kept as markers by
:func:`sync.jsonlimits.loads`, and lone surrogates), or is nested too deep
for Python to parse at all. A good record whose
bookkeeping fields (``uuid``, ``kind``, ``ts``, ``synced``, ...) are damaged is
*repaired*: they are rebuilt from the record. An older record version is
migrated. A file that is not a JSON object at all is *corrupt* as a whole.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sync import jsonlimits
from sync.records import SCHEMA_VERSION, Record, RecordError, parse_record

TABLE = "records"
FORMAT = 1
_DOC_ID = re.compile(r"[0-9]{1,12}")


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> datetime:
    return datetime.now(UTC)


def make_doc(rec: Record, synced: bool, prev: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored document of ``rec`` (``prev``: the old document whose sync state is kept)."""
    doc: dict[str, Any] = {
        "uuid": rec.key,
        "kind": rec.kind,
        "ts": iso(rec.timestamp()),
        "saved_at": iso(now()),
        "synced": synced,
        "rejected": None,
        "data": rec.to_json_dict(),
    }
    if prev is not None:
        saved_at, synced_at = prev.get("saved_at"), prev.get("synced_at")
        rejected = prev.get("rejected")
        doc["saved_at"] = saved_at if isinstance(saved_at, str) else doc["saved_at"]
        doc["synced_at"] = synced_at if isinstance(synced_at, str) else None
        doc["rejected"] = rejected[:500] if isinstance(rejected, str) and rejected else None
        if doc["rejected"] and prev.get("invalid") is True:
            doc["invalid"] = True
    return doc


@dataclass(frozen=True)
class BadRecord:
    doc_id: str
    reason: str
    raw: bytes
    """The document's JSON text exactly as it was in the file."""


@dataclass
class SegmentRead:
    """What :func:`read_segment` found in one file."""

    corrupt: str | None = None
    """Why the whole file is unusable (then nothing else is set)."""
    data: dict[str, Any] = field(default_factory=dict)
    """The file's object with only the good documents in ``records``."""
    records: dict[str, Record] = field(default_factory=dict)
    """doc id -> the record of each good document."""
    bad: list[BadRecord] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    """Doc ids whose bookkeeping fields were rebuilt from the record."""
    migrated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """The file should be rewritten (something was set aside, repaired or migrated)."""
        return bool(self.bad or self.repaired or self.migrated)

    @property
    def docs(self) -> dict[str, dict[str, Any]]:
        docs: dict[str, dict[str, Any]] = self.data[TABLE]
        return docs


def read_segment(raw: bytes) -> SegmentRead:
    """Judge every document of a segment file's bytes; never raises for bad content."""
    if not raw.strip():
        return SegmentRead(corrupt="file is empty")
    spans: dict[str, bytes] | None = None
    try:
        data = jsonlimits.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return SegmentRead(corrupt=f"not valid JSON ({exc})")
    except RecursionError:
        parsed = _read_by_document(raw)
        if isinstance(parsed, str):
            return SegmentRead(corrupt=parsed)
        data, spans = parsed
    if not isinstance(data, dict):
        return SegmentRead(corrupt=f"expected a JSON object, found {type(data).__name__}")
    docs = data.get(TABLE, {})
    if not isinstance(docs, dict):
        return SegmentRead(corrupt=f"table {TABLE!r} is not an object")
    out = SegmentRead(data=dict(data))
    good: dict[str, Any] = {}
    for doc_id, doc in docs.items():
        verdict = _judge(doc_id, doc)
        if isinstance(verdict, str):
            if spans is None:
                spans = _raw_documents(raw)
            text = spans.get(doc_id) if spans else None
            out.bad.append(BadRecord(doc_id, verdict, text if text is not None else _dump(doc)))
            continue
        fixed, rec, how = verdict
        good[doc_id] = fixed
        out.records[doc_id] = rec
        if how == "migrated":
            out.migrated.append(doc_id)
        elif how == "repaired":
            out.repaired.append(doc_id)
    out.data[TABLE] = good
    if out.changed:
        meta = out.data.get("_meta")
        if not isinstance(meta, dict) or jsonlimits.problem(meta) is not None:
            out.data["_meta"] = {"1": {"format": FORMAT}}
    return out


class _TooDeep:
    """A document nested too deeply to parse (its raw text is kept)."""


def _read_by_document(raw: bytes) -> tuple[dict[str, Any], dict[str, bytes]] | str:
    try:
        split = jsonlimits.split_members(raw, TABLE)
    except jsonlimits.LimitError as exc:
        return str(exc)
    if split.container not in ("object", "missing"):
        return f"table {TABLE!r} is not an object"
    limit = jsonlimits.STORE_LIMITS.max_depth
    data: dict[str, Any] = {}
    for key, (start, end, depth) in split.others.items():
        if depth > limit:
            continue  # only bookkeeping lives beside the table; it is rebuilt
        try:
            data[key] = jsonlimits.loads(raw[start:end])
        except (ValueError, RecursionError):
            continue
    docs: dict[str, Any] = {}
    spans: dict[str, bytes] = {}
    for m in split.members:
        name = m.name or ""
        spans[name] = raw[m.start : m.end].strip()
        if m.depth > limit:
            docs[name] = _TooDeep()
            continue
        try:
            docs[name] = jsonlimits.loads(spans[name])
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return f"not valid JSON ({exc})"
    data[TABLE] = docs
    return data, spans


def _raw_documents(raw: bytes) -> dict[str, bytes] | None:
    try:
        split = jsonlimits.split_members(raw, TABLE)
    except jsonlimits.LimitError:
        return None
    return {m.name or "": raw[m.start : m.end].strip() for m in split.members}


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, default=repr, ensure_ascii=False).encode("utf-8", "backslashreplace")


def _judge(doc_id: str, doc: Any) -> str | tuple[dict[str, Any], Record, str]:
    """A reason the document is bad, or ``(document, record, how)`` with how in
    ``ok``/``repaired``/``migrated``."""
    if isinstance(doc, _TooDeep):
        return f"nested deeper than {jsonlimits.STORE_LIMITS.max_depth} levels"
    if not (doc_id.isascii() and doc_id.isdigit() and len(doc_id) <= 12):
        return f"document id {doc_id[:20]!r} is not a number"
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        return "not a stored record (no 'data' object)"
    try:
        rec = parse_record(doc["data"])
    except RecordError as exc:
        return str(exc)
    if doc["data"].get("schema_version") != SCHEMA_VERSION:
        return make_doc(rec, synced=doc.get("synced") is True, prev=doc), rec, "migrated"
    rejected, ts = doc.get("rejected"), doc.get("ts")
    sound = (
        doc.get("uuid") == rec.key
        and doc.get("kind") == rec.kind
        and isinstance(ts, str)
        and len(ts) == 27  # the form iso() writes (checked cheaply: this runs at every open)
        and isinstance(doc.get("synced"), bool)
        and (rejected is None or isinstance(rejected, str))
        and isinstance(doc.get("saved_at"), str)
    )
    if sound:
        return doc, rec, "ok"
    return make_doc(rec, synced=doc.get("synced") is True, prev=doc), rec, "repaired"
