"""Turn a posted body into per-record verdicts: pure functions, run off the event loop.

Why this module exists: the records route must stay a thin piece of HTTP;
reading a hostile body (a decompression bomb, a record nested 100,000 deep,
a 5,000-digit number, a string with a NUL) and deciding each record's fate
are plain functions that tests can call directly.

:func:`parse_body` gunzips (bounded) and parses the batch; :func:`check_batch`
validates each record on its own against the record schema and the token's
kiosk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sync.api import FieldError, RecordResult, RecordsResponse
from sync.records import Record, RecordError, parse_record
from sync.server.deps import ApiError, Limits, inflate


def parse_body(raw: bytes, encoding: str, limits: Limits) -> list[Any] | RecordsResponse:
    """The posted records (not yet checked), or a 413 answer when the batch is over the limit."""
    body = inflate(raw, encoding, limits.max_inflated)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise ApiError(422, 'body must be a JSON object {"records": [...]}')
    extra = set(payload) - {"records"}
    if extra:
        raise ApiError(422, f"unknown top-level field(s): {', '.join(sorted(map(str, extra)))}")
    items: list[Any] = payload["records"]
    if len(items) > limits.max_batch:
        return over_the_limit(items, limits.max_batch)
    return items


def over_the_limit(items: list[Any], max_batch: int) -> RecordsResponse:
    detail = f"batch of {len(items)} records is over the limit of {max_batch}"
    over = [
        RecordResult(
            index=i,
            uuid=uuid_of(item),
            status="rejected",
            errors=[FieldError(field="<batch>", message=f"{detail}; nothing stored")],
        )
        for i, item in enumerate(items)
    ]
    return RecordsResponse(detail=detail, rejected=len(items), results=over)


@dataclass
class CheckedBatch:
    results: list[RecordResult] = field(default_factory=list)
    """One per posted item, in order; valid ones provisionally ``created``."""
    valid: dict[str, Record] = field(default_factory=dict)
    """uuid -> record to store (a uuid twice in one batch: the later copy wins)."""
    foreign: set[int] = field(default_factory=set)
    """Indexes of valid records refused only because they carry another kiosk's id."""


def check_batch(items: list[Any], kiosk: str) -> CheckedBatch:
    out = CheckedBatch()
    for i, item in enumerate(items):
        uid = uuid_of(item)
        try:
            rec = parse_record(item)
        except RecordError as exc:
            errors = [FieldError(field=f, message=m) for f, m in exc.problems]
            out.results.append(RecordResult(index=i, uuid=uid, status="rejected", errors=errors))
            continue
        if rec.kiosk_id != kiosk:
            message = f"token belongs to kiosk {kiosk!r}, record says {rec.kiosk_id!r}"
            out.results.append(
                RecordResult(
                    index=i,
                    uuid=rec.key,
                    status="rejected",
                    errors=[FieldError(field="kiosk_id", message=message)],
                )
            )
            out.foreign.add(i)
            continue
        out.valid[rec.key] = rec
        out.results.append(RecordResult(index=i, uuid=rec.key, status="created"))
    return out


def uuid_of(item: Any) -> str | None:
    uid = item.get("uuid") if isinstance(item, dict) else None
    return uid if isinstance(uid, str) and len(uid) <= 64 else None
