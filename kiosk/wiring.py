"""Which services and screens a kiosk built from a config gets.

Why this module exists: the app itself knows nothing of cameras, ports or
servers; this is the one place that turns the config into the parts that
feed it. It runs after Kivy's environment is prepared, so it may hand the
services a ``post`` that runs callbacks on the Kivy UI thread. Screens are
returned as factories: they are built after the app has loaded its kv files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.services.base import Service
from vision.activity import ActivityKind

log = logging.getLogger(__name__)


def ui_post(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the Kivy UI thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: fn(), 0)


def demo_sim_source(exercise: str, kind: ActivityKind, target: int) -> str:
    """The simulated person for a kiosk without a camera: stands still through the
    3-2-1 countdown, then does the target (a hold lasts the target time)."""
    if kind.holds:
        return f"sim:{exercise}?reps=1&period={target / 0.75 + 2:.1f}&lead_in=6"
    return f"sim:{exercise}?reps={target}&period=2.2&lead_in=6"


def build_services(cfg: Config, data: Path) -> list[Service]:
    from kiosk.services.sensors_service import SensorsService
    from kiosk.services.store_service import StoreService
    from kiosk.services.sync_service import SyncService
    from kiosk.services.vision_service import VisionService

    store = StoreService(cfg, post=ui_post, data=data)
    return [
        store,
        SyncService(cfg, store, post=ui_post, data=data),
        SensorsService(cfg, post=ui_post, data=data),
        VisionService(cfg, post=ui_post),
    ]


def build_screens(cfg: Config, data: Path) -> dict[str, Callable[[], Any]]:
    from kiosk.voice import Voice

    voice = Voice(enabled=True, voice_dir=data / "content" / "voice")

    def choose() -> Any:
        from kivy.app import App

        from kiosk.screens.choose import ChooseScreen

        # One loading of the exercise files, shared with the vision service.
        return ChooseScreen(exercises=App.get_running_app().service("vision").exercises())

    def coach() -> Any:
        from kivy.app import App

        from kiosk.screens.coach import CoachScreen

        def make_live(spec: Any, target: int, on_update: Callable[[Any], None]) -> Any:
            vision = App.get_running_app().service("vision")
            source = vision.resolve_source()
            if source == "sim":
                source = demo_sim_source(spec.name, spec.kind, target)
            return vision.make_live(spec, target, on_update, source=source)

        return CoachScreen(make_live=make_live, voice=voice)

    def summary() -> Any:
        from kiosk.screens.summary import SummaryScreen

        return SummaryScreen()

    return {"exercise": choose, "coach": coach, "summary": summary}
