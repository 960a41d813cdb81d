"""Sign in with a number code and PIN: the code, then the PIN, checked off the UI thread
(scrypt, and maybe a question to the server when the code was made on another kiosk)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.residents.keypad import fill_keypad
from kiosk.i18n import N_
from kiosk.residents.codes import CODE_DIGITS
from kiosk.residents.pins import PIN_LENGTH
from kiosk.services.residents import CodeLogin, CodeOutcome
from kiosk.shell.running import kiosk_app

MESSAGES = {
    CodeOutcome.WRONG_PIN: N_("Wrong PIN. Please try again."),
    CodeOutcome.LOCKED: N_("Too many wrong PINs. Please try again in {minutes} minutes."),
    CodeOutcome.UNKNOWN: N_("This number code is not known. Please check it, or get a new code."),
    CodeOutcome.NOT_A_CODE: N_("A number code has 6 digits."),
    CodeOutcome.OFF: N_("Signing in is not possible on this kiosk right now."),
}


class CodeLoginScreen(Screen):
    code = StringProperty("")
    pin = StringProperty("")
    step = StringProperty("code")
    """``code`` (typing the number code) or ``pin``."""
    message = StringProperty("")
    checking = BooleanProperty(False)

    def on_kv_post(self, base_widget: object) -> None:
        fill_keypad(self.ids.keypad, self.press, self.clear, self.ok)
        self.last: CodeLogin | None = None
        self._msg: tuple[str, dict[str, object]] = ("", {})
        kiosk_app().bind(lang=lambda *_: self._say(*self._msg))

    def _say(self, msgid: str, fmt: dict[str, object] | None = None) -> None:
        app = kiosk_app()
        self._msg = (msgid, fmt or {})
        self.message = app.t(msgid, app.lang, **(fmt or {})) if msgid else ""

    def on_pre_enter(self, *args: object) -> None:
        self.code = self.pin = ""
        self._say("")
        self.step = "code"

    def on_leave(self, *args: object) -> None:
        self.code = self.pin = ""  # nothing of a resident stays on a hidden screen

    def press(self, digit: str) -> None:
        if self.checking:
            return
        if self.step == "code" and len(self.code) < CODE_DIGITS:
            self.code += digit
        elif self.step == "pin" and len(self.pin) < PIN_LENGTH:
            self.pin += digit

    def clear(self) -> None:
        if self.step == "pin" and not self.pin:
            self.step = "code"
        elif self.step == "pin":
            self.pin = ""
        else:
            self.code = ""

    def ok(self) -> None:
        app = kiosk_app()
        if self.checking:
            return
        if self.step == "code":
            if len(self.code) != CODE_DIGITS:
                self._say(MESSAGES[CodeOutcome.NOT_A_CODE])
                return
            self._say("")
            self.step = "pin"
            return
        residents = app.services.residents
        if residents is None:
            self._say(MESSAGES[CodeOutcome.OFF])
            return
        self.checking = True
        self._say(N_("Checking…"))
        residents.code_login_async(self.code, self.pin, self._checked)

    def _checked(self, result: CodeLogin) -> None:
        app = kiosk_app()
        self.checking = False
        self.last = result
        self.pin = ""
        if result.outcome is CodeOutcome.SIGNED_IN:
            self._say("")
            self.code = ""
            app.sign_in(result.resident)
            return
        if result.outcome in (CodeOutcome.UNKNOWN, CodeOutcome.NOT_A_CODE):
            self.step = "code"
        minutes = max(1, round(result.locked_for_s / 60))
        self._say(MESSAGES[result.outcome], {"minutes": minutes})
