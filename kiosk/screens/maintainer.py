"""Maintainer status page: camera, serial devices, store, sync, content, as they really are."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk import __version__
from kiosk.texts import EXTRA_HIDDEN, EXTRA_LABELS, STATE_TEXT, STATUS_AREAS

STATE_COLOURS = {
    "ok": "ok",
    "warning": "warning",
    "error": "error",
    "unavailable": "error",
    "not_available_yet": "muted",
}


class MaintainerScreen(Screen):
    summary = StringProperty("")

    def on_kv_post(self, base_widget: object) -> None:
        app = App.get_running_app()
        app.bind(lang=self._refresh_if_shown, hc=self._refresh_if_shown)

    def _refresh_if_shown(self, *_args: object) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

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
        box = self.ids.rows
        box.clear_widgets()
        box.add_widget(_line(part=app.t("Part", lang), name=app.t("Name", lang),
                             state=app.t("State", lang), detail=app.t("Detail", lang),
                             heading=True))
        for row in app.status_rows():
            box.add_widget(_line(
                part=app.t(STATUS_AREAS.get(row.area, row.area), lang),
                name=row.name,
                state=app.t(STATE_TEXT[row.state], lang),
                state_colour=app.c(STATE_COLOURS[row.state], app.hc),
                detail=_detail(app, row, lang)))


def _detail(app: object, row: object, lang: str) -> str:
    facts = [f"{app.t(EXTRA_LABELS.get(k, k), lang)}: {v}"  # type: ignore[attr-defined]
             for k, v in row.extra.items()  # type: ignore[attr-defined]
             if v not in ("", None) and k not in EXTRA_HIDDEN]
    detail = row.detail  # type: ignore[attr-defined]
    return detail + ("\n" + " · ".join(facts) if facts else "")


def _line(**values: object) -> object:
    line = Factory.StatusLine()
    for key, value in values.items():
        setattr(line, key, value)
    return line
