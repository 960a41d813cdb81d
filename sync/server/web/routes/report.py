"""Monthly report: one printable page per community and month (A4, print stylesheet).

Why this module exists: managers report upward to the district (反映到上级管理部门).
The page holds the month's figures against the month before, a sentence or
two of comparison, charts (sessions per day, by age group, most used
exercises), lessons, fitness tests against norms and the stations' state;
the browser's "save as PDF" gives a clean A4 report in the manager's language.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import Request
from fastapi.responses import Response

from sync.server.web import figures, queries
from sync.server.web.aggregates import ALL, MONTH, kiosk_communities, month_start
from sync.server.web.i18n import translator
from sync.server.web.pages import (
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
from sync.server.web.routes.lessons import lesson_rows, test_summaries

router = web_router()
register_nav("/report", "Monthly report", 40)


def _month_end(first: date) -> date:
    return month_start(first + timedelta(days=32)) - timedelta(days=1)


@router.get("/report")
def report_page(request: Request, login: Login, community: str = "", month: str = "") -> Response:
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    lang = page_language(request, login)
    _ = translator(lang)
    today = state.settings.today().date()
    first = parse_month(month, today)
    last = _month_end(first)
    previous = month_start(first - timedelta(days=1))
    with state.db.engine.connect() as conn:
        figs = figures.month_figures(conn, scope, first)
        daily = figures.daily_chart(conn, scope, first, last, _)
        ages = figures.age_chart(conn, scope, first, _)
        top_ex = figures.top_subjects(conn, scope, first, figures.SESSION, lang, limit=6)
        lessons = lesson_rows(conn, scope, first, lang, "started")[:6]
        tests = test_summaries(conn, scope, first, lang)
        communities = kiosk_communities(conn)
        kiosks = [k for k, c in communities.items() if scope == ALL or c == scope]
        active = queries.kiosk_activity(conn, kiosks, first, first, grain=MONTH)
    return render(
        request,
        "report.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        month=first,
        month_value=first.strftime("%Y-%m"),
        previous=previous,
        generated=state.settings.today(),
        to_date=today if first <= today <= last else None,
        figures=figs,
        charts={
            "daily": daily,
            "ages": ages,
            "exercises": figures.top_chart(top_ex, _("Exercise sessions")),
        },
        top_exercises=top_ex,
        lessons=lessons,
        tests=tests,
        kiosk_count=len(kiosks),
        active_kiosks=sum(1 for k in kiosks if active.get(k, 0) > 0),
    )
