"""Challenges: create, edit and end a community goal; watch its progress.

Why this module exists: "our building walks to Beijing" is a goal over a period
(20,000 squats in March, 500 lessons, 100 residents tested) for the community, some
kiosks or a team; residents see it on the kiosks, the manager sets it up here and
watches it fill. Progress comes from the tallies the ingest keeps
(:mod:`sync.server.community.ingest`), so the page is live and costs a few rows;
creating or editing a challenge recounts what was already received.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from sync.community import Challenge
from sync.server.community import feed, ingest, items
from sync.server.web import community_forms as forms
from sync.server.web.aggregates import ALL
from sync.server.web.community_pages import TABS, blank_period, load, refuse, target, visible
from sync.server.web.pages import (
    Login,
    known_communities,
    register_nav,
    render,
    resolve_community,
    web_router,
    web_state,
)

router = web_router()
register_nav("/community", "Community life", 50)


@router.get("/community")
def community_home(login: Login) -> Response:
    return RedirectResponse("/community/challenges", 303)


@router.get("/community/challenges")
def challenges_page(request: Request, login: Login, community: str = "") -> Response:
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    now = state.settings.now()
    with state.db.engine.connect() as conn:
        found = items.listing(conn, visible(login, scope, known), "challenge")
        models = [i.model for i in found if isinstance(i.model, Challenge)]
        figures = feed.challenge_figures(conn, models)
        kiosks = {c: items.community_kiosks(conn, c) for c in visible(login, scope, known)}
    rows = [(i, figures.get(i.id, (0.0, 0))) for i in found]
    return render(
        request,
        "community/challenges.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        tabs=TABS,
        rows=rows,
        now=now,
        metrics=forms.METRICS,
        kiosks=kiosks,
        item=None,
        form=_blank(state.settings.today()),
    )


def _blank(today: datetime) -> dict[str, str]:
    start = today.replace(hour=0, minute=0, second=0, microsecond=0)
    return blank_period(start, timedelta(days=30))


@router.post("/community/challenges")
async def create_challenge(request: Request, login: Login) -> Response:
    state = web_state(request)
    form = await request.form()
    community = target(login, forms.field(form, "community", 64), state)
    now = state.settings.now()
    with state.db.engine.begin() as conn:
        kiosks = items.community_kiosks(conn, community)
        try:
            model = forms.challenge(
                form, items.new_id("challenge", now), state.settings.tz, kiosks,
                [str(k) for k in form.getlist("kiosks")],
            )
        except forms.FormError as exc:
            raise refuse(exc) from None
        ingest.recount(conn, model, community)  # tally rows first: the lock order of ingest
        items.save(conn, community, model, kind="challenge", by=login.manager.name, now=now)
    return RedirectResponse(f"/community/challenges/{model.id}", 303)


@router.get("/community/challenges/{item_id}")
def challenge_page(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    now = state.settings.now()
    with state.db.engine.connect() as conn:
        item = load(conn, login, item_id, "challenge")
        assert isinstance(item.model, Challenge)
        progress, people = feed.challenge_figures(conn, [item.model])[item.id]
        kiosks = {item.community: items.community_kiosks(conn, item.community)}
    tz = state.settings.tz
    return render(
        request,
        "community/challenge.html",
        scope=item.community,
        all_scope=ALL,
        communities=[item.community],
        tabs=TABS,
        item=item,
        c=item.model,
        progress=progress,
        people=people,
        now=now,
        metrics=forms.METRICS,
        kiosks=kiosks,
        form={
            "starts_at": forms.as_local_input(item.model.starts_at, tz),
            "ends_at": forms.as_local_input(item.model.ends_at, tz),
        },
    )


@router.post("/community/challenges/{item_id}")
async def edit_challenge(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    form = await request.form()
    now = state.settings.now()
    with state.db.engine.begin() as conn:
        item = load(conn, login, item_id, "challenge")
        kiosks = items.community_kiosks(conn, item.community)
        try:
            model = forms.challenge(
                form, item.id, state.settings.tz, kiosks, [str(k) for k in form.getlist("kiosks")]
            )
        except forms.FormError as exc:
            raise refuse(exc) from None
        ingest.recount(conn, model, item.community)
        items.save(conn, item.community, model, kind="challenge", by=login.manager.name, now=now)
    return RedirectResponse(f"/community/challenges/{item_id}", 303)


@router.post("/community/challenges/{item_id}/end")
def end_challenge(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    with state.db.engine.begin() as conn:
        item = load(conn, login, item_id, "challenge")
        ended = items.ended(item.model, state.settings.now())
        assert isinstance(ended, Challenge)
        ingest.recount(conn, ended, item.community)
        items.end(conn, item, state.settings.now())
    return RedirectResponse(f"/community/challenges/{item_id}", 303)
