"""Daily, weekly and monthly aggregates, kept exact in the ingest transaction.

Why this module exists: a district may run thousands of kiosks for years, and
a page must answer in a few milliseconds without reading the records table.
Every stored record adds to a few *cells* (see :mod:`sync.server.web.tables`):

* per community and per day, ISO week and month, for its kind and for the
  pseudo-kind ``*`` (any record, so "distinct residents" covers all kinds);
* per community and month, broken down by subject (exercise, lesson, test),
  age group, hour of day, lessons completed, and fitness-test norm band
  (``test|age group|sex|band`` and ``test|band``);
* per kiosk and day and per kiosk and month, for its kind (the fleet page's and
  the report's activity figures);
* a rollup under the community ``*`` of every community cell, so the district
  view reads as few rows as one community does.

A cell carries running sums (records, guest records, completed, repetitions,
duration, value, quiz score) and its number of distinct residents. The
distinct count is exact: ``agg_members`` keeps a reference count per (cell,
resident hash); a resident counts when their count goes from 0 to 1 and
stops counting when it returns to 0 (a record updated or deleted). Resident
pseudonyms are per community (the community key), so the district rollup's
residents are the sum of its communities'.

:func:`apply` is called by the ingest upsert inside its transaction with the
records it added and the previous versions of the records it replaced, so a
page is exact at any moment. Rows are written in a fixed order (members, then
cells, each sorted by id) so concurrent ingests on PostgreSQL cannot deadlock.
:func:`rebuild` recomputes everything from the records (after a migration
that adds the tables, or a change of the norm tables).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from itertools import chain
from operator import add
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.engine import Engine

from sync.records import Record, RecordError, parse_record
from sync.server.tables import agg_cells, agg_members, kiosks, records
from sync.server.web.record_facts import (
    Demographics,
    Facts,
    counted,
    facts_of,
    no_demographics,
)

log = logging.getLogger(__name__)

ALL = "*"
"""The community (and kind) of a rollup over all of them."""
DAY, WEEK, MONTH = "d", "w", "m"
GRAINS = (DAY, WEEK, MONTH)

MEASURES = (
    "n",
    "guests",
    "completed",
    "reps",
    "duration_ms",
    "value_sum",
    "score_sum",
    "score_n",
)
FLOAT_MEASURES = frozenset({"value_sum", "score_sum"})


def week_start(day: date) -> date:
    """Monday of the ISO week of ``day``."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def period_start(grain: str, day: date) -> date:
    if grain == DAY:
        return day
    if grain == WEEK:
        return week_start(day)
    if grain == MONTH:
        return month_start(day)
    raise ValueError(f"unknown grain {grain!r}")


def _h64(text_: str) -> int:
    """A stable signed 64-bit hash (fits BIGINT on both engines)."""
    return int.from_bytes(
        hashlib.blake2b(text_.encode("utf-8"), digest_size=8).digest(), "big", signed=True
    )


Key = tuple[str, str, str, date, str, str, str]
"""A cell: (community, kiosk, grain, period, kind, dimension, dimension value).

Plain tuples: the ingest path builds about fifteen per record."""

_HOURS = tuple(str(h) for h in range(24))


def cell_id(key: Key) -> int:
    c, k, g, p, kind, dim, value = key
    return _h64("\x1f".join((c, k, g, p.isoformat(), kind, dim, value)))


def rollup(key: Key) -> Key:
    """The same cell in the rollup over all communities."""
    return (ALL, key[1], key[2], key[3], key[4], key[5], key[6])


def member_id(community: str, resident: str) -> int:
    return _h64(f"{community}\x1f{resident}")


def cell_keys(community: str, kiosk_id: str, f: Facts) -> tuple[list[Key], list[Key]]:
    """The community cells one record adds to (its residents are counted there), and its
    kiosk's day and month cells (not counted per resident). The ``*`` rollup is derived
    on write."""
    day, kind, c = f.day, f.kind, community
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    keys: list[Key] = [
        (c, "", DAY, day, kind, "", ""),
        (c, "", DAY, day, ALL, "", ""),
        (c, "", WEEK, week, kind, "", ""),
        (c, "", WEEK, week, ALL, "", ""),
        (c, "", MONTH, month, kind, "", ""),
        (c, "", MONTH, month, ALL, "", ""),
        (c, "", MONTH, month, kind, "subject", f.subject),
        (c, "", MONTH, month, kind, "age", f.age_group),
        (c, "", MONTH, month, kind, "hour", _HOURS[f.hour]),
    ]
    if kind == "lesson_progress" and f.completed:
        keys.append((c, "", MONTH, month, kind, "done", f.subject))
    if f.band is not None:
        keys.append(
            (c, "", MONTH, month, kind, "norm", f"{f.subject}|{f.age_group}|{f.sex}|{f.band}")
        )
        keys.append((c, "", MONTH, month, kind, "band", f"{f.subject}|{f.band}"))
    return keys, [(c, kiosk_id, DAY, day, kind, "", ""), (c, kiosk_id, MONTH, month, kind, "", "")]


def _measures(f: Facts) -> tuple[float, ...]:
    return (
        1,
        1 if f.resident is None else 0,
        1 if f.completed else 0,
        f.reps,
        f.duration_ms,
        f.value,
        f.score or 0.0,
        0 if f.score is None else 1,
    )


class Delta:
    """Changes to the aggregates, summed in memory before they are written in one go."""

    def __init__(self) -> None:
        self.sums: dict[Key, tuple[float, ...]] = {}
        self.members: dict[tuple[int, int], int] = defaultdict(int)
        self._ids: dict[Key, int] = {}

    def cell_id(self, key: Key) -> int:
        cid = self._ids.get(key)
        if cid is None:
            cid = self._ids[key] = cell_id(key)
        return cid

    def add(self, community: str, kiosk_id: str, facts: Iterable[Facts], sign: int = 1) -> None:
        """Count ``facts`` (records of ``kiosk_id`` in ``community``); ``sign=-1`` uncounts."""
        sums, members, ids = self.sums, self.members, self._ids
        for f in facts:
            m = _measures(f)
            if sign != 1:
                m = tuple(sign * v for v in m)
            tracked, kiosk_keys = cell_keys(community, kiosk_id, f)
            mid = member_id(community, f.resident) if f.resident is not None else None
            for key in tracked:
                acc = sums.get(key)
                sums[key] = m if acc is None else tuple(map(add, acc, m))
                if mid is not None:
                    cid = ids.get(key)
                    if cid is None:
                        cid = ids[key] = cell_id(key)
                    members[(cid, mid)] += sign
            for key in kiosk_keys:
                acc = sums.get(key)
                sums[key] = m if acc is None else tuple(map(add, acc, m))

    def _totals(self, residents: dict[int, int]) -> dict[int, tuple[Key, list[float]]]:
        """Per cell id: its key and measures + residents, with the rollup cells added."""
        totals: dict[int, tuple[Key, list[float]]] = {}
        for key, acc in self.sums.items():
            delta = residents.get(self.cell_id(key), 0)
            targets = [key] if key[0] == ALL or key[1] else [key, rollup(key)]
            for k in targets:
                cid = self.cell_id(k)
                entry = totals.get(cid)
                if entry is None:
                    totals[cid] = (k, [*acc, delta])
                else:
                    out = entry[1]
                    for i, v in enumerate(acc):
                        out[i] += v
                    out[-1] += delta
        return totals

    def write(self, conn: Connection) -> None:
        """Apply the changes in the caller's transaction (members first, then cells, sorted)."""
        if not self.sums:
            return
        residents = _apply_members(conn, self.members)
        totals = self._totals(residents)
        _upsert_cells(conn, [_cell_row(cid, *totals[cid]) for cid in sorted(totals)])


def load_fresh(conn: Connection, deltas: Iterable[Delta]) -> None:
    """Write deltas into empty aggregate tables, fast (plain inserts, no lookups).

    Each delta must hold every record of the communities it covers, and no two
    deltas the same community (members and residents are per community); the
    rollup over all communities is summed across deltas and written last.
    For seeding and :func:`rebuild_on`.
    """
    roll: dict[int, tuple[Key, list[float]]] = {}
    for delta in deltas:
        residents: dict[int, int] = defaultdict(int)
        member_rows = []
        for (cid, mid), refs in delta.members.items():
            if refs > 0:
                residents[cid] += 1
                member_rows.append((cid, mid, refs))
        member_rows.sort()
        _multi_insert(
            conn, "INSERT INTO agg_members (cell, member, refs)", "", _MEMBER_TYPES, member_rows
        )
        rows = []
        for cid, (key, values) in delta._totals(residents).items():
            if key[0] != ALL:
                rows.append(_cell_row(cid, key, values))
                continue
            entry = roll.get(cid)
            if entry is None:
                roll[cid] = (key, list(values))
            else:
                for i, v in enumerate(values):
                    entry[1][i] += v
        rows.sort()
        _multi_insert(
            conn,
            f"INSERT INTO agg_cells ({', '.join(_CELL_COLUMNS)})",
            "",
            _CELL_TYPES,
            rows,
        )
    rows = sorted(_cell_row(cid, *kv) for cid, kv in roll.items())
    _multi_insert(
        conn, f"INSERT INTO agg_cells ({', '.join(_CELL_COLUMNS)})", "", _CELL_TYPES, rows
    )


def apply(
    conn: Connection,
    community: str,
    kiosk_id: str,
    added: Iterable[Facts] = (),
    removed: Iterable[Facts] = (),
) -> None:
    """Add ``added`` and subtract ``removed`` (previous versions) in the caller's transaction."""
    delta = Delta()
    delta.add(community, kiosk_id, added, 1)
    delta.add(community, kiosk_id, removed, -1)
    delta.write(conn)


def _cell_row(cid: int, k: Key, values: list[float]) -> tuple[object, ...]:
    """A row in ``_CELL_COLUMNS`` order."""
    measures = tuple(
        v if name in FLOAT_MEASURES else int(round(v))
        for name, v in zip(MEASURES, values, strict=False)
    )
    return (cid, *k, *measures, int(values[-1]))


ROWS_PER_STATEMENT = 500
"""Rows per multi-row INSERT (16 columns x 500 stays under SQLite's 32,766 parameters)."""


def _multi_insert(
    conn: Connection,
    head: str,
    tail: str,
    types: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> list[tuple[Any, ...]]:
    """``head VALUES (...), (...) tail`` in chunks, with the driver's own parameters.

    Hand-built SQL (constant text, every value a bound parameter) because the
    ingest path writes thousands of rows and SQLAlchemy's per-row compilation
    would be most of its cost. On PostgreSQL the rows go as one array per column
    (``SELECT * FROM unnest(...)``: one statement, a handful of parameters);
    ``types`` are the columns' PostgreSQL types. Returns the RETURNING rows.
    """
    out: list[tuple[Any, ...]] = []
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        sql = f"{head} SELECT * FROM unnest({arrays}) {tail}"
        for i in range(0, len(rows), PG_ROWS_PER_STATEMENT):
            chunk = rows[i : i + PG_ROWS_PER_STATEMENT]
            columns = tuple(list(col) for col in zip(*chunk, strict=True))
            result = conn.exec_driver_sql(sql, columns)
            if result.returns_rows:
                out.extend(tuple(r) for r in result)
        return out
    one = "(" + ", ".join("?" * len(types)) + ")"
    for i in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[i : i + ROWS_PER_STATEMENT]
        sql = f"{head} VALUES {', '.join([one] * len(chunk))} {tail}"
        params = tuple(chain.from_iterable(chunk))
        result = conn.exec_driver_sql(sql, params)
        if result.returns_rows:
            out.extend(tuple(r) for r in result)
    return out


PG_ROWS_PER_STATEMENT = 20_000
_MEMBER_TYPES = ("bigint", "bigint", "integer")
_CELL_TYPES = (
    ("bigint", "text", "text", "text", "date", "text", "text", "text")
    + ("bigint",) * 5
    + ("double precision", "double precision", "bigint", "bigint")
)
"""PostgreSQL types of ``_CELL_COLUMNS``: cell, key columns, the measures, residents."""
_MEMBERS_UPSERT = (
    "INSERT INTO agg_members (cell, member, refs)",
    "ON CONFLICT (cell, member) DO UPDATE SET refs = agg_members.refs + excluded.refs "
    "RETURNING cell, member, refs",
)
_CELL_COLUMNS = (
    "cell",
    "community",
    "kiosk_id",
    "grain",
    "period",
    "kind",
    "dim",
    "dim_value",
    *MEASURES,
    "residents",
)
_CELLS_UPSERT = (
    f"INSERT INTO agg_cells ({', '.join(_CELL_COLUMNS)})",
    "ON CONFLICT (cell) DO UPDATE SET "
    + ", ".join(f"{m} = agg_cells.{m} + excluded.{m}" for m in (*MEASURES, "residents")),
)


def _apply_members(conn: Connection, members: dict[tuple[int, int], int]) -> dict[int, int]:
    """Apply reference-count changes; returns per cell the change in distinct residents.

    Rows go in sorted order (so concurrent ingests lock them in the same order);
    a resident counts in a cell when its count is created, and stops counting
    when it returns to 0 (the row is then deleted).
    """
    delta: dict[int, int] = defaultdict(int)
    changes = sorted((k, d) for k, d in members.items() if d != 0)
    if not changes:
        return delta
    dec = (
        update(agg_members)
        .where(agg_members.c.cell == bindparam("b_cell"))
        .where(agg_members.c.member == bindparam("b_member"))
        .values(refs=agg_members.c.refs + bindparam("b_d"))
        .returning(agg_members.c.refs)
    )
    emptied: list[tuple[int, int]] = []
    run: list[tuple[int, int, int]] = []

    def flush() -> None:
        if not run:
            return
        wanted = {(c, m): d for c, m, d in run}
        for cell, member, refs in _multi_insert(conn, *_MEMBERS_UPSERT, _MEMBER_TYPES, run):
            if refs == wanted[(cell, member)]:
                delta[cell] += 1  # was absent: a new resident in this cell
        run.clear()

    for (cell, member), d in changes:
        if d > 0:
            run.append((cell, member, d))
            continue
        flush()
        row = conn.execute(dec, {"b_cell": cell, "b_member": member, "b_d": d}).first()
        if row is None:
            log.warning("aggregates: removing a resident never counted in cell %d", cell)
            continue
        if row[0] <= 0:
            delta[cell] -= 1
            emptied.append((cell, member))
    flush()
    for cell, member in emptied:
        conn.execute(
            delete(agg_members)
            .where(agg_members.c.cell == cell)
            .where(agg_members.c.member == member)
            .where(agg_members.c.refs <= 0)
        )
    return delta


def _upsert_cells(conn: Connection, rows: Sequence[Sequence[object]]) -> None:
    _multi_insert(conn, *_CELLS_UPSERT, _CELL_TYPES, rows)


# --- rebuilding -----------------------------------------------------------------------


def clear(conn: Connection) -> None:
    conn.execute(delete(agg_members))
    conn.execute(delete(agg_cells))


def kiosk_communities(conn: Connection) -> dict[str, str]:
    """kiosk name -> community."""
    return {r[0]: r[1] for r in conn.execute(select(kiosks.c.name, kiosks.c.community))}


def rebuild_on(
    conn: Connection, demographics: Demographics = no_demographics, chunk: int = 5000
) -> int:
    """Recompute every aggregate from the records table in the caller's transaction.

    One community at a time (its records summed in memory, then written with
    :func:`load_fresh`). Returns the number of records counted (kinds the pages
    chart, see ``record_facts.counted``); unreadable payloads are skipped and logged.
    """
    by_community: dict[str, list[str]] = defaultdict(list)
    for kiosk, community in kiosk_communities(conn).items():
        by_community[community].append(kiosk)
    clear(conn)
    total = 0

    def deltas() -> Iterator[Delta]:
        nonlocal total
        for community in sorted(by_community):
            delta = Delta()
            for kiosk in sorted(by_community[community]):
                after = ""
                while True:
                    rows = conn.execute(
                        select(records.c.uuid, records.c.payload)
                        .where(records.c.kiosk_id == kiosk, records.c.uuid > after)
                        .order_by(records.c.uuid)
                        .limit(chunk)
                    ).all()
                    if not rows:
                        break
                    facts = []
                    for _uid, payload in rows:
                        try:
                            rec = parse_record(json.loads(payload))
                        except (RecordError, ValueError) as exc:
                            log.warning("aggregates: skipping an unreadable stored record: %s", exc)
                            continue
                        if counted(rec):
                            facts.append(facts_of(rec, demographics))
                    delta.add(community, kiosk, facts)
                    total += len(facts)
                    after = rows[-1][0]
            yield delta

    load_fresh(conn, deltas())
    return total


def rebuild(engine: Engine, demographics: Demographics = no_demographics) -> int:
    """:func:`rebuild_on` in one transaction: pages see the old figures until it is done."""
    with engine.begin() as conn:
        return rebuild_on(conn, demographics)


def _facts_of_payloads(payloads: Iterable[str], demographics: Demographics) -> list[Facts]:
    """The facts of stored payloads that the pages count (unreadable ones logged, skipped)."""
    out: list[Facts] = []
    for payload in payloads:
        try:
            rec = parse_record(json.loads(payload))
        except (RecordError, ValueError) as exc:
            log.warning("aggregates: a stored version of a record is unreadable: %s", exc)
            continue
        if counted(rec):
            out.append(facts_of(rec, demographics))
    return out


def count_ingest(
    conn: Connection,
    kiosk_id: str,
    stored: Iterable[Record],
    replaced_payloads: Iterable[str],
    demographics: Demographics = no_demographics,
) -> None:
    """Called by the ingest upsert in its transaction: count the records it stored
    (new ones and new versions) and uncount the versions they replaced. Kinds the
    pages do not chart (``resident_profile``, ``consent``, ``erasure_request``) are
    ignored."""
    added = [facts_of(r, demographics) for r in stored if counted(r)]
    removed = _facts_of_payloads(replaced_payloads, demographics)
    if not added and not removed:
        return
    row = conn.execute(select(kiosks.c.community).where(kiosks.c.name == kiosk_id)).first()
    community = row[0] if row is not None else ""
    delta = Delta()
    delta.add(community, kiosk_id, added, 1)
    delta.add(community, kiosk_id, removed, -1)
    delta.write(conn)


def uncount_deleted(
    conn: Connection,
    deleted: Iterable[tuple[str, str]],
    demographics: Demographics = no_demographics,
) -> None:
    """Take deleted records, ``(kiosk, stored payload)`` pairs, out of the aggregates in
    the deleting transaction (an erasure): one write for all their kiosks, so its rows
    are locked in the same sorted order as an ingest's."""
    by_kiosk: dict[str, list[str]] = defaultdict(list)
    for kiosk, payload in deleted:
        by_kiosk[kiosk].append(payload)
    if not by_kiosk:
        return
    communities = {
        str(name): str(community)
        for name, community in conn.execute(
            select(kiosks.c.name, kiosks.c.community).where(kiosks.c.name.in_(sorted(by_kiosk)))
        )
    }
    delta = Delta()
    for kiosk in sorted(by_kiosk):
        removed = _facts_of_payloads(by_kiosk[kiosk], demographics)
        delta.add(communities.get(kiosk, ""), kiosk, removed, -1)
    delta.write(conn)
