"""Which services a kiosk built from a config gets.

Why this module exists: the app itself knows nothing of cameras, ports or
servers; this is the one place that turns the config into the parts that
feed it. It runs after Kivy's environment is prepared, so it may hand the
services a ``post`` that runs callbacks on the Kivy UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.config import Config, DataLayout
from kiosk.services.base import Services


def ui_post(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the Kivy UI thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: fn(), 0)


def build_services(cfg: Config, layout: DataLayout) -> Services:
    from kiosk.services.residents import ResidentsService
    from kiosk.services.sensors import SensorsService
    from kiosk.services.store import StoreService
    from kiosk.services.sync import SyncService
    from kiosk.services.vision import VisionService
    from kiosk.services.voice import Voice

    store = StoreService(cfg, post=ui_post, layout=layout)
    residents = ResidentsService(cfg, layout)
    return Services(
        store=store,
        sync=SyncService(cfg, store, post=ui_post, layout=layout),
        residents=residents,
        sensors=SensorsService(cfg, post=ui_post, layout=layout, residents=residents),
        vision=VisionService(cfg, post=ui_post),
        voice=Voice(enabled=True, voice_dir=layout.voice),
    )
