"""A plain page for a feature that is not ready on this kiosk, said in both languages.

Lessons and fitness tests use it until their issues fill their folders; the
shell also shows it, with a different text, when a feature's screen cannot be
built, so a broken feature never stops the kiosk.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_


class PreparingScreen(Screen):
    PREPARING = N_("This part of the station is being prepared. Please check back soon.")
    BROKEN = N_("This part of the station is not available right now. Please try again later.")

    heading = StringProperty("")
    """A msgid (the screen's title from its feature's declaration)."""
    body = StringProperty(PREPARING)
    """A msgid."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.heading:
            from kiosk.shell.running import kiosk_app

            self.heading = kiosk_app().title_msgid(self.name)
