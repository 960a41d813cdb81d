"""Test-only ways into a running kiosk process, switched on by ``KIOSK_DEBUG_HOOKS=1``.

Why this module exists: the self-healing tests and the restart bench must do
to the real app (``kiosk run`` under the supervisor or systemd, in its own
process) what happens in the field: a resident in the middle of a session
when the process dies, and a main loop that stops turning. Signals need
nothing from the screen:

- ``SIGUSR2`` starts a session as if a resident had tapped through to it:
  ``KIOSK_DEBUG_SESSION`` = ``"FEATURE ARGS..."`` names the feature, whose
  ``debug.start_session(app, ARGS)`` does it (the shell knows no feature by
  name); e.g. ``"exercise squat 20 sim:squat?reps=20"``;
- ``SIGUSR1`` blocks the Kivy main loop for good, as a callback that never
  returns would: the watchdog pings stop, and the service manager must kill
  and restart the app.

The installed unit never sets the variable; without it nothing is installed.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import time
from types import FrameType
from typing import TYPE_CHECKING

from kivy.clock import Clock

if TYPE_CHECKING:
    from kiosk.shell.app import KioskApp

log = logging.getLogger(__name__)

ENV = "KIOSK_DEBUG_HOOKS"
SESSION_ENV = "KIOSK_DEBUG_SESSION"


def install(app: KioskApp) -> bool:
    """Install the signal handlers when ``KIOSK_DEBUG_HOOKS=1``; True if installed."""
    if os.environ.get(ENV) != "1":
        return False

    def freeze(_sig: int, _frame: FrameType | None) -> None:
        Clock.schedule_once(lambda _dt: _block_forever(), 0)

    def session(_sig: int, _frame: FrameType | None) -> None:
        Clock.schedule_once(lambda _dt: start_session(app, os.environ.get(SESSION_ENV, "")), 0)

    signal.signal(signal.SIGUSR1, freeze)
    signal.signal(signal.SIGUSR2, session)
    log.warning("debug hooks on (%s=1): SIGUSR2 starts a session, SIGUSR1 freezes the UI", ENV)
    return True


def _block_forever() -> None:
    log.warning("debug hook: blocking the main loop")
    while True:
        time.sleep(3600)


def start_session(app: KioskApp, spec_text: str) -> None:
    """``"FEATURE ARGS..."``: the feature's ``debug.start_session(app, ARGS)`` starts it."""
    words = spec_text.split()
    if not words:
        log.error("debug hook: %s names no feature", SESSION_ENV)
        return
    feature = app.feature(words[0])
    if feature is None:
        log.error("debug hook: no feature %r", words[0])
        return
    try:
        module = importlib.import_module(f"{feature.package}.debug")
    except ImportError:
        log.error("debug hook: feature %s has no debug module", feature.id)
        return
    module.start_session(app, words[1:])
