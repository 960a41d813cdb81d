"""The consent question of a first sign-in: what is kept, where, for how long, in plain
words and large text; "I agree" stores the consent (with its version) and the profile;
"Continue as a guest" stores nothing."""

from __future__ import annotations

import logging

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.residents.codes import format_code
from kiosk.residents.consent import ACCEPT, CONSENT_VERSION, DECLINE, HEADING, consent_text
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)


class ConsentScreen(Screen):
    heading = StringProperty("")
    code_note = StringProperty("")
    version = StringProperty(CONSENT_VERSION)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.resident = ""
        self.pin: str | None = None
        self.code = ""
        kiosk_app().bind(lang=lambda *_: self._fill())

    def ask(self, resident: str, pin: str | None = None, code: str = "") -> None:
        """Ask ``resident`` (a new number code brings its PIN and code)."""
        self.resident, self.pin, self.code = resident, pin, code

    def on_pre_enter(self, *args: object) -> None:
        app = kiosk_app()
        if not self.resident and app.pending_resident:
            self.ask(app.pending_resident)
        self._fill()

    def on_leave(self, *args: object) -> None:
        self.resident, self.pin, self.code = "", None, ""
        self.ids.paragraphs.clear_widgets()

    def _fill(self) -> None:
        app = kiosk_app()
        lang = app.lang
        self.heading = app.t(HEADING, lang)
        self.ids.accept.text = app.t(ACCEPT, lang)
        self.ids.decline.text = app.t(DECLINE, lang)
        self.code_note = (app.t("Your number code: {code}", lang, code=format_code(self.code))
                          if self.code else "")
        box = self.ids.paragraphs
        box.clear_widgets()
        for text in consent_text(lang, app.cfg.store.retention_days):
            label = Factory.KLabel(text=text)
            label.units = 3.8
            box.add_widget(label)

    def accept(self) -> None:
        app = kiosk_app()
        residents = app.services.residents
        resident = self.resident
        if residents is None or not resident:
            app.go_home()
            return
        residents.accept_consent(resident, app.lang, app.large, pin=self.pin)
        self.pin = None
        app.start_visit(resident)

    def decline(self) -> None:
        app = kiosk_app()
        log.info("a resident chose to continue as a guest")
        self.resident, self.pin, self.code = "", None, ""
        app.pending_resident = ""
        if not app.visit_active:
            app.start_visit("")
        else:
            app.go_home()
