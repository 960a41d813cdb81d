"""The figures and charts the pages show, built from aggregate cells.

Why this module exists: the overview, the monthly report and the daily CSV
show the same measures (sessions, repetitions, active minutes, lesson
completions, fitness tests, distinct residents) for different periods; they
are defined once here, and every value leaves this module already passed
through :mod:`sync.server.web.privacy`. Chart specs are plain dicts turned
into JSON for ``static/js/charts.js`` (ECharts); a suppressed point is
``null`` and its label says "<5".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from sync.server.web import privacy, queries
from sync.server.web.aggregates import ALL, DAY, MONTH, WEEK, month_start, week_start
from sync.server.web.i18n import Translate
from sync.server.web.queries import EMPTY, Cell
from sync.server.web.record_facts import AGE_GROUPS, UNKNOWN
from sync.server.web.titles import title

SESSION, LESSON, TEST = "exercise_session", "lesson_progress", "fitness_test"
KINDS = (SESSION, LESSON, TEST, ALL)


@dataclass(frozen=True)
class Metric:
    key: str
    msgid: str
    kind: str
    value: Callable[[Cell], float]
    residents: bool = False
    """The figure is a count of residents (suppressed by itself, not by people)."""

    def shown(self, cell: Cell) -> str:
        if self.residents:
            return privacy.residents_shown(cell.residents)
        return privacy.shown(self.value(cell), cell.people)

    def visible(self, cell: Cell) -> float | None:
        """The raw value when it may be shown (for comparisons), else None."""
        if self.residents:
            return None if privacy.hidden(cell.residents) else float(cell.residents)
        return privacy.chart_value(self.value(cell), cell.people)


METRICS: tuple[Metric, ...] = (
    Metric("sessions", "Exercise sessions", SESSION, lambda c: c.n),
    Metric("repetitions", "Repetitions", SESSION, lambda c: c.reps),
    Metric("minutes", "Active minutes", SESSION, lambda c: c.minutes),
    Metric("lessons_completed", "Lesson completions", LESSON, lambda c: c.completed),
    Metric("fitness_tests", "Fitness tests", TEST, lambda c: c.n),
    Metric("residents", "Residents (distinct)", ALL, lambda c: c.residents, residents=True),
)


def change(current: float | None, previous: float | None) -> str:
    """ "+12%", "−5%", "new", or "–" when either side is hidden or both are zero."""
    if current is None or previous is None:
        return "–"
    if previous == 0:
        return "–" if current == 0 else "new"
    pct = (current - previous) / previous * 100
    if abs(pct) < 0.5:
        return "0%"
    return f"{'+' if pct > 0 else '−'}{abs(pct):.0f}%"


@dataclass(frozen=True)
class Period:
    key: str
    msgid: str
    grain: str
    start: date
    previous: date
    previous_msgid: str


def periods_for(today: date) -> list[Period]:
    week, month = week_start(today), month_start(today)
    last_month = month_start(month - timedelta(days=1))
    return [
        Period("today", "Today", DAY, today, today - timedelta(days=1), "Yesterday"),
        Period("week", "This week", WEEK, week, week - timedelta(days=7), "Last week"),
        Period("month", "This month", MONTH, month, last_month, "Last month"),
    ]


@dataclass(frozen=True)
class Figure:
    metric: Metric
    period: str
    shown: str
    previous_shown: str
    change: str


def headline(conn: Connection, community: str, today: date) -> list[list[Figure]]:
    """Rows of metrics, columns of periods (today, this week, this month), with comparisons."""
    periods = periods_for(today)
    cells: dict[tuple[str, date, str], Cell] = {}
    for p in periods:
        got = queries.period_cells(conn, community, p.grain, [p.start, p.previous], KINDS)
        for (period, kind), cell in got.items():
            cells[(p.grain, period, kind)] = cell
    rows = []
    for m in METRICS:
        row = []
        for p in periods:
            cur = cells.get((p.grain, p.start, m.kind), EMPTY)
            prev = cells.get((p.grain, p.previous, m.kind), EMPTY)
            row.append(
                Figure(
                    m, p.key, m.shown(cur), m.shown(prev), change(m.visible(cur), m.visible(prev))
                )
            )
        rows.append(row)
    return rows


def month_figures(conn: Connection, community: str, month: date) -> list[Figure]:
    """The month's metrics against the month before."""
    previous = month_start(month - timedelta(days=1))
    cells = queries.period_cells(conn, community, MONTH, [month, previous], KINDS)
    out = []
    for m in METRICS:
        cur, prev = cells.get((month, m.kind), EMPTY), cells.get((previous, m.kind), EMPTY)
        out.append(
            Figure(m, "month", m.shown(cur), m.shown(prev), change(m.visible(cur), m.visible(prev)))
        )
    return out


# --- charts ---------------------------------------------------------------------------


def _bar(
    labels: list[str], values: list[float | None], name: str, *, horizontal: bool = False
) -> dict[str, Any]:
    return {
        "type": "bar",
        "horizontal": horizontal,
        "labels": labels,
        "series": [{"name": name, "values": values}],
        "suppressed": privacy.SUPPRESSED,
    }


def daily_chart(
    conn: Connection, community: str, start: date, end: date, _: Translate
) -> dict[str, Any]:
    series = queries.daily_series(conn, community, SESSION, start, end)
    labels, values = [], []
    day = start
    while day <= end:
        cell = series.get(day, EMPTY)
        labels.append(day.isoformat())
        values.append(privacy.chart_value(cell.n, cell.people))
        day += timedelta(days=1)
    spec = _bar(labels, values, _("Exercise sessions"))
    spec["type"] = "line" if (end - start).days > 40 else "bar"
    return spec


def hour_chart(conn: Connection, community: str, month: date, _: Translate) -> dict[str, Any]:
    cells = queries.breakdown(conn, community, month, SESSION, "hour")
    labels = [f"{h:02d}" for h in range(24)]
    values = [
        privacy.chart_value(cells.get(str(h), EMPTY).n, cells.get(str(h), EMPTY).people)
        for h in range(24)
    ]
    return _bar(labels, values, _("Exercise sessions"))


def age_rows(conn: Connection, community: str, month: date, kind: str) -> list[tuple[str, Cell]]:
    cells = queries.breakdown(conn, community, month, kind, "age")
    return [(g, cells[g]) for g in (*AGE_GROUPS, UNKNOWN) if g in cells]


def age_label(group: str, _: Translate) -> str:
    return _("Unknown") if group == UNKNOWN else group


def age_chart(conn: Connection, community: str, month: date, _: Translate) -> dict[str, Any]:
    rows = age_rows(conn, community, month, SESSION)
    return _bar(
        [age_label(g, _) for g, _c in rows],
        [privacy.chart_value(c.n, c.people) for _g, c in rows],
        _("Exercise sessions"),
    )


@dataclass(frozen=True)
class Ranked:
    subject: str
    title: str
    cell: Cell


def top_subjects(
    conn: Connection, community: str, month: date, kind: str, lang: str, limit: int = 10
) -> list[Ranked]:
    """Most used subjects first; suppressed ones (fewer than 5 people) are listed last."""
    cells = queries.breakdown(conn, community, month, kind, "subject")
    ranked = sorted(cells.items(), key=lambda kv: (privacy.hidden(kv[1].people), -kv[1].n, kv[0]))
    return [Ranked(s, title(kind, s, lang), c) for s, c in ranked[:limit]]


def top_chart(items: list[Ranked], name: str) -> dict[str, Any]:
    items = list(reversed(items))  # largest at the top of a horizontal bar chart
    return _bar(
        [i.title for i in items],
        [privacy.chart_value(i.cell.n, i.cell.people) for i in items],
        name,
        horizontal=True,
    )
