"""Settings of the manager pages (sessions, login throttling, fleet thresholds, time zone).

Why this module exists: the app factory, the CLI, the tests and the bench
build the pages with different clocks and thresholds; one frozen dataclass
carries them, with defaults meant for production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebSettings:
    session_ttl_s: float = 12 * 3600
    """A login lasts this long, then the manager logs in again."""
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    """``auto``: the session cookie is Secure when the request came over HTTPS."""
    account_max_failures: int = 5
    """Wrong passwords for one account within ``failure_window_s`` before it is locked."""
    address_max_failures: int = 20
    """Wrong passwords from one address within ``failure_window_s`` before it is locked."""
    failure_window_s: float = 15 * 60
    lockout_s: float = 15 * 60
    stale_after_s: float = 30 * 60
    """A kiosk silent longer than this is marked stale on the fleet page."""
    timezone: str = DEFAULT_TIMEZONE
    """The community's time zone: what "today" and "this month" mean on the pages."""
    clock: Callable[[], datetime] = field(default=utc_now)
    """The current time (tests pin it)."""

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def today(self) -> datetime:
        """The current local time in the community's time zone."""
        return self.clock().astimezone(self.tz)
