"""Feedback: what residents said at the kiosks, by topic; mark it handled and reply.

Why this module exists: "the treadmill squeaks", "more tai chi please": residents
pick a topic and a rating (and maybe a few words) at the kiosk (``feedback``
records). The manager reads them here, newest first, filtered by topic and by
whether they are handled, and answers; the reply reaches the resident's kiosk at
their next visit (``ResidentInbox.replies``). Guests' feedback can be handled but
not answered (nobody to answer). Residents are never named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, and_, func, select

from sync.records import GUEST
from sync.server.community import items
from sync.server.tables import feedback_replies, kiosks, records
from sync.server.web import community_forms as forms
from sync.server.web.aggregates import ALL
from sync.server.web.community_pages import TABS, NotFound, visible
from sync.server.web.pages import (
    BadRequest,
    Login,
    known_communities,
    local_path,
    render,
    resolve_community,
    web_router,
    web_state,
)

router = web_router()

SHOWN = 200
"""Feedback items listed at most (newest first)."""
MAX_REPLY = 2000
STATES = ("open", "handled", "all")


@dataclass(frozen=True)
class FeedbackRow:
    kiosk: str
    uuid: str
    community: str
    resident_code: str
    guest: bool
    topic: str
    rating: int
    text: str
    at: str
    handled: bool
    reply: str
    replied_at: str | None
    replied_by: str | None


def feedback_rows(
    conn: Connection, communities: list[str], topic: str, status: str, limit: int = SHOWN
) -> list[FeedbackRow]:
    join = and_(
        feedback_replies.c.kiosk_id == records.c.kiosk_id, feedback_replies.c.uuid == records.c.uuid
    )
    q = (
        select(
            records.c.kiosk_id,
            records.c.uuid,
            kiosks.c.community,
            records.c.resident,
            records.c.payload,
            records.c.occurred_at,
            feedback_replies.c.handled,
            feedback_replies.c.reply,
            feedback_replies.c.replied_at,
            feedback_replies.c.replied_by,
        )
        .join(kiosks, kiosks.c.name == records.c.kiosk_id)
        .outerjoin(feedback_replies, join)
        .where(records.c.kind == "feedback", kiosks.c.community.in_(communities))
        .order_by(records.c.local_day.desc(), records.c.occurred_at.desc())
    )
    if status == "open":
        q = q.where(func.coalesce(feedback_replies.c.handled, False).is_(False))
    elif status == "handled":
        q = q.where(feedback_replies.c.handled.is_(True))
    out = []
    for r in conn.execute(q):
        payload = json.loads(r.payload)
        t = str(payload.get("topic") or "")
        if topic and t != topic:
            continue
        out.append(
            FeedbackRow(
                kiosk=r.kiosk_id,
                uuid=r.uuid,
                community=r.community,
                resident_code=forms.resident_code(r.resident) if r.resident != GUEST else "",
                guest=r.resident == GUEST,
                topic=t,
                rating=int(payload.get("rating") or 0),
                text=str(payload.get("text") or ""),
                at=r.occurred_at,
                handled=bool(r.handled),
                reply=r.reply or "",
                replied_at=r.replied_at,
                replied_by=r.replied_by,
            )
        )
        if len(out) >= limit:
            break
    return out


@router.get("/community/feedback")
def feedback_page(
    request: Request, login: Login, community: str = "", topic: str = "", status: str = "open"
) -> Response:
    if status not in STATES:
        raise BadRequest("unknown filter")
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    shown = visible(login, scope, known)
    with state.db.engine.connect() as conn:
        rows = feedback_rows(conn, shown, topic[:64], status)
        topics = {t.id: t for c in shown for t in items.topics(conn, c)}
    by_topic: dict[str, list[FeedbackRow]] = {}
    for r in rows:
        by_topic.setdefault(r.topic, []).append(r)
    order = list(topics) + sorted(t for t in by_topic if t not in topics)
    return render(
        request,
        "community/feedback.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        tabs=TABS,
        groups=[(t, topics.get(t), by_topic[t]) for t in order if t in by_topic],
        topics=topics,
        topic=topic,
        shown_status=status,
        statuses=STATES,
        items_iso=items.from_iso,
    )


@router.post("/community/feedback/{kiosk}/{uuid}")
async def reply_feedback(request: Request, login: Login, kiosk: str, uuid: str) -> Response:
    state = web_state(request)
    form = await request.form()
    reply = forms.field(form, "reply", MAX_REPLY + 1)
    if len(reply) > MAX_REPLY:
        raise BadRequest("the reply is too long (at most 2000 characters)")
    handled = forms.field(form, "handled", 8) in ("on", "1", "yes", "true")
    now = items.iso(state.settings.now())
    if len(kiosk) > 64 or len(uuid) > 36:
        raise NotFound("no such feedback")
    with state.db.engine.begin() as conn:
        row = conn.execute(
            select(records.c.resident, kiosks.c.community)
            .join(kiosks, kiosks.c.name == records.c.kiosk_id)
            .where(
                records.c.kiosk_id == kiosk,
                records.c.uuid == uuid,
                records.c.kind == "feedback",
            )
        ).first()
        mine = login.manager.community
        if row is None or (mine is not None and row.community != mine):
            raise NotFound("no such feedback")
        if reply and row.resident == GUEST:
            raise BadRequest("a guest's feedback cannot be answered: nobody would see the reply")
        values = {
            "handled": handled or bool(reply),
            "reply": reply,
            "replied_at": now if reply else None,
            "replied_by": login.manager.name,
        }
        key = and_(feedback_replies.c.kiosk_id == kiosk, feedback_replies.c.uuid == uuid)
        if conn.execute(select(feedback_replies.c.uuid).where(key)).first() is None:
            conn.execute(
                feedback_replies.insert().values(
                    kiosk_id=kiosk, uuid=uuid, community=row.community, resident=row.resident,
                    **values,
                )
            )
        else:
            conn.execute(feedback_replies.update().where(key).values(values))
    back = local_path(forms.field(form, "next", 500), "/community/feedback")
    return RedirectResponse(back, 303)
