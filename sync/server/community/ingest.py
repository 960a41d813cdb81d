"""The community rules, applied to records in the ingest transaction that stores them.

Why this module exists: a vote, a sign-up and a session must change what the
community sees exactly when the record is stored, never twice and never half: a
retried batch, two kiosks posting at once, or a record updated later must all
leave the same figures. So the records upsert (``sync.server.db``) calls this
module inside its own transaction:

* :func:`judge` decides, before anything is written, which ``poll_vote`` and
  ``event_signup`` records are refused and why (the record is then not stored and
  its result is ``rejected`` with that reason, so the kiosk stops resending it):
  one vote per resident per poll across the community (the first stored wins: the
  primary key of ``poll_votes`` decides between two kiosks racing), an unknown or
  closed poll, too many choices or a choice out of range; a sign-up for an unknown
  event, an event that is over, or beyond the capacity (``event full``; the
  event's row is locked while places are counted, and a cancel frees a place);
* :func:`tally` adds what each stored record contributes to each challenge of the
  community (:func:`sync.community.counts_toward`, the rule the kiosks use too) to
  ``challenge_tallies``, and takes away what a replaced version contributed.

Either bumps the community's feed version when something kiosks show moved.
:func:`recount` rebuilds one challenge's tallies from the stored records (after a
manager creates or edits it).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from sync.community import Challenge, Event, Poll, counts_toward
from sync.records import (
    GUEST,
    EventSignup,
    PollVote,
    Record,
    RecordError,
    ResidentProfile,
    parse_record,
)
from sync.server.community import items
from sync.server.tables import challenge_tallies, event_signups, poll_votes, records

log = logging.getLogger(__name__)

COUNTED_KINDS = frozenset({"exercise_session", "lesson_progress", "fitness_test"})
"""Kinds of record that may add to a challenge."""
METRIC_KINDS = {
    "repetitions": "exercise_session",
    "sessions": "exercise_session",
    "active_minutes": "exercise_session",
    "lessons_completed": "lesson_progress",
    "fitness_tests": "fitness_test",
    "residents_tested": "fitness_test",
}

AGE_GROUP_NAMES = {"under_60": "<60", "95_plus": "95+"}
"""Age groups of ``sync.records`` as the pages name them (``record_facts.AGE_GROUPS``)."""

AgeOf = Callable[[Record], str]


def _insert(conn: Connection) -> Callable[..., Any]:
    """The dialect's ``insert`` (with ``on_conflict_*``)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as lite_insert

    return lite_insert


def newest_profiles(
    conn: Connection, kiosks: Sequence[str], residents: Iterable[str], batch: Iterable[Record] = ()
) -> dict[str, ResidentProfile]:
    """The newest stored (or in ``batch``) profile of each of ``residents`` in ``kiosks``."""
    wanted = sorted({r for r in residents if r != GUEST})
    out: dict[str, ResidentProfile] = {}

    def offer(p: ResidentProfile) -> None:
        old = out.get(p.resident)
        if old is None or p.updated_at >= old.updated_at:
            out[p.resident] = p

    for i in range(0, len(wanted), 500):
        q = select(records.c.payload).where(
            records.c.resident.in_(wanted[i : i + 500]),
            records.c.kind == "resident_profile",
            records.c.kiosk_id.in_(list(kiosks)),
        )
        for (payload,) in conn.execute(q):
            try:
                rec = parse_record(json.loads(payload))
            except (RecordError, ValueError):
                continue
            if isinstance(rec, ResidentProfile):
                offer(rec)
    for rec in batch:
        if isinstance(rec, ResidentProfile) and rec.resident in wanted:
            offer(rec)
    return out


def age_group(profile: ResidentProfile | None) -> str:
    if profile is None or profile.age_group is None:
        return "unknown"
    return AGE_GROUP_NAMES.get(profile.age_group, profile.age_group)


def judge(
    conn: Connection,
    kiosk: str,
    new: Sequence[Record],
    changed: Sequence[Record],
) -> tuple[dict[str, str], bool]:
    """Apply votes and sign-ups in batch order; returns uuid -> reason for the refused ones,
    and whether what kiosks show moved (the caller bumps the version: :func:`finish`)."""
    votes = [r for r in (*new, *changed) if isinstance(r, PollVote)]
    signups = [r for r in (*new, *changed) if isinstance(r, EventSignup)]
    if not votes and not signups:
        return {}, False
    community = items.community_of(conn, kiosk) or ""
    refused: dict[str, str] = {}
    moved = False
    changed_keys = {r.key for r in changed}
    if votes:
        members = items.community_kiosks(conn, community)
        profiles = newest_profiles(conn, members, [v.resident for v in votes], new)
        # (poll, resident) order, stable (the batch's order for one resident's votes): racing
        # batches take the primary key's locks in one order and cannot deadlock
        for vote in sorted(votes, key=lambda r: (r.poll_id, r.resident)):
            if vote.key in changed_keys:
                refused[vote.key] = "a vote cannot be changed"
                continue
            reason = _vote(conn, community, vote, profiles.get(vote.resident))
            if reason:
                refused[vote.key] = reason
    if signups:
        # events in id order (a batch's order within one event): concurrent batches lock
        # event rows in the same order, so they cannot deadlock on PostgreSQL
        for signup in sorted(signups, key=lambda r: r.event_id):
            outcome = _signup(conn, community, signup)
            if outcome is True:
                moved = True
            elif isinstance(outcome, str):
                refused[signup.key] = outcome
    return refused, moved


def _vote(
    conn: Connection, community: str, vote: PollVote, profile: ResidentProfile | None
) -> str | None:
    found = items.get(conn, vote.poll_id)
    if found is None or found.kind != "poll" or found.community != community:
        return f"unknown poll {vote.poll_id!r} in this community"
    poll = found.model
    assert isinstance(poll, Poll)
    if vote.voted_at >= poll.ends_at:
        return f"poll {vote.poll_id!r} is closed"
    if vote.voted_at < poll.starts_at - timedelta(hours=1):
        return f"poll {vote.poll_id!r} had not opened when this vote was made"
    limit = poll.max_choices if poll.multiple else 1
    if len(vote.choices) > limit:
        return f"too many choices: {len(vote.choices)}, this poll allows {limit}"
    out_of_range = [c for c in vote.choices if c >= len(poll.choices)]
    if out_of_range:
        return f"choice {out_of_range[0]} out of range: the poll has {len(poll.choices)} choices"
    stmt = _insert(conn)(poll_votes).values(
        community=community,
        poll_id=vote.poll_id,
        resident=vote.resident,
        kiosk_id=vote.kiosk_id,
        uuid=vote.key,
        choices=json.dumps(list(vote.choices)),
        voted_at=items.iso(vote.voted_at),
        local_day=vote.local_day(),
        age_group=age_group(profile),
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["community", "poll_id", "resident"])
    if conn.execute(stmt.returning(poll_votes.c.uuid)).first() is not None:
        return None
    kept = conn.execute(
        select(poll_votes.c.uuid, poll_votes.c.kiosk_id).where(
            poll_votes.c.community == community,
            poll_votes.c.poll_id == vote.poll_id,
            poll_votes.c.resident == vote.resident,
        )
    ).first()
    if kept is not None and (kept[0], kept[1]) == (vote.key, vote.kiosk_id):
        return None  # this very record, stored by a retry that raced this one
    return "already voted"


def _signup(conn: Connection, community: str, signup: EventSignup) -> bool | str:
    """True: the sign-ups changed; False: accepted, nothing changed; a str: refused."""
    found = items.get(conn, signup.event_id, for_update=True)  # places are counted under lock
    if found is None or found.kind != "event" or found.community != community:
        return f"unknown event {signup.event_id!r} in this community"
    event = found.model
    assert isinstance(event, Event)
    key = and_(
        event_signups.c.community == community,
        event_signups.c.event_id == signup.event_id,
        event_signups.c.resident == signup.resident,
    )
    row = conn.execute(
        select(event_signups.c.signed_up, event_signups.c.decided_at).where(key)
    ).first()
    when = items.iso(signup.decided_at)
    if row is not None and row[1] > when:
        return False  # an older decision than the one kept: stored, changes nothing
    want = signup.action == "sign_up"
    if want and not (row is not None and row[0]):
        if signup.decided_at >= event.ends_at:
            return f"event {signup.event_id!r} is over"
        if event.capacity is not None:
            taken = conn.execute(
                select(func.count())
                .select_from(event_signups)
                .where(
                    event_signups.c.community == community,
                    event_signups.c.event_id == signup.event_id,
                    event_signups.c.signed_up.is_(True),
                )
            ).scalar_one()
            if taken >= event.capacity:
                return "event full"
    values = {
        "kiosk_id": signup.kiosk_id,
        "uuid": signup.key,
        "signed_up": want,
        "decided_at": when,
    }
    if row is None:
        conn.execute(
            event_signups.insert().values(
                community=community, event_id=signup.event_id, resident=signup.resident, **values
            )
        )
        return True
    conn.execute(update(event_signups).where(key).values(values))
    return bool(row[0]) != want


# --- challenges -------------------------------------------------------------------------


def _teams(profiles: dict[str, ResidentProfile]) -> dict[str, str]:
    return {r: p.team for r, p in profiles.items() if p.team}


def tally(
    conn: Connection, kiosk: str, stored: Sequence[Record], replaced: Sequence[str]
) -> bool:
    """Add the stored records' contributions to the community's challenges; take away
    the replaced versions' (their stored payloads). True when a challenge moved."""
    old: list[Record] = []
    for payload in replaced:
        try:
            old.append(parse_record(json.loads(payload)))
        except (RecordError, ValueError) as exc:
            log.warning("community: the replaced version of a record is unreadable: %s", exc)
    added = [r for r in stored if r.kind in COUNTED_KINDS]
    removed = [r for r in old if r.kind in COUNTED_KINDS]
    if not added and not removed:
        return False
    community = items.community_of(conn, kiosk) or ""
    times = [r.timestamp() for r in (*added, *removed)]
    found = items.listing(
        conn, [community], "challenge", ending_after=min(times), starting_before=max(times)
    )
    challenges = [c.model for c in found if isinstance(c.model, Challenge)]
    if not challenges:
        return False
    team_of: dict[str, str] = {}
    if any(c.scope == "team" for c in challenges):
        members = items.community_kiosks(conn, community)
        residents = {r.resident for r in (*added, *removed)}
        team_of = _teams(newest_profiles(conn, members, residents, stored))
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for sign, recs in ((1, added), (-1, removed)):
        for rec in recs:
            for ch in challenges:
                v = counts_toward(ch, rec, team_of)
                if v:
                    acc = sums[(ch.id, rec.resident)]
                    acc[0] += sign * v
                    acc[1] += sign
    return _write(conn, sums)


def finish(conn: Connection, kiosk: str) -> None:
    """The batch moved what kiosks show: bump the feed version, the transaction's last lock
    (votes, sign-ups, tallies and aggregates are all written before it), so concurrent
    ingests and manager edits take their locks in one order."""
    items.bump_version(conn, items.community_of(conn, kiosk) or "")


def _write(conn: Connection, sums: dict[tuple[str, str], list[float]]) -> bool:
    rows = [
        {"challenge_id": c, "resident": r, "amount": a, "records": int(n)}
        for (c, r), (a, n) in sorted(sums.items())
        if a or n
    ]
    if not rows:
        return False
    ins = _insert(conn)(challenge_tallies)
    stmt = ins.on_conflict_do_update(
        index_elements=["challenge_id", "resident"],
        set_={
            "amount": challenge_tallies.c.amount + ins.excluded.amount,
            "records": challenge_tallies.c.records + ins.excluded.records,
        },
    )
    conn.execute(stmt, rows)  # sorted: concurrent ingests lock rows in the same order
    return True


def recount(conn: Connection, challenge: Challenge, community: str) -> int:
    """Rebuild ``challenge``'s tallies from the stored records; returns records counted."""
    conn.execute(challenge_tallies.delete().where(challenge_tallies.c.challenge_id == challenge.id))
    members = items.community_kiosks(conn, community)
    kind = METRIC_KINDS[challenge.metric]
    first = (challenge.starts_at - timedelta(days=1)).date()
    last = (challenge.ends_at + timedelta(days=1)).date()
    q = select(records.c.payload).where(
        records.c.kind == kind,
        records.c.local_day >= first,
        records.c.local_day <= last,
        records.c.kiosk_id.in_(members),
    )
    recs: list[Record] = []
    for (payload,) in conn.execute(q):
        try:
            recs.append(parse_record(json.loads(payload)))
        except (RecordError, ValueError):
            continue
    team_of: dict[str, str] = {}
    if challenge.scope == "team":
        team_of = _teams(newest_profiles(conn, members, {r.resident for r in recs}))
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])
    counted = 0
    for rec in recs:
        v = counts_toward(challenge, rec, team_of)
        if v:
            acc = sums[(challenge.id, rec.resident)]
            acc[0] += v
            acc[1] += 1
            counted += 1
    _write(conn, sums)
    return counted


def erase(conn: Connection, community: str, residents: Iterable[str]) -> None:
    """A resident's data was deleted: their votes, sign-ups and tallies go too."""
    names = sorted(set(residents))
    if not names:
        return
    conn.execute(
        poll_votes.delete().where(
            poll_votes.c.community == community, poll_votes.c.resident.in_(names)
        )
    )
    conn.execute(
        event_signups.delete().where(
            event_signups.c.community == community, event_signups.c.resident.in_(names)
        )
    )
    ids = select(items.community_items.c.id).where(items.community_items.c.community == community)
    conn.execute(
        challenge_tallies.delete().where(
            challenge_tallies.c.resident.in_(names), challenge_tallies.c.challenge_id.in_(ids)
        )
    )
    items.bump_version(conn, community)
