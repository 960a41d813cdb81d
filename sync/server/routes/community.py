"""The pull channel of community life: the feed, one resident's inbox, announcement pictures.

Why this module exists: kiosks must learn what managers publish (challenges, events,
polls, announcements, feedback topics) and what the server decided about their
residents' votes, sign-ups and feedback; sync only pushed until now. Every route needs
the kiosk's token and answers about that kiosk's community only. The feed carries a
strong ``ETag`` (``If-None-Match`` -> 304, so a kiosk polling every few minutes costs
a few indexed queries and no body); see :mod:`sync.server.community.feed`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.community import FEED_PATH, INBOX_PATH, PICTURE_PATH, Feed, ResidentInbox
from sync.records import GUEST
from sync.server.community import feed as community_feed
from sync.server.community import items
from sync.server.deps import DB, ApiError, Kiosk, SafeJSONResponse
from sync.server.web.settings import WebSettings

router = APIRouter()

_RESIDENT = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
_ITEM = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]


def _settings(request: Request) -> WebSettings:
    web = getattr(request.app.state, "web", None)
    return web.settings if web is not None else WebSettings()


@router.get(
    FEED_PATH,
    response_model=Feed,
    responses={304: {"description": "not modified since the ETag sent in If-None-Match"}},
    summary="Challenges, events, polls, announcements and topics of this kiosk's community",
)
async def get_feed(request: Request, kiosk: Kiosk, db: DB) -> Response:
    settings = _settings(request)

    def build() -> Feed:
        now = settings.now()
        with db.engine.connect() as conn:
            community = items.community_of(conn, kiosk) or ""
            return community_feed.build_feed(conn, kiosk, community, now, settings.today().date())

    feed = await run_in_threadpool(build)
    tag = community_feed.etag(feed)
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if community_feed.etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return SafeJSONResponse(feed.model_dump(mode="json"), 200, headers=headers)


@router.get(
    INBOX_PATH + "/{resident}",
    response_model=ResidentInbox,
    responses={404: {"description": "no such resident in this kiosk's community"}},
    summary="One resident's votes, sign-ups, replies and challenge contributions",
)
async def get_inbox(request: Request, resident: _RESIDENT, kiosk: Kiosk, db: DB) -> Response:
    if resident == GUEST:
        raise ApiError(400, "a guest has no community inbox")
    now = _settings(request).now()

    def build() -> ResidentInbox | None:
        with db.engine.connect() as conn:
            community = items.community_of(conn, kiosk) or ""
            members = items.community_kiosks(conn, community)
            if not community_feed.known_resident(conn, members, resident):
                return None
            return community_feed.build_inbox(conn, community, resident, now)

    inbox = await run_in_threadpool(build)
    if inbox is None:
        raise ApiError(404, "no records of this resident in this kiosk's community")
    return SafeJSONResponse(inbox.model_dump(mode="json"), 200, headers={"Cache-Control": "no-store"})


@router.get(
    PICTURE_PATH + "/{announcement}",
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}}},
        404: {"description": "no such announcement picture for this kiosk"},
    },
    summary="The picture of an announcement shown on this kiosk",
)
async def get_picture(request: Request, announcement: _ITEM, kiosk: Kiosk, db: DB) -> Response:
    def load() -> tuple[str, bytes, str] | None:
        with db.engine.connect() as conn:
            item = items.get(conn, announcement)
            community = items.community_of(conn, kiosk)
            if (
                item is None
                or item.kind != "announcement"
                or item.community != community
                or (item.targets and kiosk not in item.targets)
            ):
                return None
            return items.picture(conn, announcement)

    found = await run_in_threadpool(load)
    if found is None:
        raise ApiError(404, "no picture of this announcement for this kiosk")
    content_type, data, digest = found
    tag = f'"{digest[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "private, max-age=3600"}
    if community_feed.etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=content_type, headers=headers)
