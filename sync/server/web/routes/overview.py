"""Overview: today, this week and this month for one community or all, with charts.

Why this module exists: the first thing a manager sees: whether residents use
the stations (sessions, repetitions, minutes, lessons, tests, residents),
compared with the previous period, plus sessions per day over 90 days, by
hour, by age group, and the most used exercises and lessons of the month.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from sync.server.web import figures
from sync.server.web.aggregates import ALL
from sync.server.web.i18n import translator
from sync.server.web.pages import (
    Login,
    known_communities,
    page_language,
    register_nav,
    render,
    resolve_community,
    web_router,
    web_state,
)

router = web_router()
register_nav("/overview", "Overview", 10)


@router.get("/")
def home(login: Login) -> Response:
    return RedirectResponse("/overview", 303)


@router.get("/overview")
def overview(request: Request, login: Login, community: str = "") -> Response:
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    lang = page_language(request, login)
    _ = translator(lang)
    today = state.settings.today().date()
    month = today.replace(day=1)
    with state.db.engine.connect() as conn:
        headline = figures.headline(conn, scope, today)
        daily = figures.daily_chart(conn, scope, today - timedelta(days=89), today, _)
        hours = figures.hour_chart(conn, scope, month, _)
        ages = figures.age_chart(conn, scope, month, _)
        top_ex = figures.top_subjects(conn, scope, month, figures.SESSION, lang)
        top_lessons = figures.top_subjects(conn, scope, month, figures.LESSON, lang)
    return render(
        request,
        "overview.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        today=today,
        month=month,
        periods=figures.periods_for(today),
        headline=headline,
        charts={
            "daily": daily,
            "hours": hours,
            "ages": ages,
            "exercises": figures.top_chart(top_ex, _("Exercise sessions")),
            "lessons": figures.top_chart(top_lessons, _("Lesson records")),
        },
        top_exercises=top_ex,
        top_lessons=top_lessons,
    )
