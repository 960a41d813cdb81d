"""Reading the aggregates: the only queries the pages run on activity data.

Why this module exists: every figure on the overview, lessons and report
pages is a sum over a few aggregate cells of one community (or the rollup of
all, ``*``). These functions are the read side of
:mod:`sync.server.web.aggregates`; each reads a bounded number of rows
(periods x dimension values) whatever the size of the records table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import Connection, Row, func, select

from sync.server.tables import agg_cells
from sync.server.web.aggregates import DAY, MONTH


@dataclass(frozen=True)
class Cell:
    """Sums over some records (see ``agg_cells``)."""

    n: int = 0
    guests: int = 0
    residents: int = 0
    completed: int = 0
    reps: int = 0
    duration_ms: int = 0
    value_sum: float = 0.0
    score_sum: float = 0.0
    score_n: int = 0

    @property
    def people(self) -> int:
        """Distinct identified residents plus guest records: who a figure is about."""
        return self.residents + self.guests

    @property
    def minutes(self) -> float:
        return self.duration_ms / 60000.0

    @property
    def mean_value(self) -> float | None:
        return self.value_sum / self.n if self.n else None

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.score_n if self.score_n else None

    def __add__(self, other: Cell) -> Cell:
        """Sum of two disjoint cells (e.g. two communities: residents are per community)."""
        return Cell(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Cell)))


EMPTY = Cell()
_COLS = [agg_cells.c[f.name] for f in fields(Cell)]


def _cell(row: Row[tuple[object, ...]], offset: int) -> Cell:
    v = list(row[offset:])
    return Cell(
        n=_int(v[0]),
        guests=_int(v[1]),
        residents=_int(v[2]),
        completed=_int(v[3]),
        reps=_int(v[4]),
        duration_ms=_int(v[5]),
        value_sum=_float(v[6]),
        score_sum=_float(v[7]),
        score_n=_int(v[8]),
    )


def _int(v: object) -> int:
    return int(v) if isinstance(v, int | float) else 0


def _float(v: object) -> float:
    return float(v) if isinstance(v, int | float) else 0.0


def period_cells(
    conn: Connection,
    community: str,
    grain: str,
    periods: Iterable[date],
    kinds: Iterable[str],
) -> dict[tuple[date, str], Cell]:
    """Totals per (period, kind) for the given periods of one grain."""
    periods, kinds = list(periods), list(kinds)
    q = (
        select(agg_cells.c.period, agg_cells.c.kind, *_COLS)
        .where(agg_cells.c.grain == grain)
        .where(agg_cells.c.dim == "")
        .where(agg_cells.c.kind.in_(kinds))
        .where(agg_cells.c.community == community)
        .where(agg_cells.c.period.in_(periods))
        .where(agg_cells.c.kiosk_id == "")
    )
    return {(r[0], r[1]): _cell(r, 2) for r in conn.execute(q)}


def daily_series(
    conn: Connection, community: str, kind: str, start: date, end: date
) -> dict[date, Cell]:
    """Per local day in [start, end], for one kind (days without records are absent)."""
    q = (
        select(agg_cells.c.period, *_COLS)
        .where(agg_cells.c.grain == DAY)
        .where(agg_cells.c.dim == "")
        .where(agg_cells.c.kind == kind)
        .where(agg_cells.c.community == community)
        .where(agg_cells.c.period.between(start, end))
        .where(agg_cells.c.kiosk_id == "")
    )
    return {r[0]: _cell(r, 1) for r in conn.execute(q)}


def breakdown(
    conn: Connection, community: str, month: date, kind: str, dim: str
) -> dict[str, Cell]:
    """A month's cells of one kind by a dimension (subject, age, hour, done, norm)."""
    q = (
        select(agg_cells.c.dim_value, *_COLS)
        .where(agg_cells.c.grain == MONTH)
        .where(agg_cells.c.dim == dim)
        .where(agg_cells.c.kind == kind)
        .where(agg_cells.c.community == community)
        .where(agg_cells.c.period == month)
        .where(agg_cells.c.kiosk_id == "")
    )
    return {r[0]: _cell(r, 1) for r in conn.execute(q)}


def kiosk_activity(
    conn: Connection, kiosks: Iterable[str], start: date, end: date, grain: str = DAY
) -> dict[str, int]:
    """Records per kiosk over the days (or with ``grain=MONTH`` the months) from ``start``
    to ``end``, all kinds together, summed by the database."""
    kiosks = list(kiosks)
    if not kiosks:
        return {}
    q = (
        select(agg_cells.c.kiosk_id, func.sum(agg_cells.c.n))
        .where(agg_cells.c.kiosk_id.in_(kiosks))
        .where(agg_cells.c.period.between(start, end))
        .where(agg_cells.c.grain == grain)
        .where(agg_cells.c.dim == "")
        .group_by(agg_cells.c.kiosk_id)
    )
    return {r[0]: int(r[1] or 0) for r in conn.execute(q)}
