"""A resident's recent sessions as lines of text, read from the store, free of Kivy.

Why this module exists: the My records screen must never wait for the disk,
so the reading runs on the store's thread (``StoreService.query_async``) and
only the finished lines come back to the UI thread; keeping it a plain
function also lets it be tested without a window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from kiosk.i18n import N_, text, tr
from sync.records import ExerciseSession
from sync.store import Store

RECENT = 30


def history_lines(store: Store, resident: str, lang: str,
                  titles: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The resident's last ``RECENT`` exercise sessions, newest first, one line each."""
    lines = []
    for rec in store.recent("exercise_session", limit=RECENT, resident=resident):
        if not isinstance(rec, ExerciseSession):
            continue
        when = rec.ended_at + timedelta(minutes=rec.utc_offset_min)
        name = text(dict(titles.get(rec.exercise, {"en": rec.exercise})), lang)
        unit = N_("{n} seconds") if rec.unit == "s" else N_("{n} times")
        lines.append(tr("{when}  {exercise}  {amount}", lang,
                        when=when.strftime("%Y-%m-%d %H:%M"), exercise=name,
                        amount=tr(unit, lang, n=int(rec.value))))
    return lines
