"""My records: the signed-in resident's recent sessions from the local store."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen


class RecordsScreen(Screen):
    hint = StringProperty("")

    def on_pre_enter(self, *args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        app = App.get_running_app()
        rows = self.ids.rows
        rows.clear_widgets()
        lines = app.records_for_resident()
        if not app.resident_id:
            self.hint = app.t("Tap your resident card to see your own records.", app.lang)
        elif not lines:
            self.hint = app.t("No records yet. Your sessions will appear here.", app.lang)
        else:
            self.hint = ""
        for text in lines:
            rows.add_widget(Factory.KLabel(text=text))
