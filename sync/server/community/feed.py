"""The kiosks' view of community life: the feed and one resident's inbox.

Why this module exists: a kiosk pulls the whole current community state
(:class:`sync.community.Feed`) every few minutes, and one resident's own view
(:class:`sync.community.ResidentInbox`) when they log in; both are read from the
tables the pages and the ingest rules keep, a handful of indexed queries each:
the items whose end is still ahead, the challenge tallies summed per challenge
(participants counted only from 5 up, and then a leaderboard of the residents who
chose a nickname), the sign-ups per event, today's totals
from the daily aggregates. Nothing here scans the records table.

:func:`etag` is derived from the feed's content (the version included, the moment
it was built left out), so a kiosk's ``If-None-Match`` matches exactly when
nothing it shows changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, case, func, select

from sync.community import (
    LEADERS,
    MAX_ITEMS,
    Announcement,
    Challenge,
    Event,
    Feed,
    FeedbackTopic,
    Leader,
    Poll,
    Reply,
    ResidentInbox,
    Text,
    Today,
)
from sync.records import GUEST
from sync.server.community import items
from sync.server.community.ingest import newest_profiles
from sync.server.community.items import StoredItem
from sync.server.tables import (
    agg_cells,
    announcement_pictures,
    challenge_tallies,
    community_items,
    event_signups,
    feedback_replies,
    poll_votes,
    records,
)
from sync.server.web.privacy import MIN_PEOPLE

PARTICIPANTS_SHOWN_FROM = MIN_PEOPLE


def _current(
    conn: Connection, community: str, kind: items.ItemKind, now: datetime
) -> list[StoredItem]:
    """Running and upcoming items of ``kind``: running first, then by start; at most MAX_ITEMS."""
    found = items.listing(conn, [community], kind, ending_after=now)
    found.sort(key=lambda i: (not i.running(now), i.model.starts_at, i.id))
    return found[:MAX_ITEMS]


def challenge_figures(
    conn: Connection, challenges: Sequence[Challenge]
) -> dict[str, tuple[float, int]]:
    """challenge id -> (progress, distinct residents who contributed), from the tallies."""
    ids = [c.id for c in challenges]
    if not ids:
        return {}
    named = case((challenge_tallies.c.resident != GUEST, 1), else_=0)
    q = (
        select(
            challenge_tallies.c.challenge_id,
            func.sum(challenge_tallies.c.amount),
            func.sum(case((challenge_tallies.c.records > 0, named), else_=0)),
        )
        .where(challenge_tallies.c.challenge_id.in_(ids))
        .group_by(challenge_tallies.c.challenge_id)
    )
    sums = {
        str(cid): (float(total or 0.0), int(people or 0)) for cid, total, people in conn.execute(q)
    }
    out = {}
    for c in challenges:
        total, people = sums.get(c.id, (0.0, 0))
        if c.metric == "residents_tested":
            total = float(people)
        out[c.id] = (max(0.0, round(total, 6)), people)
    return out


LEADER_PAGE = 200
"""Tally rows read at a time while looking for residents who chose a nickname."""
LEADER_SCAN = 2000
"""At most this many top tally rows are looked through for nicknames (a few indexed reads)."""


def leaders(conn: Connection, challenge: Challenge, members: Sequence[str]) -> list[Leader]:
    """The top contributors to ``challenge`` among residents whose newest profile (in the
    community's ``members`` kiosks) has a nickname, ranked among themselves.

    Residents without a nickname are never named and take no rank; a resident who
    clears their nickname leaves the board at the next feed. Equal amounts share a rank.
    """
    found: list[tuple[str, float]] = []
    t = challenge_tallies.c
    for offset in range(0, LEADER_SCAN, LEADER_PAGE):
        rows = conn.execute(
            select(t.resident, t.amount)
            .where(t.challenge_id == challenge.id, t.resident != GUEST, t.amount > 0)
            .order_by(t.amount.desc(), t.resident)
            .offset(offset)
            .limit(LEADER_PAGE)
        ).all()
        profiles = newest_profiles(conn, members, [str(r[0]) for r in rows])
        for who, amount in rows:
            p = profiles.get(str(who))
            if p is not None and p.nickname:
                found.append((p.nickname, round(float(amount), 6)))
        if len(found) >= LEADERS or len(rows) < LEADER_PAGE:
            break
    board: list[Leader] = []
    for i, (nick, value) in enumerate(found[:LEADERS]):
        rank = board[-1].rank if board and board[-1].value == value else i + 1
        board.append(Leader(rank=rank, nickname=nick, value=value))
    return board


def with_figures(
    conn: Connection, challenges: Sequence[Challenge], community: str | None = None
) -> list[Challenge]:
    """``challenges`` with their progress and participants, and (given the ``community``)
    their leaderboards, shown only from ``PARTICIPANTS_SHOWN_FROM`` participants up."""
    figures = challenge_figures(conn, challenges)
    members: list[str] | None = None
    out = []
    for c in challenges:
        progress, people = figures[c.id]
        shown = people >= PARTICIPANTS_SHOWN_FROM
        board: list[Leader] = []
        if community is not None and shown and c.metric != "residents_tested":
            if members is None:
                members = items.community_kiosks(conn, community)
            board = leaders(conn, c, members)
        out.append(
            c.model_copy(
                update={
                    "progress": progress,
                    "participants": people if shown else None,
                    "leaders": board,
                }
            )
        )
    return out


def signup_counts(conn: Connection, community: str, event_ids: Sequence[str]) -> dict[str, int]:
    if not event_ids:
        return {}
    q = (
        select(event_signups.c.event_id, func.count())
        .where(
            event_signups.c.community == community,
            event_signups.c.event_id.in_(list(event_ids)),
            event_signups.c.signed_up.is_(True),
        )
        .group_by(event_signups.c.event_id)
    )
    return {str(e): int(n) for e, n in conn.execute(q)}


def today_totals(conn: Connection, community: str, day: date) -> Today:
    q = select(
        agg_cells.c.kind,
        agg_cells.c.n,
        agg_cells.c.reps,
        agg_cells.c.duration_ms,
        agg_cells.c.completed,
    ).where(
        agg_cells.c.grain == "d",
        agg_cells.c.dim == "",
        agg_cells.c.kind.in_(["exercise_session", "lesson_progress"]),
        agg_cells.c.community == community,
        agg_cells.c.period == day,
        agg_cells.c.kiosk_id == "",
    )
    sessions = reps = lessons = 0
    minutes = 0.0
    for kind, n, r, ms, done in conn.execute(q):
        if kind == "exercise_session":
            sessions, reps, minutes = int(n), int(r), round(int(ms) / 60000, 1)
        else:
            lessons = int(done)
    return Today(
        day=day.isoformat(),
        sessions=sessions,
        repetitions=reps,
        active_minutes=minutes,
        lessons_completed=lessons,
    )


def build_feed(conn: Connection, kiosk: str, community: str, now: datetime, today: date) -> Feed:
    """The feed for ``kiosk`` (of ``community``) at ``now``; ``today`` is the local day."""
    version = items.version(conn, community)
    challenges = [
        i.model
        for i in _current(conn, community, "challenge", now)
        if isinstance(i.model, Challenge)
    ]
    events = [
        i.model for i in _current(conn, community, "event", now) if isinstance(i.model, Event)
    ]
    counts = signup_counts(conn, community, [e.id for e in events])
    polls = [i.model for i in _current(conn, community, "poll", now) if isinstance(i.model, Poll)]
    notes = [
        i.model
        for i in _current(conn, community, "announcement", now)
        if isinstance(i.model, Announcement) and (not i.targets or kiosk in i.targets)
    ]
    teams = sorted({c.team for c in challenges if c.scope == "team" and c.team})
    return Feed(
        community=community,
        version=version,
        generated_at=now,
        today=today_totals(conn, community, today),
        challenges=with_figures(conn, challenges, community),
        events=[e.model_copy(update={"signed_up": counts.get(e.id, 0)}) for e in events],
        polls=polls,
        announcements=notes,
        feedback_topics=items.topics(conn, community),
        teams=[FeedbackTopic(id=t, title=Text(zh_CN=t, en=t)) for t in teams],
    )


def etag(feed: Feed) -> str:
    """A strong ETag from the feed's content (``generated_at`` left out)."""
    body = feed.model_dump_json(exclude={"generated_at"})
    return f'"v{feed.version}-{hashlib.sha256(body.encode()).hexdigest()[:24]}"'


def etag_matches(header: str | None, tag: str) -> bool:
    """``If-None-Match`` names ``tag`` (or ``*``); weak tags compare by their opaque part."""
    if not header:
        return False
    for part in header.split(","):
        part = part.strip()
        if part == "*" or part.removeprefix("W/") == tag:
            return True
    return False


def known_resident(conn: Connection, kiosks: Sequence[str], resident: str) -> bool:
    """Whether any kiosk of the community has sent a record of ``resident``."""
    q = (
        select(records.c.uuid)
        .where(records.c.resident == resident, records.c.kiosk_id.in_(list(kiosks)))
        .limit(1)
    )
    return conn.execute(q).first() is not None


def build_inbox(conn: Connection, community: str, resident: str, now: datetime) -> ResidentInbox:
    votes: dict[str, list[int]] = {}
    for poll_id, choices in conn.execute(
        select(poll_votes.c.poll_id, poll_votes.c.choices).where(
            poll_votes.c.community == community, poll_votes.c.resident == resident
        )
    ):
        votes[str(poll_id)] = [int(c) for c in json.loads(choices)]
    signups = [
        str(r[0])
        for r in conn.execute(
            select(event_signups.c.event_id)
            .join(community_items, community_items.c.id == event_signups.c.event_id)
            .where(
                event_signups.c.community == community,
                event_signups.c.resident == resident,
                event_signups.c.signed_up.is_(True),
                community_items.c.ends_at > items.iso(now),
            )
            .order_by(community_items.c.starts_at)
            .limit(500)
        )
    ]
    replies = []
    q = (
        select(
            feedback_replies.c.uuid,
            feedback_replies.c.reply,
            feedback_replies.c.replied_at,
            records.c.payload,
        )
        .join(
            records,
            (records.c.kiosk_id == feedback_replies.c.kiosk_id)
            & (records.c.uuid == feedback_replies.c.uuid),
        )
        .where(
            feedback_replies.c.community == community,
            feedback_replies.c.resident == resident,
            feedback_replies.c.reply != "",
            feedback_replies.c.replied_at.is_not(None),
        )
        .order_by(feedback_replies.c.replied_at.desc())
        .limit(100)
    )
    for uid, text, replied_at, payload in conn.execute(q):
        topic = str(json.loads(payload).get("topic") or "")
        replies.append(
            Reply(
                feedback=str(uid),
                topic=topic[:64],
                text=text,
                replied_at=items.from_iso(replied_at),
            )
        )
    running = {
        i.id: i.model
        for i in items.listing(
            conn, [community], "challenge", ending_after=now, starting_before=now
        )
        if isinstance(i.model, Challenge)
    }
    contributions: dict[str, float] = {}
    if running:
        for cid, amount in conn.execute(
            select(challenge_tallies.c.challenge_id, challenge_tallies.c.amount).where(
                challenge_tallies.c.resident == resident,
                challenge_tallies.c.challenge_id.in_(list(running)),
            )
        ):
            value = max(0.0, round(float(amount), 6))
            if running[str(cid)].metric == "residents_tested":
                value = 1.0 if value > 0 else 0.0  # a resident counts once
            contributions[str(cid)] = value
    return ResidentInbox(
        resident=resident,
        votes=votes,
        signups=signups,
        replies=replies,
        contributions=contributions,
        generated_at=now,
    )


def has_picture(conn: Connection, item_id: str) -> bool:
    q = select(announcement_pictures.c.item_id).where(announcement_pictures.c.item_id == item_id)
    return conn.execute(q).first() is not None
