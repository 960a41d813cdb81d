"""Maintainer PIN entry: the second half of the hidden gesture into maintainer mode."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.maintainer.access import PinGate, PinOutcome
from kiosk.i18n import N_
from kiosk.shell.running import kiosk_app

KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok"]
MESSAGES = {
    PinOutcome.WRONG: N_("Wrong PIN. Please try again."),
    PinOutcome.LOCKED: N_("Too many wrong PINs. Try again in a minute."),
}


class PinScreen(Screen):
    entered = StringProperty("")
    message = StringProperty("")

    def on_kv_post(self, base_widget: object) -> None:
        app = kiosk_app()
        self.gate = PinGate(expected=lambda: kiosk_app().cfg.maintainer.pin)
        for key in KEYS:
            button = Factory.KeyButton()
            button.key = key
            if key in ("clear", "ok"):
                button.msgid = N_("Clear") if key == "clear" else N_("OK")
                button.units = 3.6
                button.bind(on_release=lambda *_, k=key: self.clear() if k == "clear"
                            else self.submit())
            else:
                button.text = key
                button.bind(on_release=lambda b: self.press(b.key))
            self.ids.keypad.add_widget(button)
        app.bind(lang=lambda *_: self._label_keys())
        self._label_keys()

    def _label_keys(self) -> None:
        app = kiosk_app()
        for button in self.ids.keypad.children:
            if button.key in ("clear", "ok"):
                button.text = app.t(button.msgid, app.lang)

    def on_pre_enter(self, *args: object) -> None:
        self.entered = ""
        self.message = ""

    def press(self, digit: str) -> None:
        if len(self.entered) < 8:
            self.entered += digit

    def clear(self) -> None:
        self.entered = ""

    def submit(self) -> None:
        app = kiosk_app()
        outcome = self.gate.check(self.entered)
        self.entered = ""
        if outcome is PinOutcome.ACCEPTED:
            self.message = ""
            app.replace_screen("maintainer")
        else:
            self.message = app.t(MESSAGES[outcome], app.lang)
