"""Drive the real kiosk app in a real Kivy window (under Xvfb when there is no display).

Kivy allows one window per process, so one app serves the whole test session;
``reset()`` brings it back to a known state between tests. Touches go through
Kivy's own input path (``UnitTestTouch``), the same one a touchscreen uses.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def save_screenshot(path: Path) -> Path:
    """Save the window to exactly ``path`` (Kivy appends a counter; undo that)."""
    from kivy.core.window import Window

    written = Window.screenshot(name=str(path))
    if written:
        Path(written).replace(path)
    return path


class UIHarness:
    def __init__(self, app: Any, shots: Path) -> None:
        from kivy.base import EventLoop

        self.app = app
        self.loop = EventLoop
        self.shots = shots
        shots.mkdir(parents=True, exist_ok=True)

    # ----- time ---------------------------------------------------------------------
    def pump(self, seconds: float = 0.15) -> None:
        """Run the app's event loop for ``seconds`` of real time (at least 2 frames)."""
        end = time.monotonic() + seconds
        frames = 0
        while frames < 2 or time.monotonic() < end:
            self.loop.idle()
            frames += 1

    def wait_for(self, predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.loop.idle()
            if predicate():
                return
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    # ----- input --------------------------------------------------------------------
    def _touch_at(self, x: float, y: float, hold: float = 0.0) -> None:
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(max(hold, 0.05))
        touch.touch_up()
        self.pump(0.1)

    def tap(self, widget: Any, hold: float = 0.0) -> None:
        self.pump(0.05)  # let a screen that just appeared finish its layout
        assert widget.get_root_window() is not None, f"{widget} is not on screen"
        assert not getattr(widget, "disabled", False), f"{widget} is disabled"
        x, y = widget.to_window(*widget.center)
        self._touch_at(x, y, hold)

    def tap_xy(self, x: float, y: float, hold: float = 0.0) -> None:
        self._touch_at(x, y, hold)

    def swipe(self, x0: float, y0: float, x1: float, y1: float, moves: int = 8) -> None:
        """A finger put down at (x0, y0), moved to (x1, y1) and lifted (window coordinates)."""
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(x0, y0)
        touch.touch_down()
        self.pump(0.03)
        for k in range(1, moves + 1):
            touch.touch_move(x0 + (x1 - x0) * k / moves, y0 + (y1 - y0) * k / moves)
            self.pump(0.02)
        touch.touch_up()
        self.pump(0.1)

    # ----- looking ------------------------------------------------------------------
    @property
    def shell(self) -> Any:
        return self.app.root

    @property
    def screen(self) -> Any:
        return self.app.sm.current_screen

    def screenshot(self, name: str) -> Path:

        self.pump(0.1)
        return save_screenshot(self.shots / f"{name}.png")

    def reset(self) -> None:
        app = self.app
        if app.sm.current != "attract":
            app.end_visit("test reset")
        app.lang = app.cfg.kiosk.language
        app.large = app.hc = False
        self.pump(0.1)
