"""Turn a posted body into per-record verdicts: pure functions, run off the event loop.

Why this module exists: the records route must stay a thin piece of HTTP;
reading a hostile body (a decompression bomb, a record nested 100,000 deep,
a 5,000-digit number, a string with a NUL) and deciding each record's fate
are plain functions that tests can call directly.

:func:`parse_body` gunzips in bounded steps while :class:`sync.jsonlimits.Prescan`
bounds what the body can hold (values, strings, token length: 413 at the
first step over), then parses it with oversized numbers kept as markers. A
body too deep for ``json.loads`` is read record by record
(:func:`sync.jsonlimits.split_members`): the deep record is refused alone.
:func:`check_batch` then judges each record on its own: the per-record limits
(:func:`sync.jsonlimits.problem`: depth, sizes, NUL, lone surrogates), the
record schema (strict), and the token's kiosk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sync import jsonlimits
from sync.api import FieldError, RecordResult, RecordsResponse
from sync.records import Record, RecordError, parse_record
from sync.server.deps import ApiError, Limits, inflate, safe_text

_NOT_A_BATCH = 'body must be a JSON object {"records": [...]}'


@dataclass(frozen=True)
class Refused:
    """A posted item refused before it was parsed (nested too deep to build)."""

    field: str
    message: str


def parse_body(raw: bytes, encoding: str, limits: Limits) -> list[Any] | RecordsResponse:
    """The posted records (not yet checked), or a 413 answer when the batch is over the limit."""
    scan = jsonlimits.Prescan()

    def check(piece: bytes) -> None:
        try:
            scan.feed(piece)
        except jsonlimits.LimitError as exc:
            raise ApiError(413, f"body {exc}") from None

    body = inflate(raw, encoding, limits.max_inflated, check)
    try:
        payload = jsonlimits.loads(body)
    except RecursionError:
        return _parse_by_record(bytes(body), limits)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise ApiError(422, _NOT_A_BATCH)
    _no_other_fields([k for k in payload if k != "records"])
    items: list[Any] = payload["records"]
    if len(items) > limits.max_batch:
        return over_the_limit(items, limits.max_batch)
    return items


def _no_other_fields(keys: list[str]) -> None:
    if keys:
        names = ", ".join(sorted(repr(k) for k in keys[:20]))
        raise ApiError(422, safe_text(f"unknown top-level field(s): {names}"))


def _parse_by_record(body: bytes, limits: Limits) -> list[Any] | RecordsResponse:
    """A body nested too deep for ``json.loads`` as a whole: each record on its own."""
    try:
        split = jsonlimits.split_members(body, "records")
    except jsonlimits.LimitError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None
    if split.container != "array":
        raise ApiError(422, _NOT_A_BATCH)
    _no_other_fields(list(split.others))
    max_depth = jsonlimits.RECORD_LIMITS.max_depth
    items: list[Any] = []
    for m in split.members:
        if m.depth > max_depth:
            items.append(Refused("<record>", f"nested deeper than {max_depth} levels"))
            continue
        try:
            items.append(jsonlimits.loads(body[m.start : m.end]))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"body is not valid JSON: {exc}") from None
    if len(items) > limits.max_batch:
        return over_the_limit(items, limits.max_batch)
    return items


def over_the_limit(items: list[Any], max_batch: int) -> RecordsResponse:
    """413 with a result per record; past twice the limit, without (the answer stays small)."""
    detail = f"batch of {len(items)} records is over the limit of {max_batch}"
    if len(items) > 2 * max_batch:
        return RecordsResponse(detail=f"{detail}; nothing stored", rejected=len(items))
    error = FieldError(field="<batch>", message=f"{detail}; nothing stored")
    over = [
        RecordResult(index=i, uuid=uuid_of(item), status="rejected", errors=[error])
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


def _refuse(out: CheckedBatch, i: int, uid: str | None, problems: list[tuple[str, str]]) -> None:
    errors = [
        FieldError(field=safe_text(f, 120), message=safe_text(m)) for f, m in problems[:20]
    ]
    out.results.append(RecordResult(index=i, uuid=uid, status="rejected", errors=errors))


def check_batch(items: list[Any], kiosk: str) -> CheckedBatch:
    out = CheckedBatch()
    for i, item in enumerate(items):
        uid = uuid_of(item)
        if isinstance(item, Refused):
            _refuse(out, i, uid, [(item.field, item.message)])
            continue
        bad = jsonlimits.problem(item)
        if bad is not None:
            _refuse(out, i, uid, [bad])
            continue
        try:
            rec = parse_record(item)
        except RecordError as exc:
            _refuse(out, i, uid, exc.problems)
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


_UUIDISH = re.compile(r"[0-9A-Za-z-]{1,64}")


def judge_body(
    raw: bytes, encoding: str, limits: Limits, kiosk: str
) -> CheckedBatch | RecordsResponse:
    """:func:`parse_body` then :func:`check_batch` (one trip off the event loop)."""
    items = parse_body(raw, encoding, limits)
    if isinstance(items, RecordsResponse):
        return items
    return check_batch(items, kiosk)


def uuid_of(item: Any) -> str | None:
    """The item's uuid, to echo in its result (only if it looks like one)."""
    uid = item.get("uuid") if isinstance(item, dict) else None
    return uid if isinstance(uid, str) and _UUIDISH.fullmatch(uid) else None
