"""Polls: publish a question with preset choices; see results overall, by day and by age group.

Why this module exists: "which class should we add", "rate the new fitness path":
residents answer at the kiosk (``poll_vote`` records, one per resident per poll
across the community, kept by the ingest rules). Results are counts of residents;
any count of 1 to 4 reads "<5" (:mod:`sync.server.web.privacy`), and a row whose
only hidden cell could be worked out from its total hides the total too.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, func, select

from sync.community import Poll
from sync.server.community import items
from sync.server.tables import poll_votes
from sync.server.web import community_forms as forms
from sync.server.web import privacy
from sync.server.web.aggregates import ALL
from sync.server.web.community_pages import TABS, blank_period, list_page, load, publish
from sync.server.web.pages import (
    Login,
    render,
    web_router,
    web_state,
)
from sync.server.web.record_facts import AGE_GROUPS, UNKNOWN

router = web_router()


@dataclass
class ResultRow:
    """Residents who picked each choice, among ``answers`` residents."""

    label: str
    counts: list[int]
    answers: int = 0
    shown: list[str] = field(default_factory=list)
    answers_shown: str = ""

    def finish(self) -> ResultRow:
        self.shown = [privacy.shown(n, n) for n in self.counts]
        self.answers_shown = privacy.residents_shown(self.answers)
        hidden = sum(1 for n in self.counts if privacy.hidden(n))
        if hidden == 1 and not privacy.hidden(self.answers) and not _multi(self):
            self.answers_shown = privacy.SUPPRESSED  # else total minus the others gives it away
        return self


def _multi(row: ResultRow) -> bool:
    return sum(row.counts) != row.answers  # several choices per answer: totals do not add up


@dataclass
class Results:
    overall: ResultRow
    by_day: list[ResultRow]
    by_age: list[ResultRow]


def results(conn: Connection, community: str, poll: Poll) -> Results:
    n = len(poll.choices)
    overall = ResultRow("", [0] * n)
    days: dict[str, ResultRow] = {}
    ages: dict[str, ResultRow] = {}
    q = select(poll_votes.c.choices, poll_votes.c.local_day, poll_votes.c.age_group).where(
        poll_votes.c.community == community, poll_votes.c.poll_id == poll.id
    )
    for raw, day, age in conn.execute(q):
        picked = [int(c) for c in json.loads(raw) if 0 <= int(c) < n]
        age = age if age in AGE_GROUPS else UNKNOWN
        for row in (
            overall,
            days.setdefault(str(day), ResultRow(str(day), [0] * n)),
            ages.setdefault(age, ResultRow(age, [0] * n)),
        ):
            row.answers += 1
            for c in picked:
                row.counts[c] += 1
    order = {g: i for i, g in enumerate((*AGE_GROUPS, UNKNOWN))}
    return Results(
        overall=overall.finish(),
        by_day=[days[d].finish() for d in sorted(days)],
        by_age=[ages[a].finish() for a in sorted(ages, key=lambda a: order.get(a, 99))],
    )


def answer_counts(conn: Connection, community: str, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    q = (
        select(poll_votes.c.poll_id, func.count())
        .where(poll_votes.c.community == community, poll_votes.c.poll_id.in_(ids))
        .group_by(poll_votes.c.poll_id)
    )
    return {str(p): int(n) for p, n in conn.execute(q)}


def _blank(today: datetime) -> dict[str, str]:
    start = today.replace(hour=0, minute=0, second=0, microsecond=0)
    return blank_period(start, timedelta(days=14))


def _answered(conn: Connection, community: str, ids: list[str]) -> list[str]:
    counts = answer_counts(conn, community, ids)
    return [privacy.residents_shown(counts.get(i, 0)) for i in ids]


@router.get("/community/polls")
def polls_page(request: Request, login: Login, community: str = "") -> Response:
    return list_page(request, login, community, "poll", "community/polls.html", _answered,
                     _blank)


@router.post("/community/polls")
async def create_poll(request: Request, login: Login) -> Response:
    return await publish(request, login, "poll", forms.poll)


@router.get("/community/polls/{item_id}")
def poll_page(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    with state.db.engine.connect() as conn:
        item = load(conn, login, item_id, "poll")
        assert isinstance(item.model, Poll)
        found = results(conn, item.community, item.model)
    counts = Counter({i: n for i, n in enumerate(found.overall.counts)})
    return render(
        request,
        "community/poll.html",
        scope=item.community,
        all_scope=ALL,
        communities=[item.community],
        tabs=TABS,
        item=item,
        p=item.model,
        results=found,
        top=max(counts.values(), default=0),
        now=state.settings.now(),
    )


@router.post("/community/polls/{item_id}/end")
def end_poll(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    with state.db.engine.begin() as conn:
        item = load(conn, login, item_id, "poll")
        items.end(conn, item, state.settings.now())
    return RedirectResponse(f"/community/polls/{item_id}", 303)
