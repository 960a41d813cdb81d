"""A plain screen for a feature this kiosk does not offer yet, said in both languages."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.texts import FEATURE_PREPARING


class FeatureScreen(Screen):
    heading = StringProperty("")
    """A msgid."""
    body = StringProperty(FEATURE_PREPARING)
    """A msgid."""
