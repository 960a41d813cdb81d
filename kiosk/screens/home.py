"""The home screen: four large tiles for Exercise, Lessons, Fitness test, My records."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen


class HomeScreen(Screen):
    pass
