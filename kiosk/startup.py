"""Everything between a validated config and a running app, shared by ``kiosk run`` and the tests.

Order matters: data directory and logs first (so failures are logged), then
fonts (a clear error names the package), then a display (virtual if none),
then Kivy's environment, and only then Kivy itself.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Config, data_dir
from kiosk.display import DisplayError, ensure_display
from kiosk.fonts import FontMissingError, find_cjk_fonts
from kiosk.logging_setup import setup_logging

if TYPE_CHECKING:
    from kiosk.app import KioskApp

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    pass


def ensure_writable_dir(path: Path) -> None:
    """Create ``path`` if needed and prove a file can be written there (raises OSError)."""
    path.mkdir(parents=True, exist_ok=True)
    probe = path / ".write-test"
    probe.write_text("ok")
    probe.unlink()


def prepare_data_dir(cfg: Config) -> Path:
    path = data_dir(cfg)
    try:
        ensure_writable_dir(path)
    except OSError as exc:
        raise StartupError(f"data directory {path} is not writable: {exc.strerror or exc}") from None
    return path


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    from kiosk.config import APP_NAME

    return Path(os.environ.get("KIOSK_CACHE_DIR") or user_cache_dir(APP_NAME))


def start_kiosk(cfg: Config, windowed: bool = False,
                announce: Callable[[str], None] = lambda s: None) -> KioskApp:
    """Prepare the process and return a built (not yet running) ``KioskApp``."""
    data = prepare_data_dir(cfg)
    setup_logging(data / "logs", cfg.logging.level, cfg.logging.max_bytes, cfg.logging.backups)
    log.info("starting kiosk %s with config %s, data in %s", cfg.kiosk.id, cfg.source, data)
    try:
        fonts = find_cjk_fonts(cache_dir() / "fonts")
    except FontMissingError as exc:
        raise StartupError(str(exc)) from None
    try:
        vd = ensure_display(*cfg.kiosk.window_size)
    except DisplayError as exc:
        raise StartupError(str(exc)) from None
    if vd is not None:
        announce(f"No display attached: running on a virtual display {vd.display} (Xvfb). "
                 "Nothing will appear on a screen; use a real display to see the kiosk.")
    from kiosk import kivy_env

    kivy_env.prepare(data / "kivy", cfg.kiosk.window_size,
                     fullscreen=cfg.kiosk.fullscreen and not windowed)
    kivy_env.register_fonts(fonts)
    from kiosk.app import KioskApp
    from kiosk.wiring import build_screens, build_services

    services = build_services(cfg, data)
    return KioskApp(cfg, data, services=services, screens=build_screens(cfg, data))
