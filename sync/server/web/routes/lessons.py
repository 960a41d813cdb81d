"""Lessons and tests: completion and quiz score per lesson; fitness results against norms.

Why this module exists: a manager decides which topics residents need from
how many start and finish each lesson and how they score on its quiz, and
sees from the fitness tests how many residents of an age group and sex fall
below the normal range (e.g. older women below the chair-stand range).
All figures are for one month and come from the aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection

from sync.server.web import privacy, queries
from sync.server.web.aggregates import ALL
from sync.server.web.figures import LESSON, TEST
from sync.server.web.i18n import Translate, translator
from sync.server.web.norms import BANDS, Band, load_norms
from sync.server.web.pages import (
    BadRequest,
    Login,
    known_communities,
    page_language,
    parse_month,
    register_nav,
    render,
    resolve_community,
    web_router,
    web_state,
)
from sync.server.web.queries import EMPTY, Cell
from sync.server.web.record_facts import AGE_GROUPS, SEXES, UNKNOWN
from sync.server.web.titles import title

router = web_router()
register_nav("/lessons", "Lessons and tests", 30)

SORTS = ("started", "completed", "rate", "score", "title")


@dataclass(frozen=True)
class LessonRow:
    lesson: str
    title: str
    started: Cell
    done: Cell

    @property
    def rate(self) -> float | None:
        """Share of the residents who started it that completed it."""
        if not self.started.residents:
            return None
        return self.done.residents / self.started.residents

    def rate_shown(self) -> str:
        """The completion rate, or "<5" when either count is: a rate and a visible
        denominator would give away a hidden numerator."""
        if self.rate is None:
            return "–"
        if privacy.hidden(self.started.residents) or privacy.hidden(self.done.residents):
            return privacy.SUPPRESSED
        return privacy.shown(self.rate * 100, self.started.residents, suffix="%")

    def score_shown(self) -> str:
        score = self.started.mean_score
        if score is None:
            return "–"
        return privacy.shown(score * 100, self.started.people, suffix="%")


def lesson_rows(conn: Connection, scope: str, month: date, lang: str, sort: str) -> list[LessonRow]:
    started = queries.breakdown(conn, scope, month, LESSON, "subject")
    done = queries.breakdown(conn, scope, month, LESSON, "done")
    rows = [
        LessonRow(lesson, title(LESSON, lesson, lang), cell, done.get(lesson, EMPTY))
        for lesson, cell in started.items()
    ]

    def key(r: LessonRow) -> tuple[Any, ...]:
        hidden = privacy.hidden(r.started.people)
        if sort == "title":
            return (r.title,)
        if sort == "completed":
            return (hidden, -r.done.residents, r.title)
        if sort == "rate":
            return (hidden, -(r.rate or 0), r.title)
        if sort == "score":
            return (hidden, -(r.started.mean_score or 0), r.title)
        return (hidden, -r.started.residents, -r.started.n, r.title)

    return sorted(rows, key=key)


@dataclass(frozen=True)
class NormRow:
    age_group: str
    sex: str
    bands: dict[str, Cell]


@dataclass(frozen=True)
class TestSummary:
    test: str
    title: str
    unit: str
    better: str | None
    has_norm: bool
    overall: Cell
    rows: list[NormRow]
    by_band: dict[Band, Cell]


def test_summaries(conn: Connection, scope: str, month: date, lang: str) -> list[TestSummary]:
    norms = load_norms()
    overall = queries.breakdown(conn, scope, month, TEST, "subject")
    norm_cells = queries.breakdown(conn, scope, month, TEST, "norm")
    band_cells = queries.breakdown(conn, scope, month, TEST, "band")
    grouped: dict[str, dict[tuple[str, str], dict[str, Cell]]] = {}
    for value, cell in norm_cells.items():
        parts = value.split("|")
        if len(parts) != 4:
            continue
        test, age, sex, band = parts
        grouped.setdefault(test, {}).setdefault((age, sex), {})[band] = cell
    order = {g: i for i, g in enumerate((*AGE_GROUPS, UNKNOWN))}
    sex_order = {s: i for i, s in enumerate((*SEXES, UNKNOWN))}
    out = []
    for test in sorted(overall, key=lambda t: (-overall[t].n, t)):
        norm = norms.get(test)
        rows = [
            NormRow(age, sex, bands)
            for (age, sex), bands in sorted(
                grouped.get(test, {}).items(),
                key=lambda kv: (order.get(kv[0][0], 99), sex_order.get(kv[0][1], 9)),
            )
        ]
        by_band = {b: band_cells.get(f"{test}|{b}", EMPTY) for b in BANDS}
        out.append(
            TestSummary(
                test=test,
                title=title(TEST, test, lang),
                unit=norm.unit if norm else "",
                better=norm.better if norm else None,
                has_norm=norm is not None,
                overall=overall[test],
                rows=rows,
                by_band=by_band,
            )
        )
    return out


def band_chart(summary: TestSummary, _: Translate) -> dict[str, Any]:
    """Stacked bars: per age group and sex, results below, within and above the range."""
    rows = [r for r in summary.rows if r.age_group != UNKNOWN and r.sex != UNKNOWN]
    labels = [f"{_(r.sex.capitalize())} {r.age_group}" for r in rows]
    names = {"below": _("Below range"), "within": _("Within range"), "above": _("Above range")}
    series = []
    for band in ("below", "within", "above"):
        values = []
        for r in rows:
            c = r.bands.get(band, EMPTY)
            values.append(privacy.chart_value(c.n, c.people))
        series.append({"name": names[band], "values": values, "stack": "bands", "band": band})
    return {
        "type": "bar",
        "horizontal": False,
        "labels": labels,
        "series": series,
        "suppressed": privacy.SUPPRESSED,
    }


@router.get("/lessons")
def lessons_page(
    request: Request, login: Login, community: str = "", month: str = "", sort: str = "started"
) -> Response:
    if sort not in SORTS:
        raise BadRequest("unknown sort order")
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    lang = page_language(request, login)
    _ = translator(lang)
    first = parse_month(month, state.settings.today().date())
    with state.db.engine.connect() as conn:
        lessons = lesson_rows(conn, scope, first, lang, sort)
        tests = test_summaries(conn, scope, first, lang)
    return render(
        request,
        "lessons.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        month=first,
        month_value=first.strftime("%Y-%m"),
        lessons=lessons,
        tests=tests,
        sort=sort,
        charts={t.test: band_chart(t, _) for t in tests if t.has_norm},
        bands=("below", "within", "above", "no_norm"),
    )
