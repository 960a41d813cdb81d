"""What the Community screens show, computed without Kivy from the feed, the store and the inbox.

Why this module exists: the screens must stay thin and the rules testable without a
window: which challenges run and how far they are (``sync.community_progress``), what
the signed-in resident added, whether they are signed up for an event, which vote of
theirs counts (their own, or the first one the server kept when it refused a second
one as "already voted"), the replies to their feedback, and how old the copy is. It
also makes the records a resident's taps create (``poll_vote``, ``event_signup``,
``feedback``); guests may send feedback but never vote or sign up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kiosk.i18n import N_, tr
from kiosk.session.record import local_utc_offset_min
from sync.community import Challenge, Event, Feed, Poll, Reply
from sync.community_client import CachedFeed, InboxCopy
from sync.community_progress import (
    ChallengeProgress,
    challenge_progress,
    counted_residents,
    own_contribution,
    own_records_not_in_inbox,
    pending_records,
)
from sync.records import GUEST, EventSignup, Feedback, PollVote
from sync.store import Store

METRIC_UNITS = {
    "repetitions": N_("{n} repetitions"),
    "sessions": N_("{n} sessions"),
    "active_minutes": N_("{n} minutes"),
    "lessons_completed": N_("{n} lessons"),
    "fitness_tests": N_("{n} tests"),
    "residents_tested": N_("{n} residents"),
}
STALE_AFTER_S = 15 * 60
"""A copy older than this is shown with its age."""


@dataclass(frozen=True)
class MyVote:
    choices: tuple[int, ...]
    from_server: bool
    """True: the vote the server kept (made on another kiosk, or before a refused one)."""
    refused: bool = False
    """True: the vote made here was refused as a second vote."""


@dataclass(frozen=True)
class EventState:
    event: Event
    signed_up: bool
    full: bool
    refused: bool = False
    """The sign-up made here was refused by the server (the event was full)."""


@dataclass
class CommunityView:
    """Everything the Community screen shows for one resident (or a guest)."""

    feed: Feed | None
    age_s: float | None
    offline: bool
    challenges: list[ChallengeProgress] = field(default_factory=list)
    contributions: dict[str, float] = field(default_factory=dict)
    events: list[EventState] = field(default_factory=list)
    polls: list[Poll] = field(default_factory=list)
    votes: dict[str, MyVote] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    bests: dict[str, float] = field(default_factory=dict)
    """challenge id -> the resident's best single record toward it on this kiosk."""


def amount_text(challenge: Challenge, value: float, lang: str) -> str:
    return tr(METRIC_UNITS[challenge.metric], lang, n=f"{value:,.0f}")


def age_text(age_s: float, lang: str) -> str:
    """"Updated 3 days ago" in ``lang``."""
    minutes = int(age_s // 60)
    if minutes < 2:
        return tr(N_("Updated just now"), lang)
    if minutes < 120:
        return tr(N_("Updated {n} minutes ago"), lang, n=minutes)
    hours = minutes // 60
    if hours < 48:
        return tr(N_("Updated {n} hours ago"), lang, n=hours)
    return tr(N_("Updated {n} days ago"), lang, n=hours // 24)


def running(feed: Feed, now: datetime) -> Feed:
    """The feed with only what runs now (events until they end, polls while open)."""
    return feed.model_copy(update={
        "challenges": [c for c in feed.challenges if c.running(now)],
        "events": sorted((e for e in feed.events if now < e.ends_at), key=lambda e: e.starts_at),
        "polls": [p for p in feed.polls if p.running(now)],
        "announcements": [a for a in feed.announcements if a.running(now)],
    })


def build_view(cached: CachedFeed | None, store: Store | None, resident: str,
               inbox: InboxCopy | None, acked: frozenset[str], kiosk_id: str,
               team_of: Mapping[str, str] | None = None, offline: bool = False,
               now: datetime | None = None) -> CommunityView:
    """The view for ``resident`` ("" for a guest); runs on the store's thread."""
    now = now or datetime.now(UTC)
    if cached is None:
        return CommunityView(feed=None, age_s=None, offline=offline)
    feed = running(cached.feed, now)
    view = CommunityView(feed=feed, age_s=cached.age_s(now), offline=offline, polls=feed.polls)
    if store is None:
        view.challenges = challenge_progress(feed.challenges, [], team_of)
        return view
    pending = pending_records(store, acked)
    counted: dict[str, set[str]] = {}
    if any(c.metric == "residents_tested" for c in feed.challenges):
        waiting = {r.key for r in pending}
        synced = [e for e in store.entries_of_kind("fitness_test") if e.uuid not in waiting]
        for c in feed.challenges:
            counted[c.id] = counted_residents(c, synced, kiosk_id, team_of)
    view.challenges = challenge_progress(feed.challenges, pending, team_of, counted)
    signups_here: dict[str, EventSignup] = {}
    refused = store.rejected()
    if resident:
        seen = inbox.seen if inbox is not None else frozenset(store.synced_uuids_of(resident))
        mine = own_records_not_in_inbox(store, resident, seen)
        base = inbox.inbox.contributions if inbox is not None else {}
        for c in feed.challenges:
            # without an inbox (offline) only what this kiosk has not synced yet is known
            view.contributions[c.id] = own_contribution(c, base.get(c.id, 0.0), mine, team_of)
            view.bests[c.id] = _best(c, store, resident, team_of)
        view.votes = _votes(store, resident, inbox, refused)
        for e in store.get_many(x.uuid for x in store.entries(resident, ["event_signup"])):
            if isinstance(e, EventSignup):
                old = signups_here.get(e.event_id)
                if old is None or e.decided_at >= old.decided_at:
                    signups_here[e.event_id] = e
        view.replies = sorted(inbox.inbox.replies, key=lambda r: r.replied_at,
                              reverse=True) if inbox is not None else []
    server_signups = set(inbox.inbox.signups) if inbox is not None else set()
    for ev in feed.events:
        local = signups_here.get(ev.id)
        was_refused = local is not None and local.key in refused
        if local is not None and not was_refused:
            signed = local.action == "sign_up"
        else:
            signed = ev.id in server_signups
        full = ev.capacity is not None and ev.signed_up >= ev.capacity and not signed
        view.events.append(EventState(ev, signed, full, was_refused))
    return view


def _best(challenge: Challenge, store: Store, resident: str,
          team_of: Mapping[str, str] | None) -> float:
    """The resident's best single record toward ``challenge`` on this kiosk (encouragement:
    a personal best, never a rank)."""
    from sync.community import counts_toward

    if challenge.metric not in ("repetitions", "active_minutes"):
        return 0.0
    entries = store.entries(resident, ["exercise_session"])
    records = store.get_many(e.uuid for e in entries[-200:])
    return max((counts_toward(challenge, r, dict(team_of or {})) for r in records), default=0.0)


def _votes(store: Store, resident: str, inbox: InboxCopy | None,
           refused: Mapping[str, str]) -> dict[str, MyVote]:
    out: dict[str, MyVote] = {}
    server = inbox.inbox.votes if inbox is not None else {}
    for poll_id, choices in server.items():
        out[poll_id] = MyVote(tuple(choices), from_server=True)
    local = [r for r in store.get_many(e.uuid for e in store.entries(resident, ["poll_vote"]))
             if isinstance(r, PollVote)]
    local.sort(key=lambda r: r.voted_at)
    for vote in local:
        if vote.key in refused:
            kept = server.get(vote.poll_id)
            if kept is not None:
                out[vote.poll_id] = MyVote(tuple(kept), from_server=True, refused=True)
            elif vote.poll_id not in out:
                out[vote.poll_id] = MyVote((), from_server=True, refused=True)
        elif vote.poll_id not in out:
            out[vote.poll_id] = MyVote(tuple(vote.choices), from_server=False)
    return out


# --- the records a resident's taps make -----------------------------------------------------
def vote_record(kiosk_id: str, resident: str, poll: Poll, choices: list[int]) -> PollVote:
    """A vote; ``ValueError`` for a guest or choices the poll does not allow."""
    if not resident or resident == GUEST:
        raise ValueError("a guest cannot vote")
    picked = sorted(set(choices))
    if not picked or any(not 0 <= c < len(poll.choices) for c in picked):
        raise ValueError("no valid choice")
    limit = poll.max_choices if poll.multiple else 1
    if len(picked) > limit:
        raise ValueError(f"at most {limit} choices")
    now = datetime.now(UTC)
    return PollVote(kiosk_id=kiosk_id, resident=resident, poll_id=poll.id, choices=picked,
                    voted_at=now, utc_offset_min=local_utc_offset_min(now))


def signup_record(kiosk_id: str, resident: str, event: Event, sign_up: bool) -> EventSignup:
    if not resident or resident == GUEST:
        raise ValueError("a guest cannot sign up")
    now = datetime.now(UTC)
    return EventSignup(kiosk_id=kiosk_id, resident=resident, event_id=event.id,
                       action="sign_up" if sign_up else "cancel", decided_at=now,
                       utc_offset_min=local_utc_offset_min(now))


def feedback_record(kiosk_id: str, resident: str, topic: str, rating: int,
                    words: str = "") -> Feedback:
    now = datetime.now(UTC)
    return Feedback(kiosk_id=kiosk_id, resident=resident or GUEST, topic=topic[:64],
                    rating=rating, text=words.strip()[:2000], created_at=now,
                    utc_offset_min=local_utc_offset_min(now))
