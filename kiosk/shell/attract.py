"""The attract screen: shown when idle; a touch anywhere starts a guest visit."""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.properties import NumericProperty
from kivy.uix.screenmanager import Screen

from kiosk.shell.running import kiosk_app


class AttractScreen(Screen):
    pulse = NumericProperty(1.0)
    _anim: Animation | None = None

    def on_enter(self, *args: object) -> None:
        self._anim = Animation(pulse=0.35, duration=1.2) + Animation(pulse=1.0, duration=1.2)
        self._anim.repeat = True
        self._anim.start(self)

    def on_leave(self, *args: object) -> None:
        if self._anim:
            self._anim.cancel(self)
        self.pulse = 1.0

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            kiosk_app().start_visit(resident_id="")
            return True
        return bool(super().on_touch_down(touch))
