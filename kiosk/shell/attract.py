"""The attract screen: shown when idle; a touch anywhere starts a guest visit.

Below the invitation it loops through slides that features offer
(``kiosk.features.slides``: the community's total today, running challenges,
the next events, announcements). The slide sources are imported and asked on
a background thread a few seconds after the screen first shows, so the cold
start (the first frame) does not wait for them; they are asked again every
minute and when the language changes.

Outside opening hours it is the kiosk's sleeping face: black (the app covers
the whole window) and still, or, after a touch, "Closed now" and when the
kiosk opens, in large type, instead of the invitation.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from typing import Any

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.slides import Slide, SlideSource
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)

SLIDE_S = 8.0
"""How long each slide stays."""
REFRESH_S = 60.0
FIRST_LOAD_S = 3.0
"""After the first frame: the slide sources are not part of the cold start."""


class AttractScreen(Screen):
    pulse = NumericProperty(1.0)
    _anim: Animation | None = None
    has_slides = BooleanProperty(False)
    slide_key = StringProperty("")
    slide_title = StringProperty("")
    slide_lines = StringProperty("")
    slide_note = StringProperty("")
    slide_picture = StringProperty("")
    slide_s = NumericProperty(SLIDE_S)
    """Seconds each slide stays (tests hold it still)."""
    loads = NumericProperty(0)
    """How many times the slides were (re)loaded (tests wait on it)."""

    def on_kv_post(self, base_widget: object) -> None:
        app = kiosk_app()
        app.bind(opening_state=lambda _app, _state: self._animate(),
                 lang=lambda *_: self._load_if_shown())
        self.slides: list[Slide] = []
        self._index = -1
        self._sources: list[SlideSource] | None = None
        self._events: list[Any] = []
        self._loading = False
        self._again = False
        self._first = True

    def on_enter(self, *args: object) -> None:
        self._animate()
        self.start_loop()

    # --- the slide loop ---------------------------------------------------------------
    def start_loop(self) -> None:
        """(Re)start the loop: slides loaded now (after the first frame: a little later)."""
        self._stop_loop()
        delay = FIRST_LOAD_S if self._first else 0.0
        self._first = False
        self._events = [
            Clock.schedule_once(lambda _dt: self.load_slides(), delay),
            Clock.schedule_interval(lambda _dt: self.next_slide(), self.slide_s),
            Clock.schedule_interval(lambda _dt: self.load_slides(), REFRESH_S),
        ]

    def _stop_loop(self) -> None:
        for ev in self._events:
            ev.cancel()
        self._events = []

    def _load_if_shown(self) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.load_slides()

    def _find_sources(self) -> list[SlideSource]:
        out: list[SlideSource] = []
        for feature in kiosk_app().features:
            if not feature.attract:
                continue
            module, name = feature.resolve(feature.attract)
            try:
                out.append(getattr(importlib.import_module(module), name))
            except Exception:  # noqa: BLE001 - a broken source must not stop the attract screen
                log.exception("attract slides of %s unavailable", feature.id)
        return out

    def load_slides(self) -> None:
        """Ask every feature's slide source (on a background thread); show what they give."""
        if kiosk_app().opening_state == "asleep":
            return  # the screen is black: nothing to ask for until it wakes
        if self._loading:
            self._again = True  # e.g. the language changed while loading
            return
        self._loading = True
        self._again = False
        app = kiosk_app()
        lang, services = app.lang, app.services

        def job() -> None:
            slides: list[Slide] = []
            try:
                if self._sources is None:
                    self._sources = self._find_sources()
                for source in self._sources:
                    try:
                        slides.extend(source(services, lang))
                    except Exception:  # noqa: BLE001 - bad data: that source is left out
                        log.exception("attract slides failed")
            finally:
                Clock.schedule_once(lambda _dt: self._loaded(slides), 0)

        threading.Thread(target=job, name="attract-slides", daemon=True).start()

    def _loaded(self, slides: list[Slide]) -> None:
        self._loading = False
        if self._again:
            self.load_slides()
            return
        key = self.slide_key
        self.slides = slides
        self.has_slides = bool(slides)
        keys = [s.key for s in slides]
        self._index = keys.index(key) if key in keys else -1
        if self._index < 0:
            self.next_slide()
        else:
            self._show(slides[self._index])
        self.loads += 1

    def next_slide(self) -> None:
        if not self.slides:
            self._show(None)
            return
        self._index = (self._index + 1) % len(self.slides)
        self._show(self.slides[self._index])

    def _show(self, slide: Slide | None) -> None:
        bars = self.ids.slide_bars
        if bars.children:
            bars.clear_widgets()
            gc.collect()  # now, not later inside a language or large-text dispatch
        if slide is None:
            self.slide_key = self.slide_title = self.slide_lines = self.slide_note = ""
            self.slide_picture = ""
            return
        self.slide_key = slide.key
        self.slide_title = slide.title
        self.slide_lines = "\n".join(slide.lines)
        self.slide_note = slide.note
        self.slide_picture = str(slide.picture) if slide.picture else ""
        for bar in slide.bars:
            row = Factory.AttractBar()
            row.label = bar.label
            row.amount = bar.amount
            row.value = bar.fraction
            bars.add_widget(row)

    def _animate(self) -> None:
        if self._anim:
            self._anim.cancel(self)
            self._anim = None
        self.pulse = 1.0
        if self.manager is None or self.manager.current != self.name:
            return
        if kiosk_app().opening_state not in ("open", "opened"):  # asleep, or the closed notice
            return
        self._anim = Animation(pulse=0.35, duration=1.2) + Animation(pulse=1.0, duration=1.2)
        self._anim.repeat = True
        self._anim.start(self)

    def on_leave(self, *args: object) -> None:
        self._stop_loop()
        if self._anim:
            self._anim.cancel(self)
            self._anim = None
        self.pulse = 1.0

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            app = kiosk_app()
            if app.opening.visits_allowed:
                app.start_visit(resident_id="")
            return True
        return bool(super().on_touch_down(touch))
