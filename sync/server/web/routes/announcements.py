"""Announcements: a text and an optional picture, shown on chosen kiosks between two dates.

Why this module exists: "the fitness path is closed for repairs this week" must
reach the kiosks of one building, with a photo. The picture is checked here (PNG
or JPEG by its first bytes, at most ``sync.community.MAX_PICTURE_BYTES``) and kept
in the database, so a backup holds it and kiosks fetch it with their token
(``PICTURE_PATH``). No kiosk picked means every kiosk of the community.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from sync.community import MAX_PICTURE_BYTES
from sync.server.community import feed, items
from sync.server.web import community_forms as forms
from sync.server.web.aggregates import ALL
from sync.server.web.community_pages import (
    TABS,
    NotFound,
    blank_period,
    load,
    refuse,
    target,
    visible,
)
from sync.server.web.pages import (
    BadRequest,
    Login,
    known_communities,
    render,
    resolve_community,
    web_router,
    web_state,
)

MAX_FORM = MAX_PICTURE_BYTES + 1_000_000
router = web_router(max_form_bytes=MAX_FORM)


def _blank(today: datetime) -> dict[str, str]:
    start = today.replace(minute=0, second=0, microsecond=0)
    return blank_period(start, timedelta(days=7))


@router.get("/community/announcements")
def announcements_page(request: Request, login: Login, community: str = "") -> Response:
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    shown = visible(login, scope, known)
    with state.db.engine.connect() as conn:
        found = items.listing(conn, shown, "announcement")
        kiosks = {c: items.community_kiosks(conn, c) for c in shown}
        pictures = {i.id for i in found if feed.has_picture(conn, i.id)}
    return render(
        request,
        "community/announcements.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        tabs=TABS,
        rows=found,
        pictures=pictures,
        kiosks=kiosks,
        now=state.settings.now(),
        form=_blank(state.settings.today()),
        max_picture_mb=MAX_PICTURE_BYTES / 1_000_000,
    )


async def _picture(upload: object) -> tuple[str, bytes] | None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_PICTURE_BYTES + 1)
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type == "image/jpg":
        content_type = "image/jpeg"
    problem = items.picture_problem(content_type, data, MAX_PICTURE_BYTES)
    if problem:
        raise BadRequest(problem)
    return content_type, data


@router.post("/community/announcements")
async def create_announcement(request: Request, login: Login) -> Response:
    state = web_state(request)
    form = await request.form()
    community = target(login, forms.field(form, "community", 64), state)
    picture = await _picture(form.get("picture"))
    now = state.settings.now()
    try:
        model = forms.announcement(
            form, items.new_id("announcement", now), state.settings.tz, picture is not None
        )
    except forms.FormError as exc:
        raise refuse(exc) from None
    with state.db.engine.begin() as conn:
        kiosks = items.community_kiosks(conn, community)
        chosen = [str(k) for k in form.getlist("kiosks") if k]
        unknown = [k for k in chosen if k not in kiosks]
        if unknown:
            raise BadRequest(f"kiosks: {unknown[0][:64]} is not a kiosk of this community")
        items.save(
            conn, community, model, kind="announcement", by=login.manager.name, now=now,
            targets=chosen,
        )
        if picture is not None:
            items.save_picture(conn, model.id, *picture)
    return RedirectResponse("/community/announcements", 303)


@router.post("/community/announcements/{item_id}/end")
def end_announcement(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    with state.db.engine.begin() as conn:
        item = load(conn, login, item_id, "announcement")
        items.end(conn, item, state.settings.now())
    return RedirectResponse("/community/announcements", 303)


@router.get("/community/announcements/{item_id}/picture")
def announcement_picture(request: Request, login: Login, item_id: str) -> Response:
    state = web_state(request)
    with state.db.engine.connect() as conn:
        load(conn, login, item_id, "announcement")
        found = items.picture(conn, item_id)
    if found is None:
        raise NotFound("no picture")
    content_type, data, _digest = found
    return Response(data, media_type=content_type)
