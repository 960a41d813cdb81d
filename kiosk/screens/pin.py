"""Maintainer PIN entry: the second half of the hidden gesture into maintainer mode."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok"]


class PinScreen(Screen):
    entered = StringProperty("")
    message = StringProperty("")

    def on_kv_post(self, base_widget: object) -> None:
        app = App.get_running_app()
        for key in KEYS:
            button = Factory.KeyButton()
            button.key = key
            if key == "clear":
                button.bind(on_release=lambda *_: self.clear())
                app.bind(lang=lambda _a, lang, b=button: setattr(b, "text", app.t("Clear", lang)))
                button.text = app.t("Clear", app.lang)
                button.units = 3.6
            elif key == "ok":
                button.bind(on_release=lambda *_: self.submit())
                app.bind(lang=lambda _a, lang, b=button: setattr(b, "text", app.t("OK", lang)))
                button.text = app.t("OK", app.lang)
                button.units = 3.6
            else:
                button.text = key
                button.bind(on_release=lambda b: self.press(b.key))
            self.ids.keypad.add_widget(button)

    def on_pre_enter(self, *args: object) -> None:
        self.entered = ""
        self.message = ""

    def press(self, digit: str) -> None:
        if len(self.entered) < 8:
            self.entered += digit

    def clear(self) -> None:
        self.entered = ""

    def submit(self) -> None:
        app = App.get_running_app()
        ok, reason = app.check_pin(self.entered)
        self.entered = ""
        self.message = "" if ok else reason
