"""Switching the kiosk's screen off and on, and keeping it from blanking while open.

Why this module exists: outside opening hours the screen should sleep
(DPMS off, or at least black), and during opening hours nothing may blank
it. How depends on the session: under Xorg (``KIOSK_SESSION=xorg``) ``xset``
drives the X screen saver and DPMS; under cage the app runs on Xwayland,
where ``xset`` reaches no real output, so a maintainer may configure
commands (``wlopm --off '*'``, ``vcgencmd display_power 0`` on a Raspberry
Pi, ...); and with neither the app's own black screen is all there is.
Every implementation reports what it did and never raises: a screen that
cannot sleep must not stop the kiosk.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Protocol

log = logging.getLogger(__name__)


class ScreenPower(Protocol):
    name: str

    def keep_awake(self) -> bool:
        """No blanking, no screen saver, no DPMS timeouts (opening hours)."""
        ...

    def sleep(self) -> bool:
        """Switch the screen off now (outside opening hours)."""
        ...

    def wake(self) -> bool:
        ...


def _run(argv: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=10,
                              env=dict(env) if env is not None else None)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return done.returncode == 0, (done.stderr or done.stdout).strip()


class XsetScreenPower:
    """The X screen saver and DPMS through ``xset`` (Xorg without a window manager)."""

    name = "xset"

    def __init__(self, display: str, xset: str = "xset") -> None:
        self.env = dict(os.environ, DISPLAY=display)
        self.xset = xset

    def _dpms_available(self) -> bool:
        ok, out = _run([self.xset, "q"], self.env)
        return ok and "does not have the DPMS Extension" not in out

    def keep_awake(self) -> bool:
        ok, err = _run([self.xset, "s", "off", "s", "noblank"], self.env)
        if ok and self._dpms_available():
            ok, err = _run([self.xset, "-dpms"], self.env)
        if not ok:
            log.warning("could not turn screen blanking off: %s", err)
        return ok

    def sleep(self) -> bool:
        if self._dpms_available():
            ok, err = _run([self.xset, "dpms", "force", "off"], self.env)
        else:
            ok, err = _run([self.xset, "s", "blank", "s", "activate"], self.env)
        if not ok:
            log.warning("could not switch the screen off: %s", err)
        return ok

    def wake(self) -> bool:
        ok, err = _run([self.xset, "s", "reset"], self.env)
        if ok and self._dpms_available():
            ok, err = _run([self.xset, "dpms", "force", "on"], self.env)
        if ok:
            ok = self.keep_awake()
        if not ok:
            log.warning("could not wake the screen: %s", err)
        return ok

    def blanking_timeout_s(self) -> int | None:
        """The X screen saver's timeout as ``xset q`` reports it (0 = never blanks)."""
        ok, out = _run([self.xset, "q"], self.env)
        if not ok:
            return None
        for line in out.splitlines():
            parts = line.split()
            if parts[:1] == ["timeout:"] and len(parts) > 1 and parts[1].isdigit():
                return int(parts[1])
        return None


class CommandScreenPower:
    """Commands chosen by the maintainer (config ``[hours] screen_off_command``/``screen_on_command``)."""

    name = "command"

    def __init__(self, off: str, on: str) -> None:
        self.off_cmd = shlex.split(off)
        self.on_cmd = shlex.split(on)

    def keep_awake(self) -> bool:
        return True

    def sleep(self) -> bool:
        ok, err = _run(self.off_cmd)
        if not ok:
            log.warning("screen-off command %s failed: %s", self.off_cmd, err)
        return ok

    def wake(self) -> bool:
        ok, err = _run(self.on_cmd)
        if not ok:
            log.warning("screen-on command %s failed: %s", self.on_cmd, err)
        return ok


class BlackScreenOnly:
    """No way to switch the output off: the app shows a black screen and that is all."""

    name = "none"

    def keep_awake(self) -> bool:
        return True

    def sleep(self) -> bool:
        return False

    def wake(self) -> bool:
        return True


def choose_screen_power(env: Mapping[str, str], off_command: str = "",
                        on_command: str = "") -> ScreenPower:
    """Configured commands first; then xset on a real X server (not Xwayland under cage)."""
    if off_command and on_command:
        return CommandScreenPower(off_command, on_command)
    display = env.get("DISPLAY", "")
    if display and not env.get("WAYLAND_DISPLAY") and shutil.which("xset"):
        return XsetScreenPower(display)
    return BlackScreenOnly()
