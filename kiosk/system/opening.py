"""Open or closed, right now: the screen and the camera follow the opening hours.

Why this module exists: :mod:`kiosk.system.hours` says when the kiosk is
open; something must act on it while the app runs, and that logic should be
testable without a window. :class:`OpeningController` is fed the time (its
``now`` function, replaceable so tests control the clock) and the touches,
and switches the screen (:mod:`kiosk.system.screen_power`) and the camera
(a :class:`Camera`, the vision service) on and off:

- open: screen awake (no blanking), camera allowed;
- closing time: once nobody is using the kiosk (a resident is never cut off
  mid-session, a maintainer never thrown out), the camera is closed and the screen put to sleep (``asleep``);
- a touch on the sleeping kiosk wakes the screen and shows "closed, open at
  6:00" for ``notice_s`` (``notice``), then it sleeps again; or, with
  ``touch_opens``, the touch opens the kiosk for one visit (``opened``),
  after which it sleeps again.

The app draws the state (a black attract screen when asleep, the notice in
large type) and asks :attr:`visits_allowed` before starting a visit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from kiosk.i18n import N_, tr
from kiosk.system.hours import OpeningHours
from kiosk.system.screen_power import ScreenPower

log = logging.getLogger(__name__)


class Camera(Protocol):
    """What the controller needs of the vision service."""

    def close_camera(self) -> None:
        """Stop any source and the pose worker; refuse to open one until ``open_camera``."""
        ...

    def open_camera(self) -> None: ...


CLOSED = N_("Closed now")
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))


def closed_notice(next_open: datetime | None, now: datetime, lang: str) -> str:
    """The second line under "Closed now": when it opens, said the way people say it."""
    if next_open is None:
        return ""
    at = f"{next_open.hour}:{next_open.minute:02d}"
    days = (next_open.date() - now.date()).days
    if days <= 0:
        return tr("We open at {time}", lang, time=at)
    if days == 1:
        return tr("We open tomorrow at {time}", lang, time=at)
    return tr("We open on {day} at {time}", lang, day=tr(WEEKDAYS[next_open.weekday()], lang),
              time=at)


class OpenState(StrEnum):
    OPEN = "open"
    ASLEEP = "asleep"
    """Closed: screen off (or black), camera closed."""
    NOTICE = "notice"
    """Closed, woken by a touch: the "closed, open at ..." notice shows."""
    OPENED = "opened"
    """Closed hours, but a touch opened the kiosk for one visit (``touch_opens``)."""


def local_now() -> datetime:
    """The local wall-clock time (naive), which the opening hours are written in."""
    return datetime.now()


class OpeningController:
    def __init__(self, hours: OpeningHours, screen: ScreenPower, camera: Camera | None = None,
                 notice_s: float = 20.0, touch_opens: bool = False,
                 now: Callable[[], datetime] = local_now,
                 on_change: Callable[[OpenState], None] | None = None) -> None:
        self.hours = hours
        self.screen = screen
        self.camera = camera
        self.notice_s = notice_s
        self.touch_opens = touch_opens
        self.now = now
        self.on_change = on_change
        self.state = OpenState.OPEN
        self._until = 0.0
        """Monotonic time the notice (or the grace after opening by touch) lasts until."""
        self._screen_awake = True

    # ----- what the app reads -----------------------------------------------------------
    @property
    def visits_allowed(self) -> bool:
        return self.state in (OpenState.OPEN, OpenState.OPENED)

    @property
    def asleep(self) -> bool:
        return self.state is OpenState.ASLEEP

    def next_opening(self) -> datetime | None:
        """When the kiosk opens next (None when always open)."""
        return self.hours.next_opening(self.now())

    # ----- inputs -------------------------------------------------------------------------
    def start(self, mono: float) -> None:
        """At start-up: keep the screen awake if open, else go to sleep at once."""
        if self.hours.is_open(self.now()):
            self.screen.keep_awake()
        self.update(mono, in_use=False)

    def update(self, mono: float, in_use: bool) -> None:
        """Called every second or so with whether someone is using the kiosk (a visit, the
        maintainer pages)."""
        if self.hours.is_open(self.now()):
            if self.state is not OpenState.OPEN:
                log.info("opening hours began: the kiosk is open")
                self._wake_screen()
                if self.camera is not None:
                    self.camera.open_camera()
                self._set(OpenState.OPEN)
            return
        if self.state is OpenState.OPEN and not in_use:
            nxt = self.next_opening()
            log.info("outside opening hours: screen off and camera closed (opens %s)",
                     nxt.strftime("%a %H:%M") if nxt else "?")
            self._sleep()
        elif self.state is OpenState.NOTICE and mono >= self._until:
            self._sleep()
        elif self.state is OpenState.OPENED and not in_use and mono >= self._until:
            log.info("the visit outside opening hours ended: back to sleep")
            self._sleep()

    def touch(self, mono: float) -> bool:
        """A touch (or a card) while closed. True when it only woke the screen (the app
        must not pass it on); False when it may go on to the screen under it."""
        if self.state in (OpenState.OPEN, OpenState.OPENED):
            return False
        was_asleep = self.state is OpenState.ASLEEP
        self._wake_screen()
        if self.touch_opens:
            log.info("touched outside opening hours: open for this visit")
            if self.camera is not None:
                self.camera.open_camera()
            self._until = mono + self.notice_s
            self._set(OpenState.OPENED)
            return False
        self._until = mono + self.notice_s
        if was_asleep:
            log.info("touched outside opening hours: showing when the kiosk opens")
            self._set(OpenState.NOTICE)
        return was_asleep

    # ----- internals -------------------------------------------------------------------------
    def _sleep(self) -> None:
        if self.camera is not None:
            self.camera.close_camera()
        if self._screen_awake:
            self.screen.sleep()
            self._screen_awake = False
        self._set(OpenState.ASLEEP)

    def _wake_screen(self) -> None:
        if not self._screen_awake:
            self.screen.wake()
            self._screen_awake = True

    def _set(self, state: OpenState) -> None:
        if state is self.state:
            return
        self.state = state
        if self.on_change is not None:
            self.on_change(state)
