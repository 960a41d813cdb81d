"""Maintainer status page: camera, serial devices, store, sync, content, as they really are."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk import __version__
from kiosk.texts import STATE_TEXT

STATE_COLOURS = {
    "ok": "ok",
    "warning": "warning",
    "error": "error",
    "unavailable": "error",
    "not_available_yet": "muted",
}


class MaintainerScreen(Screen):
    summary = StringProperty("")

    def on_pre_enter(self, *args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        app = App.get_running_app()
        lang = app.lang
        self.summary = app.t(
            "Kiosk {kiosk} · version {version} · config {config} · data {data}",
            lang,
            kiosk=app.cfg.kiosk.id,
            version=__version__,
            config=app.cfg.source,
            data=str(app.data_dir),
        )
        grid = self.ids.rows
        grid.clear_widgets()
        for head in ("Part", "Name", "State", "Detail"):
            grid.add_widget(Factory.KLabel(text=app.t(head, lang), bold=True))
        for row in app.status_rows():
            state_label = Factory.KLabel(text=app.t(STATE_TEXT[row.state], lang), bold=True)
            state_label.color = app.c(STATE_COLOURS[row.state], app.hc)
            grid.add_widget(Factory.KLabel(text=app.t(row.area, lang)))
            grid.add_widget(Factory.KLabel(text=row.name))
            grid.add_widget(state_label)
            grid.add_widget(Factory.KLabel(text=row.detail))

