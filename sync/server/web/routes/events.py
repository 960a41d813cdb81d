"""Events: publish an activity with a capacity; see and print who signed up, by resident code.

Why this module exists: a manager invites residents to a walk or a class; residents
sign up at the kiosk (``event_signup`` records, refused beyond the capacity by the
ingest rules); on the day the manager prints the list. The list shows each
resident's pseudonymous id shortened to a code (the kiosk shows the same code to the
resident), never a name: the server has none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, select

from sync.community import Event
from sync.server.community import feed, items
from sync.server.tables import event_signups
from sync.server.web import community_forms as forms
from sync.server.web.aggregates import ALL
from sync.server.web.community_pages import TABS, blank_period, list_page, load, publish
from sync.server.web.pages import (
    Login,
    render,
    web_router,
    web_state,
)

router = web_router()


def _blank(today: datetime) -> dict[str, str]:
    start = today.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    return blank_period(start, timedelta(hours=2))


def _signed_up(conn: Connection, community: str, ids: list[str]) -> list[int]:
    counts = feed.signup_counts(conn, community, ids)
    return [counts.get(i, 0) for i in ids]


@router.get("/community/events")
def events_page(request: Request, login: Login, community: str = "") -> Response:
    return list_page(request, login, community, "event", "community/events.html", _signed_up,
                     _blank)


@router.post("/community/events")
async def create_event(request: Request, login: Login) -> Response:
    return await publish(request, login, "event", forms.event)


@router.get("/community/events/{item_id}")
def event_page(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    with state.db.engine.connect() as conn:
        item = load(conn, login, item_id, "event")
        rows = conn.execute(
            select(event_signups.c.resident, event_signups.c.decided_at, event_signups.c.kiosk_id)
            .where(
                event_signups.c.community == item.community,
                event_signups.c.event_id == item.id,
                event_signups.c.signed_up.is_(True),
            )
            .order_by(event_signups.c.decided_at)
        ).all()
    assert isinstance(item.model, Event)
    signups = [
        (forms.resident_code(str(r)), items.from_iso(str(when)), str(k)) for r, when, k in rows
    ]
    return render(
        request,
        "community/event.html",
        scope=item.community,
        all_scope=ALL,
        communities=[item.community],
        tabs=TABS,
        item=item,
        e=item.model,
        signups=signups,
        now=state.settings.now(),
    )


@router.post("/community/events/{item_id}/end")
def end_event(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    with state.db.engine.begin() as conn:
        item = load(conn, login, item_id, "event")
        items.end(conn, item, state.settings.now())
    return RedirectResponse(f"/community/events/{item_id}", 303)
