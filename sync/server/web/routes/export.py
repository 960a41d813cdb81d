"""CSV export of records and of daily figures, UTF-8 with BOM (Excel reads Chinese right).

Why this module exists: managers pass figures on in spreadsheets. Two files:

* **records**: one row per record of a community over a date range (local
  day), without the resident: no pseudonym, no age or sex, so no row can be
  joined to another row of the same resident;
* **daily**: per day and kind, the same figures as the pages, with "<5" for
  any figure about fewer than 5 people.

Downloads are POST forms with the CSRF token; text cells that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@``) are quoted with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from sync.records import RecordError, parse_record
from sync.server.web import privacy, queries
from sync.server.web.aggregates import ALL, kiosk_communities
from sync.server.web.figures import LESSON, SESSION, TEST
from sync.server.web.i18n import Translate, translator
from sync.server.web.pages import (
    BadRequest,
    Login,
    WebState,
    known_communities,
    page_language,
    register_nav,
    render,
    resolve_community,
    web_router,
    web_state,
)
from sync.server.web.record_facts import counted, facts_of
from sync.server.web.titles import title

router = web_router()
register_nav("/export", "Export", 50)

MAX_DAYS = 366
BOM = "\ufeff"
KIND_MSGIDS = {
    SESSION: "Exercise session",
    LESSON: "Lesson",
    TEST: "Fitness test",
    "feedback": "Feedback",
}


def cell_text(value: object) -> str:
    """A CSV cell; text a spreadsheet would treat as a formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    s = str(value)
    if s and s[0] in "=+-@\t\r":
        return "'" + s
    return s


def _csv_line(values: list[object]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([cell_text(v) for v in values])
    return buf.getvalue()


def _range(start: str, end: str) -> tuple[date, date]:
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise BadRequest("dates must look like 2026-03-01") from None
    if last < first:
        raise BadRequest("the end date is before the start date")
    if (last - first).days >= MAX_DAYS:
        raise BadRequest("at most 366 days at a time")
    return first, last


def _download(lines: Iterator[str], filename: str) -> StreamingResponse:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        (line.encode("utf-8") for line in lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


def record_lines(
    state: WebState,
    kiosks: list[str],
    community_of: dict[str, str],
    first: date,
    last: date,
    lang: str,
    _: Translate,
) -> Iterator[str]:
    from sync.server.tables import records

    yield BOM + _csv_line(
        [
            _("Date"),
            _("Time"),
            _("Community"),
            _("Kiosk"),
            _("Kind"),
            _("Item"),
            _("Value"),
            _("Unit"),
            _("Repetitions"),
            _("Duration (s)"),
            _("Completed"),
        ]
    )
    if not kiosks:
        return
    q = (
        select(records.c.kiosk_id, records.c.payload)
        .where(records.c.kiosk_id.in_(kiosks))
        .where(records.c.local_day.between(first, last))
        .order_by(records.c.local_day, records.c.occurred_at, records.c.uuid)
    )
    with state.db.engine.connect() as conn:
        for kiosk, payload in conn.execution_options(yield_per=2000).execute(q):
            try:
                rec = parse_record(json.loads(payload))
            except (RecordError, ValueError):
                continue
            if not counted(rec):
                continue
            f = facts_of(rec)
            local = rec.timestamp() + timedelta(minutes=getattr(rec, "utc_offset_min", 0))
            value, unit = rec.measure()
            yield _csv_line(
                [
                    f.day.isoformat(),
                    local.strftime("%H:%M"),
                    community_of.get(kiosk, ""),
                    kiosk,
                    _(KIND_MSGIDS.get(rec.kind, rec.kind)),
                    title(rec.kind, f.subject, lang),
                    value,
                    unit or "",
                    f.reps if rec.kind == SESSION else "",
                    round(f.duration_ms / 1000, 1) if rec.kind == SESSION else "",
                    f.completed,
                ]
            )


def daily_lines(
    state: WebState, scope: str, first: date, last: date, _: Translate
) -> Iterator[str]:
    yield BOM + _csv_line(
        [
            _("Date"),
            _("Community"),
            _("Kind"),
            _("Records"),
            _("Residents (distinct)"),
            _("Repetitions"),
            _("Active minutes"),
            _("Completed"),
        ]
    )
    community = _("All communities") if scope == ALL else scope
    with state.db.engine.connect() as conn:
        series = {
            k: queries.daily_series(conn, scope, k, first, last) for k in (SESSION, LESSON, TEST)
        }
    day = first
    while day <= last:
        for kind in (SESSION, LESSON, TEST):
            c = series[kind].get(day, queries.EMPTY)
            yield _csv_line(
                [
                    day.isoformat(),
                    community,
                    _(KIND_MSGIDS[kind]),
                    privacy.shown(c.n, c.people),
                    privacy.residents_shown(c.residents),
                    privacy.shown(c.reps, c.people) if kind == SESSION else "",
                    privacy.shown(c.minutes, c.people, digits=1) if kind == SESSION else "",
                    privacy.shown(c.completed, c.people),
                ]
            )
        day += timedelta(days=1)


@router.get("/export")
def export_page(request: Request, login: Login, community: str = "") -> Response:
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    today = state.settings.today().date()
    return render(
        request,
        "export.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        start=today.replace(day=1).isoformat(),
        end=today.isoformat(),
    )


@router.post("/export/records.csv")
def export_records(
    request: Request,
    login: Login,
    start: Annotated[str, Form(max_length=20)],
    end: Annotated[str, Form(max_length=20)],
    community: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    state = web_state(request)
    scope = resolve_community(login, community, known_communities(state))
    first, last = _range(start, end)
    lang = page_language(request, login)
    with state.db.engine.connect() as conn:
        communities = kiosk_communities(conn)
    kiosks = sorted(k for k, c in communities.items() if scope == ALL or c == scope)
    name = f"records-{'all' if scope == ALL else scope}-{first}-{last}.csv"
    return _download(
        record_lines(state, kiosks, communities, first, last, lang, translator(lang)), name
    )


@router.post("/export/daily.csv")
def export_daily(
    request: Request,
    login: Login,
    start: Annotated[str, Form(max_length=20)],
    end: Annotated[str, Form(max_length=20)],
    community: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    state = web_state(request)
    scope = resolve_community(login, community, known_communities(state))
    first, last = _range(start, end)
    lang = page_language(request, login)
    name = f"daily-{'all' if scope == ALL else scope}-{first}-{last}.csv"
    return _download(daily_lines(state, scope, first, last, translator(lang)), name)
