"""Which services and screens a kiosk built from a config gets.

Why this module exists: the app itself knows nothing of cameras, ports or
servers; this is the one place that turns the config into the parts that
feed it. Parts that later issues add are wired in here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.config import Config
from kiosk.services.base import Service

log = logging.getLogger(__name__)


def build_services(cfg: Config, data: Path) -> list[Service]:
    return []


def build_screens(cfg: Config, data: Path) -> dict:
    return {}
