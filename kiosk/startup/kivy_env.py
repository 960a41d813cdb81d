"""Set up Kivy's environment and configuration before Kivy is first imported.

Why this module exists: Kivy reads environment variables and its config at
import time. A kiosk must not parse our command-line arguments as Kivy's,
must not write ``~/.kivy`` on a read-only home, must not quit on Escape,
and must draw every label with a CJK font.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kiosk.startup.fonts import FontFiles


def prepare(kivy_home: Path, window_size: tuple[int, int], fullscreen: bool = False) -> None:
    """Set Kivy's environment and config. Must run before ``import kivy``."""
    if "kivy" in sys.modules:
        raise RuntimeError("kiosk.startup.kivy_env.prepare() must run before Kivy is imported")
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", str(kivy_home))
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_WINDOW", "sdl2")
    # lesson videos (H.264 mp4) play through ffpyplayer (a dependency), not GStreamer
    os.environ.setdefault("KIVY_VIDEO", "ffpyplayer")
    from kivy.config import Config

    w, h = window_size
    Config.set("graphics", "width", str(w))
    Config.set("graphics", "height", str(h))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "1")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "log_level", "warning")
    # No multisampling: software GL (Mesa llvmpipe on kiosk boards and Xvfb) pays for
    # every sample; the UI is flat shapes and text that do not need it.
    Config.set("graphics", "multisamples", "0")


def register_fonts(fonts: FontFiles) -> None:
    """Make the CJK font the default for every label (after Kivy is importable)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(DEFAULT_FONT, fn_regular=str(fonts.regular), fn_bold=str(fonts.bold))
