"""What the community-life pages share: scope, loading an item, the area's tabs.

Why this module exists: challenges, events, polls, feedback and announcements are
five pages with the same rules: a manager of a community sees and changes only
that community's items (another community's item is "not found", so its existence
does not leak), a district manager sees all and picks the community when creating
one; a form that cannot make an item is a 400 naming the problem.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from sync.server.community import items
from sync.server.community.items import Item, ItemKind, StoredItem
from sync.server.web import auth
from sync.server.web.aggregates import ALL
from sync.server.web.community_forms import Form, FormError, field
from sync.server.web.pages import (
    BadRequest,
    Forbidden,
    PageError,
    WebState,
    known_communities,
    render,
    resolve_community,
    web_state,
)


class NotFound(PageError):
    status = 404


@dataclass(frozen=True)
class Tab:
    path: str
    msgid: str


TABS = (
    Tab("/community/challenges", "Challenges"),
    Tab("/community/events", "Events"),
    Tab("/community/polls", "Polls"),
    Tab("/community/feedback", "Feedback"),
    Tab("/community/announcements", "Announcements"),
)


def visible(login: auth.LoginSession, scope: str, known: list[str]) -> list[str]:
    """The communities a page lists for ``scope`` (from ``resolve_community``)."""
    mine = login.manager.community
    if mine is not None:
        return [mine]
    return known if scope == ALL else [scope]


def target(login: auth.LoginSession, requested: str, state: WebState) -> str:
    """The community a new item goes to: the manager's own, or the district manager's pick."""
    mine = login.manager.community
    if mine is not None:
        if requested not in ("", mine):
            raise Forbidden("you may only see your own community")
        return mine
    if requested not in known_communities(state):
        raise BadRequest("choose the community")
    return requested


def load(conn: Connection, login: auth.LoginSession, item_id: str, kind: ItemKind) -> StoredItem:
    found = items.get(conn, item_id) if len(item_id) <= 64 else None
    mine = login.manager.community
    if found is None or found.kind != kind or (mine is not None and found.community != mine):
        raise NotFound("no such item")
    return found


def refuse(exc: FormError) -> BadRequest:
    return BadRequest(exc.message)



def blank_period(start: datetime, length: timedelta) -> dict[str, str]:
    """A create form's default start and end, as ``datetime-local`` values."""
    return {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + length).strftime("%Y-%m-%dT%H:%M"),
    }


async def publish(
    request: Request,
    login: auth.LoginSession,
    kind: ItemKind,
    parse: Callable[[Form, str, tzinfo], Item],
) -> RedirectResponse:
    """Create an item of ``kind`` from the posted form (parsed by ``parse``) in the
    manager's community, and go to its page."""
    state = web_state(request)
    form = await request.form()
    community = target(login, field(form, "community", 64), state)
    now = state.settings.now()
    try:
        model = parse(form, items.new_id(kind, now), state.settings.tz)
    except FormError as exc:
        raise refuse(exc) from None
    with state.db.engine.begin() as conn:
        items.save(conn, community, model, kind=kind, by=login.manager.name, now=now)
    return RedirectResponse(f"/community/{kind}s/{model.id}", 303)


def list_page(
    request: Request,
    login: auth.LoginSession,
    community: str,
    kind: ItemKind,
    template: str,
    figures: Callable[[Connection, str, list[str]], Sequence[object]],
    blank: Callable[[datetime], dict[str, str]],
) -> Response:
    """The list of a community's items of ``kind``, newest first, each beside its figure
    (``figures`` gives one per item id, per community), and the create form."""
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    rows: list[tuple[StoredItem, object]] = []
    with state.db.engine.connect() as conn:
        for c in visible(login, scope, known):
            found = items.listing(conn, [c], kind)
            rows += zip(found, figures(conn, c, [i.id for i in found]), strict=True)
    rows.sort(key=lambda r: r[0].model.starts_at, reverse=True)
    return render(
        request,
        template,
        scope=scope,
        all_scope=ALL,
        communities=known,
        tabs=TABS,
        rows=rows,
        now=state.settings.now(),
        form=blank(state.settings.today()),
    )
