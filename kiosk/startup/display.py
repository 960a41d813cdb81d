"""Make sure there is a display to draw on: the attached one, or a virtual Xvfb one.

Why this module exists: ``make run`` must work on a headless machine (a
maintainer's laptop over SSH, CI, this build box) and say so, and the UI tests
need the same virtual display Kivy's own CI uses.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class DisplayError(RuntimeError):
    pass


@dataclass
class VirtualDisplay:
    display: str
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _free_display_number(start: int = 99) -> int:
    for n in range(start, start + 100):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise DisplayError("no free X display number between :99 and :198")


def start_xvfb(width: int = 1280, height: int = 800) -> VirtualDisplay:
    """Start Xvfb with GLX on a free display number and set ``DISPLAY``."""
    exe = shutil.which("Xvfb")
    if not exe:
        raise DisplayError(
            "No display and no Xvfb to make a virtual one. Install the Debian package "
            "'xvfb' (sudo apt-get install xvfb) or run on a machine with a screen."
        )
    for _attempt in range(3):
        n = _free_display_number()
        proc = subprocess.Popen(
            [exe, f":{n}", "-screen", "0", f"{width}x{height}x24", "+extension", "GLX",
             "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                os.environ["DISPLAY"] = f":{n}"
                vd = VirtualDisplay(f":{n}", proc)
                atexit.register(vd.stop)
                return vd
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
    raise DisplayError("Xvfb did not start (tried 3 display numbers)")


def ensure_display(width: int = 1280, height: int = 800) -> VirtualDisplay | None:
    """Return None when a display is attached, else start a virtual one."""
    if has_display():
        return None
    return start_xvfb(width, height)
