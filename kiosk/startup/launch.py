"""Start the kiosk from a validated config; shared by ``kiosk run``, the tests and the benches.

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

from kiosk.config import APP_NAME, Config, DataLayout, data_layout
from kiosk.startup.display import DisplayError, ensure_display
from kiosk.startup.fonts import FontMissingError, find_cjk_fonts
from kiosk.startup.logs import setup_logging

if TYPE_CHECKING:
    from kiosk.shell.app import KioskApp

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    pass


def ensure_writable_dir(path: Path) -> None:
    """Create ``path`` if needed and prove a file can be written there (raises OSError)."""
    path.mkdir(parents=True, exist_ok=True)
    probe = path / ".write-test"
    probe.write_text("ok")
    probe.unlink()


def prepare_data_dir(cfg: Config) -> DataLayout:
    layout = data_layout(cfg)
    try:
        ensure_writable_dir(layout.root)
    except OSError as exc:
        raise StartupError(
            f"data directory {layout.root} is not writable: {exc.strerror or exc}") from None
    return layout


def cache_dir() -> Path:
    """Rebuildable files (the extracted font face): ``$KIOSK_CACHE_DIR`` or the user cache."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("KIOSK_CACHE_DIR") or user_cache_dir(APP_NAME))


def start_kiosk(cfg: Config, windowed: bool = False,
                announce: Callable[[str], None] = lambda s: None) -> KioskApp:
    """Prepare the process and return a built (not yet running) ``KioskApp``."""
    layout = prepare_data_dir(cfg)
    setup_logging(layout.logs, cfg.logging.level, cfg.logging.max_bytes, cfg.logging.backups)
    log.info("starting kiosk %s with config %s, data in %s", cfg.kiosk.id, cfg.source,
             layout.root)
    from kiosk.features.registry import FeatureError, discover

    try:
        features = discover()
    except FeatureError as exc:
        raise StartupError(str(exc)) from None
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
    from kiosk.startup import kivy_env

    kivy_env.prepare(layout.kivy_home, cfg.kiosk.window_size,
                     fullscreen=cfg.kiosk.fullscreen and not windowed)
    kivy_env.register_fonts(fonts)
    from kiosk.services.build import build_services
    from kiosk.services.residents import key_message
    from kiosk.shell.app import KioskApp

    services = build_services(cfg, layout)
    if services.residents is not None:
        services.residents.start()  # now, so a missing or weak key is said at start
        message = key_message(services.residents.key, services.residents.error)
        if message:
            announce(message)
    return KioskApp(cfg, layout, services=services, features=features)
