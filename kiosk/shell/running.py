"""``kiosk_app()``: the running ``KioskApp``, typed, for screens and widgets.

Why this module exists: Kivy's ``App.get_running_app()`` is typed as a plain
``App``; screens need the kiosk's own attributes (``services``, ``cfg``,
``lang``) and a checker should see them. Importing this module does not
import the app module, so a feature screen can use it without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.app import App

if TYPE_CHECKING:
    from kiosk.shell.app import KioskApp


def kiosk_app() -> KioskApp:
    from kiosk.shell.app import KioskApp

    app = App.get_running_app()
    if not isinstance(app, KioskApp):
        raise RuntimeError("no KioskApp is running")
    return app
