"""Maintainer mode: content from a USB stick — what is on it, install with progress, the report.

Why this module exists: a maintainer brings lessons and exercises to a kiosk
on a stick. Only in maintainer mode (the PIN) does the kiosk show what a
stick offers; residents never see this screen. The stick's signed metadata
is read, and the install runs, on the content service's thread; this screen
draws ``UsbFlow``'s state and the per-file report.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from content.service import SourceResult
from content.usb import Stick
from kiosk.features.maintainer.usb_flow import UsbFlow, action_text
from kiosk.i18n import N_, text
from kiosk.services.content import Offer, report_lines
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)

NO_STICK = N_("No USB stick with content is plugged in.")
READING = N_("Reading the stick and checking its signatures…")
UNUSABLE = N_("This stick cannot be used: {reason}")
NOTHING_NEW = N_("Nothing on this stick is newer than what is installed.")
READY = N_("Ready to install. Keep the stick plugged in until the report appears.")
INSTALLING = N_("Installing…")
INSTALLED = N_("Installed. The report lists every file.")
FAILED = N_("Some content was not installed; the report says why. The content before stays active.")
STATE_OK, STATE_SKIPPED, STATE_REFUSED = N_("Checked"), N_("Skipped"), N_("Refused")


class UsbScreen(Screen):
    heading = StringProperty("")
    status = StringProperty("")
    phase = StringProperty("")
    fraction = NumericProperty(0.0)
    can_install = BooleanProperty(False)
    busy = BooleanProperty(False)
    show_bar = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flow = UsbFlow()
        app = kiosk_app()
        app.bind(lang=lambda *_: self._render())
        content = app.services.content
        if content is not None:
            content.watch_sticks(self._sticks_changed)

    # ----- the stick ------------------------------------------------------------------
    def show_stick(self, stick: Stick | None) -> None:
        """Read ``stick`` (or the first stick present) and show what it offers."""
        content = kiosk_app().services.content
        if stick is None and content is not None and content.sticks:
            stick = content.sticks[0]
        if stick is None or content is None:
            self.flow = UsbFlow()
            self._render()
            return
        if self.flow.stage == "installing":
            return
        self.flow.reading(stick)
        self._render()
        content.read_stick(stick, self._offered)

    def _offered(self, offer: Offer) -> None:
        self.flow.offered(offer)
        self._render()

    def _sticks_changed(self, sticks: list[Stick]) -> None:
        if self.manager is None or self.manager.current != self.name:
            return
        shown = self.flow.stick
        if shown is not None and all(s.repository != shown.repository for s in sticks):
            self.flow.gone()
        if self.flow.stage == "idle" and sticks:
            self.show_stick(sticks[0])
        self._render()

    def on_pre_enter(self, *args: object) -> None:
        if self.flow.stage in ("idle", "done", "offer"):
            self.show_stick(self.flow.stick if self.flow.stage == "offer" else None)

    # ----- installing --------------------------------------------------------------------
    def install(self) -> None:
        content = kiosk_app().services.content
        flow = self.flow
        if content is None or not flow.can_install or flow.stick is None or flow.offer is None:
            return
        wanted = [a.bundle_id for a in flow.offer.wanted]
        log.info("maintainer: installing %s from %s", ", ".join(wanted), flow.stick.mount)
        flow.installing()
        self._render()
        content.install_stick(flow.stick, self._progress, self._installed, wanted)

    def _progress(self, phase: str, done: int, total: int) -> None:
        self.flow.progress(phase, done, total)
        self.fraction = self.flow.fraction
        self.phase = kiosk_app().t(self.flow.phase, kiosk_app().lang) if self.flow.phase else ""

    def _installed(self, result: SourceResult) -> None:
        self.flow.finished(result)
        self._render()

    # ----- drawing -------------------------------------------------------------------------
    def _render(self) -> None:
        app = kiosk_app()
        lang = app.lang
        flow = self.flow
        self.can_install = flow.can_install
        self.busy = flow.stage in ("reading", "installing")
        self.show_bar = flow.stage in ("installing", "done")
        self.fraction = flow.fraction
        self.phase = app.t(flow.phase, lang) if flow.phase and flow.stage == "installing" else ""
        self.heading = (app.t("USB stick: {path}", lang, path=str(flow.stick.mount))
                        if flow.stick is not None else app.t(NO_STICK, lang))
        offers = self.ids.offers
        offers.clear_widgets()
        report = self.ids.report
        report.clear_widgets()
        if flow.stage == "idle":
            self.status = ""
        elif flow.stage == "reading":
            self.status = app.t(READING, lang)
        elif flow.offer is not None and flow.offer.error and flow.stage == "offer":
            self.status = app.t(UNUSABLE, lang, reason=flow.offer.error)
        elif flow.stage == "offer":
            self.status = app.t(READY if flow.can_install else NOTHING_NEW, lang)
        elif flow.stage == "installing":
            self.status = app.t(INSTALLING, lang)
        elif flow.stage == "done" and flow.result is not None:
            self.status = app.t(INSTALLED if flow.result.ok else FAILED, lang)
        if flow.offer is not None and flow.stage in ("offer", "installing"):
            self._offer_rows(offers, flow.offer, lang)
        if flow.stage == "done" and flow.result is not None:
            self._report_rows(report, flow.result, lang)

    def _offer_rows(self, box: Any, offer: Offer, lang: str) -> None:
        app = kiosk_app()
        box.add_widget(_line(part=app.t("Bundle", lang), name=app.t("Title", lang),
                             state=app.t("On this kiosk", lang), detail=app.t("Version", lang),
                             heading=True))
        for a in offer.available:
            installed = (app.t("installed: {version}", lang, version=a.installed)
                         if a.installed is not None else app.t("not installed", lang))
            box.add_widget(_line(
                part=a.bundle_id, name=text(a.title, lang) if a.title else a.bundle_id,
                state=app.t(action_text(a), lang),
                state_colour=app.c("ok" if a.wanted else "muted", app.hc),
                detail=f"{app.t('Version {version}', lang, version=a.version)} ({installed}), "
                       f"{_size(a.size)}"))

    def _report_rows(self, box: Any, result: SourceResult, lang: str) -> None:
        app = kiosk_app()
        content = app.services.content
        for r in result.reports:
            box.add_widget(_line(part=r.bundle_id, name=app.t(
                "Version {version}: {files} files, {size}, {seconds} s", lang, version=r.version,
                files=r.files, size=_size(r.bytes), seconds=f"{r.seconds:.1f}"),
                state=app.t("Installed", lang), state_colour=app.c("ok", app.hc), detail="",
                heading=True))
            manifest = content.installed_manifest(r.bundle_id) if content is not None else None
            for state, path, detail in report_lines(r, manifest):
                box.add_widget(_line(
                    part="", name=path,
                    state=app.t(STATE_OK if state == "ok" else STATE_SKIPPED, lang),
                    state_colour=app.c("ok" if state == "ok" else "warning", app.hc),
                    detail=detail))
        for err in result.errors:
            box.add_widget(_line(part="", name="", state=app.t(STATE_REFUSED, lang),
                                 state_colour=app.c("error", app.hc), detail=err))

    def report_rows(self) -> list[Any]:
        """The report's lines as shown (top first; for tests)."""
        return list(reversed(self.ids.report.children))


WIDTHS = [0.22, 0.38, 0.16, 0.24]
"""Columns of the offer and report rows: bundle ids and file paths need room."""


def _line(**values: Any) -> Widget:
    line: Widget = Factory.StatusLine()
    line.widths = WIDTHS
    for key, value in values.items():
        setattr(line, key, value)
    return line


def _size(n: int) -> str:
    if n >= 100_000:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e3:.0f} KB" if n >= 1000 else f"{n} B"
