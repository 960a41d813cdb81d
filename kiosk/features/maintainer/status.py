"""Maintainer status page: camera, serial devices, store, sync, content, as they really are."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from content.usb import Stick
from kiosk import __version__
from kiosk.features.maintainer.rows import (
    STATE_COLOURS,
    STATE_TEXT,
    STATUS_AREAS,
    collect_status,
    detail_text,
)
from kiosk.services.base import StatusRow
from kiosk.shell.running import kiosk_app


class MaintainerScreen(Screen):
    summary = StringProperty("")
    sticks = NumericProperty(0)
    """USB sticks with content plugged in (a button leads to them)."""

    def on_kv_post(self, base_widget: object) -> None:
        app = kiosk_app()
        app.bind(lang=self._refresh_if_shown, hc=self._refresh_if_shown,
                 on_status_changed=self._refresh_if_shown)
        content = app.services.content
        if content is not None:
            content.watch_sticks(self._sticks_changed)
            self.sticks = len(content.sticks)

    def _sticks_changed(self, sticks: list[Stick]) -> None:
        """A stick plugged in while the maintainer looks at this page opens it at once."""
        new = len(sticks) > self.sticks
        self.sticks = len(sticks)
        if new and self.manager is not None and self.manager.current == self.name:
            self.open_usb()
        self._refresh_if_shown()

    def open_usb(self) -> None:
        kiosk_app().go("content_usb")

    def _refresh_if_shown(self, *_args: object) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def on_pre_enter(self, *args: object) -> None:
        self.refresh()

    def rows(self) -> list[StatusRow]:
        return collect_status(kiosk_app().services)

    def refresh(self) -> None:
        app = kiosk_app()
        lang = app.lang
        self.summary = app.t(
            "Kiosk {kiosk} · version {version} · config {config} · data {data}",
            lang,
            kiosk=app.cfg.kiosk.id,
            version=__version__,
            config=app.cfg.source,
            data=str(app.layout.root),
        )
        box = self.ids.rows
        box.clear_widgets()
        box.add_widget(_line(part=app.t("Part", lang), name=app.t("Name", lang),
                             state=app.t("State", lang), detail=app.t("Detail", lang),
                             heading=True))
        for row in self.rows():
            box.add_widget(_line(
                part=app.t(STATUS_AREAS.get(row.area, row.area), lang),
                name=row.name,
                state=app.t(STATE_TEXT[row.state], lang),
                state_colour=app.c(STATE_COLOURS[row.state], app.hc),
                detail=detail_text(row, lambda msgid: app.t(msgid, lang))))


def _line(**values: Any) -> Widget:
    line: Widget = Factory.StatusLine()
    for key, value in values.items():
        setattr(line, key, value)
    return line
