"""Opening hours: when the kiosk is open, and when it opens next. Pure functions.

Why this module exists: a kiosk in a park or a community hall should not
glow and watch all night. Outside its opening hours the screen sleeps and
the camera is closed; a touch shows "closed, open at 6:00" (or, if the
community wants, opens it). The hours come from the config (``[hours]``):
one daily window ``open``-``close`` (a window past midnight, say 18:00-02:00,
belongs to the day it starts) and days it stays closed. No ``open`` means
always open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> time:
    m = _HHMM.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a time of day like 06:00 or 21:30")
    return time(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class OpeningHours:
    open: time | None = None
    """None: always open."""
    close: time | None = None
    closed_days: frozenset[int] = frozenset()
    """Weekdays (0 = Monday) on which the kiosk does not open."""

    @classmethod
    def parse(cls, open_: str, close: str, closed_days: Iterable[str] = ()) -> OpeningHours:
        """From config strings; raises ValueError naming the bad value."""
        if not open_ and not close:
            return cls()
        if not open_ or not close:
            raise ValueError("give both open and close (or neither: always open)")
        o, c = parse_hhmm(open_), parse_hhmm(close)
        if o == c:
            raise ValueError("open and close are the same time")
        days = set()
        for d in closed_days:
            key = d.strip().lower()[:3]
            if key not in DAYS:
                raise ValueError(f"{d!r} is not a day (use {', '.join(DAYS)})")
            days.add(DAYS.index(key))
        if len(days) == 7:
            raise ValueError("closed every day of the week")
        return cls(o, c, frozenset(days))

    @property
    def always_open(self) -> bool:
        return self.open is None

    def _window(self, day: datetime) -> tuple[datetime, datetime] | None:
        """The opening window that starts on ``day``'s date (None if closed that day)."""
        assert self.open is not None and self.close is not None
        if day.weekday() in self.closed_days:
            return None
        start = datetime.combine(day.date(), self.open, day.tzinfo)
        end = datetime.combine(day.date(), self.close, day.tzinfo)
        if end <= start:
            end += timedelta(days=1)
        return start, end

    def is_open(self, now: datetime) -> bool:
        if self.always_open:
            return True
        for back in (0, 1):  # today's window, or yesterday's running past midnight
            w = self._window(now - timedelta(days=back))
            if w is not None and w[0] <= now < w[1]:
                return True
        return False

    def next_opening(self, now: datetime) -> datetime | None:
        """When it opens next (None if always open). If open now: the next opening after this one."""
        if self.always_open:
            return None
        for ahead in range(0, 8):
            w = self._window(now + timedelta(days=ahead))
            if w is not None and w[0] > now:
                return w[0]
        return None  # pragma: no cover - parse() refuses "closed every day"
