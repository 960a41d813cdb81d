"""Which services a kiosk built from a config gets.

Why this module exists: the app itself knows nothing of cameras, ports or
servers; this is the one place that turns the config into the parts that
feed it. It runs after Kivy's environment is prepared, so it may hand the
services a ``post`` that runs callbacks on the Kivy UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.config import Config, DataLayout
from kiosk.services.base import Services

if TYPE_CHECKING:
    from kiosk.services.residents import ResidentsService
    from kiosk.services.sync import SyncService


def ui_post(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the Kivy UI thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: fn(), 0)


def connect_residents(residents: ResidentsService, sync: SyncService | None) -> None:
    """Profiles from the server reach the residents; a resident's saves are synced soon."""
    if sync is None:
        return
    sync.on_profiles = residents.receive_profiles
    residents.fetch_profile = sync.fetch_profile
    residents.on_saved = sync.sync_now


def build_services(cfg: Config, layout: DataLayout) -> Services:
    from kiosk.services.content import ContentService
    from kiosk.services.residents import ResidentsService
    from kiosk.services.sensors import SensorsService
    from kiosk.services.store import StoreService
    from kiosk.services.sync import SyncService, heartbeat_facts_from
    from kiosk.services.vision import VisionService
    from kiosk.services.voice import Voice

    store = StoreService(cfg, post=ui_post, layout=layout)
    residents = ResidentsService(cfg, layout, store=store, post=ui_post)
    content = ContentService(cfg, layout, post=ui_post)
    vision = VisionService(cfg, post=ui_post, layout=layout)
    # exercises installed from a bundle appear on the exercise screen after the install
    content.watch_changes(vision.reload_exercises)
    services = Services(
        store=store,
        residents=residents,
        sensors=SensorsService(cfg, post=ui_post, layout=layout, residents=residents),
        content=content,
        vision=vision,
        voice=Voice(enabled=True, voice_dir=layout.voice),
    )
    # the heartbeat tells the fleet page how the other parts are
    services.sync = SyncService(
        cfg, store, post=ui_post, layout=layout, heartbeat_facts=heartbeat_facts_from(
            lambda: list(services)
        )
    )
    connect_residents(residents, services.sync)
    return services
