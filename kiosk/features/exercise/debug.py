"""Test-only: start a coached session as if a resident had tapped Exercise → Start.

Why this module exists: the self-healing tests and the restart bench kill
and freeze the real app in the middle of a session
(``kiosk/shell/debug_hooks.py``, switched on by ``KIOSK_DEBUG_HOOKS=1``);
how a session of this feature is started belongs to the feature.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk.features.exercise.coach import CoachScreen

if TYPE_CHECKING:
    from kiosk.shell.app import KioskApp

log = logging.getLogger(__name__)


def start_session(app: KioskApp, args: list[str]) -> None:
    """``args``: ``[EXERCISE [TARGET [SOURCE]]]`` (default ``squat 20``; ``SOURCE`` a
    ``sim:`` spec, else the configured camera)."""
    name = args[0] if args else "squat"
    target = int(args[1]) if len(args) > 1 else 20
    source = args[2] if len(args) > 2 else None
    vision = app.services.vision
    if vision is None or name not in vision.exercises():
        log.error("debug hook: cannot start a session of %r (no such exercise or no camera)", name)
        return
    spec = vision.exercises()[name]
    app.start_visit(resident_id="")
    coach = app.screen_as("coach", CoachScreen)
    if source is not None:
        coach.make_live = (lambda spec, target, on_update:
                           vision.make_live(spec, target, on_update, source=source))
    coach.prepare(spec, target)
    app.go("coach")
    log.warning("debug hook: started a session of %d %s", target, name)
