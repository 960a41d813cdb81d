"""Get a number code: the kiosk shows a new code to write down, the resident chooses a PIN
and types it twice; then the consent question. Nothing is stored until they agree."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.residents.keypad import fill_keypad
from kiosk.i18n import N_
from kiosk.residents.codes import format_code
from kiosk.residents.pins import PIN_LENGTH, pin_problem
from kiosk.shell.running import kiosk_app

NOT_THE_SAME = N_("The two PINs were not the same. Please choose your PIN again.")
OFF = N_("Signing in is not possible on this kiosk right now.")


class NewCodeScreen(Screen):
    code_text = StringProperty("")
    pin = StringProperty("")
    step = StringProperty("show")
    """``show`` (the code), ``pin`` (choose), ``repeat`` (type it again)."""
    message = StringProperty("")

    def on_kv_post(self, base_widget: object) -> None:
        fill_keypad(self.ids.keypad, self.press, self.clear, self.ok)
        self.code = ""
        self.resident = ""
        self._first = ""

    def on_pre_enter(self, *args: object) -> None:
        app = kiosk_app()
        self.step, self.pin, self.message, self._first = "show", "", "", ""
        residents = app.services.residents
        made = residents.new_code() if residents is not None else None
        if made is None:
            self.code, self.resident, self.code_text = "", "", ""
            self.message = app.t(OFF, app.lang)
            return
        self.code, self.resident = made
        self.code_text = format_code(self.code)

    def on_leave(self, *args: object) -> None:
        self.pin = self._first = ""
        self.code_text = self.code = ""

    def next(self) -> None:
        if self.code:
            self.step = "pin"

    def press(self, digit: str) -> None:
        if self.step in ("pin", "repeat") and len(self.pin) < PIN_LENGTH:
            self.pin += digit

    def clear(self) -> None:
        self.pin = ""

    def ok(self) -> None:
        app = kiosk_app()
        if self.step == "pin":
            problem = pin_problem(self.pin)
            if problem:
                self.message, self.pin = app.t(problem, app.lang), ""
                return
            self._first, self.pin, self.message = self.pin, "", ""
            self.step = "repeat"
        elif self.step == "repeat":
            if self.pin != self._first:
                self.message = app.t(NOT_THE_SAME, app.lang)
                self.pin = self._first = ""
                self.step = "pin"
                return
            from kiosk.features.residents.consent import ConsentScreen

            pin, self.pin, self._first = self.pin, "", ""
            consent = app.screen_as("consent", ConsentScreen)
            consent.ask(self.resident, pin=pin, code=self.code)
            app.replace_screen("consent")
