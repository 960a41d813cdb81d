"""A plain screen for a feature this kiosk does not offer yet, said in both languages."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen


class FeatureScreen(Screen):
    heading = StringProperty("")
    """A msgid."""
    body = StringProperty("This part of the station is being prepared. Please check back soon.")
    """A msgid."""
