"""The Kivy application: the touch shell that every feature's screens live in.

Why this module exists: it owns what is the same on every screen — language,
large-text/high-contrast mode, back and home, the idle timeout that clears a
resident's data, the hidden way into maintainer mode — and it starts and stops
the Kivy-free services (sensors, store, sync, camera) that feed the screens.
It knows no feature by name: features are folders under ``kiosk/features/``
(see ``kiosk/features/registry.py``); the home screen shows their tiles and a
feature's kv files are loaded and its screens built on the first visit.
It also tells the service manager how it is (``kiosk/system/sd_notify.py``):
READY once the attract screen has been drawn, and a watchdog ping from a
``Clock`` interval, so a main loop that stops turning stops pinging and is
restarted; and it follows the opening hours (``kiosk/system/opening.py``).
Import it only after ``kiosk.startup.kivy_env.prepare`` has set Kivy's environment.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.widget import Widget

from kiosk.config import Config, DataLayout
from kiosk.features.registry import Feature, ScreenDecl, discover, home_features
from kiosk.i18n import N_, tr
from kiosk.services.base import Services
from kiosk.shell import theme
from kiosk.shell.attract import AttractScreen
from kiosk.shell.home import HomeScreen
from kiosk.shell.preparing import PreparingScreen
from kiosk.shell.widgets import register_widgets
from kiosk.system.opening import CLOSED, OpeningController, OpenState, closed_notice
from kiosk.system.screen_power import BlackScreenOnly, ScreenPower, choose_screen_power
from kiosk.system.sd_notify import Notifier

log = logging.getLogger(__name__)

ScreenT = TypeVar("ScreenT", bound=Screen)

SHELL_DIR = Path(__file__).parent
SHELL_KV = ["widgets.kv", "shell.kv", "attract.kv", "home.kv", "preparing.kv"]
SHELL_TITLES = {"attract": N_("Welcome"), "home": N_("Home")}
MAINTAINER_FEATURE = "maintainer"
"""The feature the hidden corner gesture opens (if this kiosk has it)."""
CONSENT_SCREEN = "consent"
"""The screen a first sign-in goes to (declared by the residents feature, if present)."""
SIGN_IN_SCREEN = "sign_in"


class Shell(BoxLayout):
    pass


class MaintainerCorner(Widget):
    """Invisible; holding it for ``long_press_s`` opens maintainer mode."""

    _event = None

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return bool(super().on_touch_down(touch))
        app = _app()
        touch.grab(self)
        self._event = Clock.schedule_once(
            lambda _dt: app.request_maintainer(), app.cfg.maintainer.long_press_s
        )
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            if self._event is not None:
                self._event.cancel()
                self._event = None
            return True
        return bool(super().on_touch_up(touch))


def _app() -> KioskApp:
    app = App.get_running_app()
    assert isinstance(app, KioskApp)
    return app


class KioskApp(App):
    lang = StringProperty("zh_CN")
    large = BooleanProperty(False)
    hc = BooleanProperty(False)
    """High contrast: on together with large text (one mode for low vision)."""
    u = NumericProperty(8.0)
    """One unit = 1% of the shorter window side, in pixels."""
    portrait = BooleanProperty(False)
    """The window is taller than wide (the top bar's buttons are a little narrower)."""
    screen_name = StringProperty("attract")
    screen_title = StringProperty("")
    can_go_back = BooleanProperty(False)
    resident_id = StringProperty("")
    pending_resident = StringProperty("")
    """A resident who signed in and has not yet answered the consent question."""
    can_sign_in = BooleanProperty(False)
    """This kiosk offers sign-in (the residents feature and service are there)."""
    visit_active = BooleanProperty(False)
    resident_label = StringProperty("")
    greeting = StringProperty("")
    vitals_text = StringProperty("")
    clock_text = StringProperty("")
    opening_state = StringProperty("open")
    """``open``, ``asleep`` (closed: black screen), ``notice`` (closed, touched), ``opened``."""
    closed_title = StringProperty("")
    closed_when = StringProperty("")
    """The notice shown when touched outside opening hours: "Closed now" / "We open at 6:00"."""

    __events__ = ("on_visit_end", "on_status_changed")

    def __init__(self, cfg: Config, layout: DataLayout, services: Services | None = None,
                 features: Sequence[Feature] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cfg = cfg
        self.layout = layout
        self.services = services or Services()
        self.features: list[Feature] = list(features) if features is not None else discover()
        self.home_tiles: list[Feature] = home_features(self.features, cfg.home.features)
        self._decls: dict[str, tuple[Feature, ScreenDecl]] = {
            s.name: (f, s) for f in self.features for s in f.screens}
        self._kv_loaded: set[Path] = set()
        self.lang = cfg.kiosk.language
        self.large = self.hc = cfg.kiosk.large_text
        self.title = "Community Fitness & Learning Station"
        self._history: list[str] = []
        self._last_activity = time.monotonic()
        self._last_touch = time.monotonic()
        self._nobody_since: float | None = None
        self._first_frame_logged = False
        self.sm: ScreenManager
        self.notifier = Notifier()
        self._watchdog_event: Any = None
        self.opening = OpeningController(
            cfg.hours.opening_hours(), self._screen_power(cfg),
            camera=self.services.vision, notice_s=cfg.hours.notice_s,
            touch_opens=cfg.hours.touch_opens, on_change=self._on_opening_changed)

    @staticmethod
    def _screen_power(cfg: Config) -> ScreenPower:
        """Only a full-screen kiosk (or configured commands) switches the display itself; a
        windowed one (a maintainer's or developer's desktop) just draws black when asleep."""
        h = cfg.hours
        if cfg.kiosk.fullscreen or h.screen_off_command:
            return choose_screen_power(os.environ, h.screen_off_command, h.screen_on_command)
        return BlackScreenOnly()
    # ----- helpers used from kv -------------------------------------------------
    def t(self, msgid: str, lang: str, **fmt: object) -> str:
        return tr(msgid, lang, **fmt)

    def c(self, name: str, hc: bool) -> tuple[float, float, float, float]:
        return theme.colour(name, hc)

    def fs(self, units: float, u: float, large: bool) -> float:
        return theme.font_size(units, u, large)

    def tile_colour(self, colour: Sequence[float], hc: bool) -> tuple[float, float, float, float]:
        return theme.tile_colour(colour, hc)

    # ----- life cycle -------------------------------------------------------------
    def build(self) -> Shell:
        register_widgets()
        for name in SHELL_KV:
            Builder.load_file(str(SHELL_DIR / name))
        shell = Shell()
        self.sm = shell.ids.sm
        self.sm.transition = NoTransition()
        self.sm.add_widget(AttractScreen(name="attract"))
        self.sm.add_widget(HomeScreen(name="home"))
        self.sm.bind(current=self._on_screen_changed)
        Window.bind(size=self._on_resize, on_touch_down=self._on_any_touch,
                    on_key_down=self._on_any_key)
        self._on_resize(Window, Window.size)
        Window.clearcolor = self.c("bg", self.hc)
        self.bind(hc=lambda _a, hc: setattr(Window, "clearcolor", self.c("bg", hc)))
        self.sm.current = "attract"
        self._on_screen_changed(self.sm, "attract")
        self._update_texts()
        self.bind(lang=lambda *_: self._update_texts(),
                  resident_id=lambda *_: self._update_texts(),
                  visit_active=lambda *_: self._update_texts())
        self._tick_event = Clock.schedule_interval(self._tick, 1.0)
        self._tick(0)
        self.can_sign_in = (self.services.residents is not None
                            and SIGN_IN_SCREEN in self._decls)
        return shell

    def on_start(self) -> None:
        Window.bind(on_flip=self._on_flip)
        interval = self.notifier.ping_interval_s()
        if interval is not None:  # from the main loop: a frozen loop stops pinging
            self._watchdog_event = Clock.schedule_interval(self._ping_watchdog, interval)
            self.notifier.watchdog()
        for svc in self.services:
            try:
                svc.start()
            except Exception:  # a broken part must not stop the kiosk
                log.exception("service %s failed to start", getattr(svc, "name", svc))
        self.opening.start(time.monotonic())
        from kiosk.shell import debug_hooks

        debug_hooks.install(self)
        sensors = self.services.sensors
        if sensors is not None:
            sensors.on_card = self.on_card
            sensors.on_reading = self.on_reading
            sensors.on_status = lambda: self.dispatch("on_status_changed")

    def on_stop(self) -> None:
        self.notifier.stopping()
        if self._watchdog_event is not None:
            self._watchdog_event.cancel()
        self._tick_event.cancel()
        for svc in reversed(list(self.services)):
            try:
                svc.stop()
            except Exception:
                log.exception("service %s failed to stop", getattr(svc, "name", svc))

    def _on_flip(self, *_args: object) -> None:
        if self._first_frame_logged or self.sm.current != "attract":
            return
        self._first_frame_logged = True
        started = float(os.environ.get("KIOSK_T0", "0") or 0)
        took = time.time() - started if started else float("nan")
        log.info("attract screen drawn (%.2f s after start)", took)
        self.notifier.ready(f"attract screen drawn ({self.opening.state.value})")
        if os.environ.get("KIOSK_STARTUP_PROBE") == "1":
            print(f"KIOSK_ATTRACT_DRAWN {took:.3f}", flush=True)
            sys.stdout.flush()
            Clock.schedule_once(lambda _dt: self.stop(), 0)

    def _on_resize(self, _window: object, size: tuple[int, int]) -> None:
        self.u = max(4.0, min(size) / 100.0)
        self.portrait = size[1] > size[0]

    # ----- features and their screens (built on the first visit) ----------------------
    def feature(self, feature_id: str) -> Feature | None:
        return next((f for f in self.features if f.id == feature_id), None)

    def feature_ready(self, feature: Feature) -> bool:
        """True when every service the feature needs is running on this kiosk."""
        return all(self.services.has(name) for name in feature.services)

    def screen(self, name: str) -> Screen:
        """The screen called ``name``, built now if this is its first visit."""
        if self.sm.has_screen(name):
            return self.sm.get_screen(name)
        if name not in self._decls:
            raise KeyError(f"no screen called {name!r} (features: "
                           f"{', '.join(f.id for f in self.features)})")
        feature, decl = self._decls[name]
        t0 = time.perf_counter()
        try:
            for path in feature.kv_paths(decl):
                if path not in self._kv_loaded:
                    Builder.load_file(str(path))
                    self._kv_loaded.add(path)
            module, cls_name = feature.factory_target(decl)
            cls = getattr(importlib.import_module(module), cls_name)
            screen = cls(name=name)
        except Exception:  # a broken feature must not stop the kiosk: say so on its page
            log.exception("feature %s: screen %s could not be built", feature.id, name)
            screen = PreparingScreen(name=name, body=PreparingScreen.BROKEN)
        self.sm.add_widget(screen)
        log.info("screen %s built on first visit (%.0f ms)", name,
                 (time.perf_counter() - t0) * 1000)
        return screen

    def screen_as(self, name: str, cls: type[ScreenT]) -> ScreenT:
        """``screen(name)``, checked to be a ``cls`` (typed access for the feature's own code)."""
        screen = self.screen(name)
        if not isinstance(screen, cls):
            raise TypeError(f"screen {name!r} is a {type(screen).__name__}, not a {cls.__name__}")
        return screen

    def open_feature(self, feature_id: str) -> None:
        feature = self.feature(feature_id)
        if feature is not None:
            self.go(feature.entry)

    def title_msgid(self, name: str) -> str:
        if name in SHELL_TITLES:
            return SHELL_TITLES[name]
        decl = self._decls.get(name)
        return decl[1].title if decl else name

    # ----- navigation -------------------------------------------------------------
    def go(self, name: str) -> None:
        if name == self.sm.current:
            return
        self.screen(name)
        self._history.append(self.sm.current)
        self.sm.current = name

    def replace_screen(self, name: str) -> None:
        """Show ``name`` in place of the current screen ("back" will not return to it)."""
        self.screen(name)
        self.sm.current = name

    def back(self) -> None:
        while self._history:
            prev = self._history.pop()
            decl = self._decls.get(prev)
            if decl is None or decl[1].back_returns:
                self.sm.current = prev
                return
        self.go_home()

    def back_to(self, name: str) -> None:
        """Return to ``name`` if it is in the history (dropping what came after it),
        else go there (a lesson after its practice session)."""
        if name in self._history:
            while self._history and self._history.pop() != name:
                pass
            self.screen(name)
            self.sm.current = name
        else:
            self.go(name)

    def go_home(self) -> None:
        self._history.clear()
        self.sm.current = "home" if self.visit_active else "attract"

    def _on_screen_changed(self, _sm: object, name: str) -> None:
        self._nobody_since = None  # presence is judged per camera screen
        self.screen_name = name
        self.screen_title = self.t(self.title_msgid(name), self.lang)
        self.can_go_back = name not in ("attract", "home")
        if name == "attract":
            self._history.clear()

    # ----- language and large text -------------------------------------------------
    def toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh_CN" else "zh_CN"
        self._remember_settings()

    def toggle_large(self) -> None:
        self.large = not self.large
        self.hc = self.large
        self._remember_settings()

    def _remember_settings(self) -> None:
        """A signed-in resident's language and text size go into their profile."""
        residents = self.services.residents
        if residents is not None and self.resident_id:
            residents.update_profile(self.resident_id, language=self.lang,
                                     large_text=self.large)

    def _update_texts(self) -> None:
        self.screen_title = self.t(self.title_msgid(self.screen_name), self.lang)
        if not self.visit_active:
            self.resident_label = ""
        elif self.resident_id:
            self.resident_label = self.t("Resident #{tail}", self.lang,
                                         tail=self.resident_id[-4:])
        else:
            self.resident_label = self.t("Guest", self.lang)
        if self.resident_id:
            self.greeting = self.t("Welcome back! What would you like to do?", self.lang)
        else:
            self.greeting = self.t("Welcome! What would you like to do?", self.lang)
        self._update_closed_texts()
        self._update_clock()
        self._update_vitals()

    def _tick(self, _dt: float) -> None:
        self._update_clock()
        self._update_vitals()  # a vanished oximeter must not leave a stale pulse on screen
        self._check_idle()
        # a screen other than attract is someone using the kiosk: closing waits for them
        self.opening.update(time.monotonic(), in_use=self.sm.current != "attract")

    def _ping_watchdog(self, _dt: float) -> None:
        self.notifier.watchdog()

    # ----- opening hours ---------------------------------------------------------------
    def _on_opening_changed(self, state: OpenState) -> None:
        self.opening_state = state.value
        self._update_closed_texts()

    def _update_closed_texts(self) -> None:
        if self.opening.visits_allowed:
            self.closed_title = self.closed_when = ""
            return
        self.closed_title = self.t(CLOSED, self.lang)
        self.closed_when = closed_notice(self.opening.next_opening(), self.opening.now(),
                                         self.lang)

    def _update_clock(self) -> None:
        now = self.opening.now()  # the one wall clock (the opening hours' and the tests')
        if self.lang == "zh_CN":
            weekday = "一二三四五六日"[now.weekday()]
            self.clock_text = f"{now.month}月{now.day}日 星期{weekday}  {now.hour:02d}:{now.minute:02d}"
        else:
            self.clock_text = now.strftime("%a %d %b  %H:%M")

    # ----- visits: a resident (or a guest) using the kiosk ---------------------------
    def start_visit(self, resident_id: str = "") -> None:
        """Begin a visit (card tap or touch on the attract screen) and show home.

        A signed-in resident's profile sets the language and text size."""
        residents = self.services.residents
        self.pending_resident = ""
        if residents is not None:
            residents.end_visit()
            if resident_id:
                residents.begin_visit(resident_id)
                profile = residents.profile(resident_id)
                if profile is not None:
                    if profile.language:
                        self.lang = profile.language
                    self.large = self.hc = profile.large_text
        self.resident_id = resident_id
        sync = self.services.sync
        if sync is not None:
            sync.forget_visitor()
            if resident_id:
                sync.visitor_signed_in(resident_id)  # their community view, in the background
        self.visit_active = True
        self._last_activity = self._last_touch = time.monotonic()
        self._history.clear()
        self.sm.current = "home"

    def sign_in(self, resident_id: str) -> None:
        """A resident identified themselves (card or code). The first time, they are asked
        for consent (the visit is a guest's until they accept); after, the visit is theirs."""
        residents = self.services.residents
        if residents is None or not resident_id:
            return
        if not residents.needs_consent(resident_id):
            log.info("resident signed in")
            self.start_visit(resident_id)
            return
        if CONSENT_SCREEN not in self._decls:
            log.info("a resident without consent signed in; no consent screen: a guest visit")
            self.start_visit("")
            return
        if not self.visit_active:
            self.start_visit("")
        self.pending_resident = resident_id
        self.go(CONSENT_SCREEN)

    def end_visit(self, reason: str) -> None:
        """Clear everything about the current resident from the screen; back to attract."""
        if not self.visit_active and self.sm.current == "attract":
            return
        log.info("visit ended (%s)", reason)
        self.visit_active = False
        self.dispatch("on_visit_end", reason)
        self.resident_id = ""
        self.pending_resident = ""
        residents = self.services.residents
        if residents is not None:
            residents.end_visit()
        if self.services.sync is not None:
            self.services.sync.forget_visitor()
        self.visit_active = False
        self.vitals_text = ""
        self.lang = self.cfg.kiosk.language
        self.large = self.hc = self.cfg.kiosk.large_text
        self._history.clear()
        self.sm.current = "attract"

    def on_visit_end(self, reason: str) -> None:
        """Event: screens with unsaved work (a coaching session) save it here."""

    def on_status_changed(self, *_args: object) -> None:
        """Event: a part of the kiosk changed state (the status page refreshes)."""

    def _on_any_touch(self, *_args: object) -> bool:
        self._last_activity = self._last_touch = time.monotonic()
        self._nobody_since = None
        # outside opening hours the first touch only wakes the screen: nothing under it sees it
        return self.opening.touch(self._last_activity)

    def _on_any_key(self, _window: object, key: int, *_args: object) -> bool:
        self._last_activity = time.monotonic()
        return key == 27  # Escape must not close a kiosk

    def note_activity(self) -> None:
        """Screens call this for activity that is not a touch (e.g. moving in front of the camera)."""
        self._last_activity = time.monotonic()
        self._nobody_since = None

    def note_nobody(self) -> None:
        """A camera screen sees nobody: after ``kiosk.walk_away_s`` of that (and no touch) the
        resident has walked away and the visit ends."""
        if self._nobody_since is None:
            self._nobody_since = time.monotonic()

    def idle_seconds(self) -> float:
        return time.monotonic() - self._last_activity

    def _check_idle(self) -> None:
        if self.sm.current == "attract":
            return
        if self.idle_seconds() >= self.cfg.kiosk.idle_timeout_s:
            self.end_visit("idle")
            return
        now = time.monotonic()
        away = self.cfg.kiosk.walk_away_s
        if (self._nobody_since is not None and now - self._nobody_since >= away
                and now - self._last_touch >= away):
            self.end_visit("walked away")

    # ----- maintainer mode ---------------------------------------------------------
    def request_maintainer(self) -> None:
        feature = self.feature(MAINTAINER_FEATURE)
        if feature is None:
            log.info("maintainer gesture, but this kiosk has no maintainer feature")
            return
        log.info("maintainer gesture")
        self.go(feature.entry)

    def leave_maintainer(self) -> None:
        log.info("maintainer mode left")
        self.go_home()

    # ----- sensors ---------------------------------------------------------------------
    def on_card(self, pseudonymous_id: str) -> None:
        """A resident card was tapped (UI thread). Signs in from the attract, home and
        sign-in screens (the first time, after the consent question). Outside opening
        hours a card wakes the screen like a touch."""
        if not self.opening.visits_allowed:
            self.opening.touch(time.monotonic())
            if not self.opening.visits_allowed:
                return
        if self.sm.current in ("attract", "home", SIGN_IN_SCREEN):
            log.info("resident card login")
            self.sign_in(pseudonymous_id)

    def on_reading(self, reading: Any) -> None:
        if reading.kind in ("heart_rate", "spo2", "finger"):
            self._update_vitals()

    def _update_vitals(self) -> None:
        sensors = self.services.sensors
        hr = sensors.heart_rate if sensors is not None else None
        spo2 = sensors.spo2 if sensors is not None else None
        parts = []
        if hr is not None:
            parts.append(self.t("♥ Heart rate {bpm}", self.lang, bpm=int(hr)))
        if spo2 is not None:
            parts.append(self.t("Blood oxygen {spo2}%", self.lang, spo2=int(spo2)))
        self.vitals_text = "   ".join(parts) if self.visit_active else ""
