"""Which services and screens a kiosk built from a config gets.

Why this module exists: the app itself knows nothing of cameras, ports or
servers; this is the one place that turns the config into the parts that
feed it. It runs after Kivy's environment is prepared, so it may hand the
services a ``post`` that runs callbacks on the Kivy UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from kiosk.config import Config
from kiosk.services.base import Service

log = logging.getLogger(__name__)


def ui_post(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the Kivy UI thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: fn(), 0)


def build_services(cfg: Config, data: Path) -> list[Service]:
    from kiosk.services.store_service import StoreService
    from kiosk.services.sync_service import SyncService

    store = StoreService(cfg, post=ui_post, data=data)
    services: list[Service] = [store, SyncService(cfg, store, post=ui_post, data=data)]
    return services


def build_screens(cfg: Config, data: Path) -> dict:
    return {}
