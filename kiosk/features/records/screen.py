"""My records: the signed-in resident's recent sessions, loaded off the UI thread."""

from __future__ import annotations

import logging

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.records.history import history_lines
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)


class RecordsScreen(Screen):
    hint = StringProperty("")
    loading = BooleanProperty(False)
    """True while the store's thread reads the records (tests wait on it)."""

    def on_kv_post(self, base_widget: object) -> None:
        kiosk_app().bind(lang=lambda *_: self._refresh_if_shown())
        self._asked = 0

    def _refresh_if_shown(self) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def on_pre_enter(self, *args: object) -> None:
        self.refresh()

    def on_leave(self, *args: object) -> None:
        self.ids.rows.clear_widgets()  # nothing of a resident stays on a hidden screen

    def refresh(self) -> None:
        app = kiosk_app()
        self.ids.rows.clear_widgets()
        store = app.services.store
        resident, lang = app.resident_id, app.lang
        if not resident:
            self.hint = app.t("Tap your resident card to see your own records.", lang)
            return
        if store is None or not store.available:
            self.hint = app.t("No records yet. Your sessions will appear here.", lang)
            return
        self.hint = app.t("Loading…", lang)
        self.loading = True
        self._asked += 1
        asked = self._asked
        vision = app.services.vision
        titles = {n: s.text("title") for n, s in vision.exercises().items()} if vision else {}
        store.query_async(lambda st: history_lines(st, resident, lang, titles),
                          lambda lines, err: self._show(asked, resident, lines, err))

    def _show(self, asked: int, resident: str, lines: list[str] | None,
              error: BaseException | None) -> None:
        app = kiosk_app()
        if asked != self._asked or resident != app.resident_id:
            return  # an older question, or the resident changed meanwhile
        self.loading = False
        if error is not None:
            log.error("could not read records: %s", error)
        rows = self.ids.rows
        rows.clear_widgets()
        if not lines:
            self.hint = app.t("No records yet. Your sessions will appear here.", app.lang)
            return
        self.hint = ""
        for text in lines:
            rows.add_widget(Factory.KLabel(text=text))
