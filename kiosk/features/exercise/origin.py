"""A coached session started from elsewhere: where to return and who hears the result.

Why this module exists: a lesson's practice step ("learn, then move") opens
the coaching screen with the lesson's exercise and target, and the resident
must come back to the lesson after the summary, with the result recorded in
the lesson's progress. The coaching and summary screens carry an ``Origin``
instead of knowing about lessons. Kivy-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.i18n import N_
from kiosk.session.flow import SessionResult


@dataclass(frozen=True)
class Origin:
    screen: str
    """The screen the summary's Done button (and an early stop) returns to."""
    on_result: Callable[[SessionResult], None]
    """Called once with the session's result (saved or not) when it ends with one."""
    done_label: str = N_("Back to the lesson")
    """The summary's Done button (a msgid)."""
