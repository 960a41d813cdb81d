"""The community's slides for the attract loop (Kivy-free): today's total, the running
challenges with progress bars, the next events and the current announcements.

Called by the shell off the UI thread (``kiosk.features.slides``); reads the last feed
copy and this kiosk's pending records, so the numbers match the Community screen.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from kiosk.features.community.model import STALE_AFTER_S, age_text, amount_text, build_view
from kiosk.features.slides import Bar, Slide
from kiosk.i18n import N_, tr
from sync.community import Feed
from sync.community_progress import pending_records
from sync.records import ExerciseSession, LessonProgress, Record

if TYPE_CHECKING:
    from kiosk.services.base import Services

log = logging.getLogger(__name__)

MAX_EVENTS = 3


def when_text(at: datetime, lang: str) -> str:
    local = at.astimezone()
    if lang == "zh_CN":
        weekday = "一二三四五六日"[local.weekday()]
        return f"{local.month}月{local.day}日 星期{weekday} {local.hour:02d}:{local.minute:02d}"
    return local.strftime("%a %d %b %H:%M")


def today_totals(feed: Feed, pending: list[Record], today: date) -> tuple[int, int, int]:
    """(sessions, repetitions, lessons completed) today: the server's plus this kiosk's
    pending records of today (never both: pending records are not in the feed)."""
    t = feed.today
    sessions = t.sessions if t and t.day == today.isoformat() else 0
    reps = t.repetitions if t and t.day == today.isoformat() else 0
    lessons = t.lessons_completed if t and t.day == today.isoformat() else 0
    for r in pending:
        if r.local_day() != today:
            continue
        if isinstance(r, ExerciseSession):
            sessions += 1
            reps += r.repetitions
        elif isinstance(r, LessonProgress) and r.completed:
            lessons += 1
    return sessions, reps, lessons


def slides(services: Services, lang: str, now: datetime | None = None) -> list[Slide]:
    sync = services.sync
    if sync is None:
        return []
    cached = sync.community.current()
    if cached is None:
        return []
    now = now or datetime.now(UTC)
    store = services.store.store if services.store is not None and services.store.available \
        else None
    residents = services.residents
    teams = residents.teams() if residents is not None else {}
    acked = sync.community.acked_since_feed()
    view = build_view(cached, store, "", None, acked, sync.cfg.kiosk.id, teams, now=now)
    feed = view.feed
    assert feed is not None
    note = age_text(cached.age_s(now), lang) if cached.age_s(now) > STALE_AFTER_S else ""
    out: list[Slide] = []
    pending = pending_records(store, acked) if store is not None else []
    sessions, reps, lessons = today_totals(feed, pending, now.astimezone().date())
    if sessions or lessons:
        lines = [tr(N_("{n} exercise sessions"), lang, n=sessions),
                 tr(N_("{n} repetitions"), lang, n=f"{reps:,}")]
        if lessons:
            lines.append(tr(N_("{n} lessons"), lang, n=lessons))
        out.append(Slide("today", tr(N_("Today in our community"), lang), tuple(lines),
                         note=note))
    for p in view.challenges:
        c = p.challenge
        bar = Bar(tr(N_("Community challenges"), lang), p.fraction,
                  f"{amount_text(c, p.shown, lang)} / {amount_text(c, c.goal, lang)}")
        about = (c.description.get(lang),) if c.description is not None else ()
        out.append(Slide(f"challenge-{c.id}", c.title.get(lang), about, bars=(bar,), note=note))
    upcoming = [e.event for e in view.events][:MAX_EVENTS]
    if upcoming:
        lines = [f"{when_text(e.starts_at, lang)}  {e.title.get(lang)} · {e.place.get(lang)}"
                 for e in upcoming]
        out.append(Slide("events", tr(N_("Coming up"), lang), tuple(lines), note=note))
    for a in feed.announcements:
        picture = sync.community.picture(a.id) if a.picture else None
        out.append(Slide(f"announcement-{a.id}", a.title.get(lang), (a.body.get(lang),),
                         picture=picture, note=note))
    return out
