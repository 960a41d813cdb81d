"""The Kivy application: the touch shell that every feature screen lives in.

Why this module exists: it owns what is the same on every screen — language,
large-text/high-contrast mode, back and home, the idle timeout that clears a
resident's data, the hidden way into maintainer mode — and it starts and stops
the Kivy-free services (sensors, store, sync, camera) that feed the screens.
Import it only after ``kiosk.kivy_env.prepare`` has set Kivy's environment.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, Screen
from kivy.uix.widget import Widget

from kiosk import theme
from kiosk.config import Config
from kiosk.i18n import tr
from kiosk.screens.attract import AttractScreen
from kiosk.screens.feature import FeatureScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.maintainer import MaintainerScreen
from kiosk.screens.pin import PinScreen
from kiosk.screens.records import RecordsScreen
from kiosk.services.base import Service, StatusRow
from kiosk.texts import STATUS_AREAS, TITLES
from kiosk.widgets.exercise_thumb import ExerciseThumb  # noqa: F401  (registers for kv)
from kiosk.widgets.movement_chart import MovementChart  # noqa: F401
from kiosk.widgets.pose_view import PoseView  # noqa: F401
from kiosk.widgets.progress_ring import ProgressRing  # noqa: F401

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).parent / "kv"
KV_FILES = ["widgets.kv", "shell.kv", "attract.kv", "home.kv", "feature.kv", "records.kv",
            "pin.kv", "maintainer.kv", "choose.kv", "coach.kv", "summary.kv"]
# Screens that "back" skips: going back into them would restart what just ended.
NO_BACK = {"pin", "coach"}

PIN_MAX_ATTEMPTS = 5
PIN_LOCKOUT_S = 60.0

ScreenFactory = Callable[[], Screen]


def _feature(name: str, heading: str) -> ScreenFactory:
    return lambda: FeatureScreen(name=name, heading=heading)


DEFAULT_SCREENS: dict[str, ScreenFactory] = {
    "attract": AttractScreen,
    "home": HomeScreen,
    "exercise": _feature("exercise", "Exercise"),
    "lessons": _feature("lessons", "Lessons"),
    "fitness": _feature("fitness", "Fitness test"),
    "records": RecordsScreen,
    "pin": PinScreen,
    "maintainer": MaintainerScreen,
}


class Shell(BoxLayout):
    pass


class MaintainerCorner(Widget):
    """Invisible; holding it for ``long_press_s`` opens the PIN screen."""

    _event = None

    def on_touch_down(self, touch):  # type: ignore[no-untyped-def]
        if not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        app = App.get_running_app()
        touch.grab(self)
        self._event = Clock.schedule_once(
            lambda _dt: app.request_maintainer(), app.cfg.maintainer.long_press_s
        )
        return True

    def on_touch_up(self, touch):  # type: ignore[no-untyped-def]
        if touch.grab_current is self:
            touch.ungrab(self)
            if self._event is not None:
                self._event.cancel()
                self._event = None
            return True
        return super().on_touch_up(touch)


class KioskApp(App):
    lang = StringProperty("zh_CN")
    large = BooleanProperty(False)
    hc = BooleanProperty(False)
    """High contrast: on together with large text (one mode for low vision)."""
    u = NumericProperty(8.0)
    """One unit = 1% of the shorter window side, in pixels."""
    screen_name = StringProperty("attract")
    screen_title = StringProperty("")
    can_go_back = BooleanProperty(False)
    resident_id = StringProperty("")
    visit_active = BooleanProperty(False)
    resident_label = StringProperty("")
    greeting = StringProperty("")
    vitals_text = StringProperty("")
    clock_text = StringProperty("")

    __events__ = ("on_visit_end",)

    def __init__(self, cfg: Config, data_dir: Path, services: Iterable[Service] = (),
                 screens: dict[str, ScreenFactory] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cfg = cfg
        self.data_dir = data_dir
        self.services: list[Service] = list(services)
        self.screen_factories = dict(DEFAULT_SCREENS, **(screens or {}))
        self.lang = cfg.kiosk.language
        self.large = self.hc = cfg.kiosk.large_text
        self.title = "Community Fitness & Learning Station"
        self._history: list[str] = []
        self._last_activity = time.monotonic()
        self._pin_failures = 0
        self._pin_locked_until = 0.0
        self._first_frame_logged = False
        self.records_provider: Callable[[str, str], list[str]] | None = None

    # ----- helpers used from kv -------------------------------------------------
    def t(self, msgid: str, lang: str, **fmt: object) -> str:
        return tr(msgid, lang, **fmt)

    def c(self, name: str, hc: bool) -> tuple[float, float, float, float]:
        return theme.colour(name, hc)

    def fs(self, units: float, u: float, large: bool) -> float:
        return theme.font_size(units, u, large)

    # ----- life cycle -------------------------------------------------------------
    def build(self) -> Shell:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        shell = Shell()
        self.sm = shell.ids.sm
        self.sm.transition = NoTransition()
        for factory in self.screen_factories.values():
            self.sm.add_widget(factory())
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
        return shell

    def on_start(self) -> None:
        Window.bind(on_flip=self._on_flip)
        for svc in self.services:
            try:
                svc.start()
            except Exception:  # a broken part must not stop the kiosk
                log.exception("service %s failed to start", getattr(svc, "name", svc))
        sensors = self.service("sensors")
        if sensors is not None:
            sensors.on_card = self.on_card
            sensors.on_reading = self.on_reading
            sensors.on_status = self._refresh_status_page
        if self.service("store") is not None and self.records_provider is None:
            self.records_provider = self._records_from_store

    def on_stop(self) -> None:
        self._tick_event.cancel()
        for svc in self.services:
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
        if os.environ.get("KIOSK_STARTUP_PROBE") == "1":
            print(f"KIOSK_ATTRACT_DRAWN {took:.3f}", flush=True)
            sys.stdout.flush()
            Clock.schedule_once(lambda _dt: self.stop(), 0)

    def _on_resize(self, _window: object, size: tuple[int, int]) -> None:
        self.u = max(4.0, min(size) / 100.0)

    # ----- navigation -------------------------------------------------------------
    def go(self, name: str) -> None:
        if name == self.sm.current:
            return
        self._history.append(self.sm.current)
        self.sm.current = name

    def back(self) -> None:
        while self._history:
            prev = self._history.pop()
            if prev not in NO_BACK:
                self.sm.current = prev
                return
        self.go_home()

    def go_home(self) -> None:
        self._history.clear()
        self.sm.current = "home" if self.visit_active else "attract"

    def _on_screen_changed(self, _sm: object, name: str) -> None:
        self.screen_name = name
        self.screen_title = self.t(TITLES.get(name, name), self.lang)
        self.can_go_back = name not in ("attract", "home")
        if name == "attract":
            self._history.clear()

    # ----- language and large text -------------------------------------------------
    def toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh_CN" else "zh_CN"

    def toggle_large(self) -> None:
        self.large = not self.large
        self.hc = self.large

    def _update_texts(self) -> None:
        self.screen_title = self.t(TITLES.get(self.screen_name, self.screen_name), self.lang)
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
        self._update_clock()
        self._update_vitals()

    def _tick(self, _dt: float) -> None:
        self._update_clock()
        self._update_vitals()  # a vanished oximeter must not leave a stale pulse on screen
        self._check_idle()

    def _update_clock(self) -> None:
        now = time.localtime()
        if self.lang == "zh_CN":
            weekday = "一二三四五六日"[now.tm_wday]
            self.clock_text = f"{now.tm_mon}月{now.tm_mday}日 星期{weekday}  {now.tm_hour:02d}:{now.tm_min:02d}"
        else:
            self.clock_text = time.strftime("%a %d %b  %H:%M", now)

    # ----- visits: a resident (or a guest) using the kiosk ---------------------------
    def start_visit(self, resident_id: str = "") -> None:
        """Begin a visit (card tap or touch on the attract screen) and show home."""
        self.resident_id = resident_id
        self.visit_active = True
        self._last_activity = time.monotonic()
        self._history.clear()
        self.sm.current = "home"

    def end_visit(self, reason: str) -> None:
        """Clear everything about the current resident from the screen; back to attract."""
        if not self.visit_active and self.sm.current == "attract":
            return
        log.info("visit ended (%s)", reason)
        self.visit_active = False
        self.dispatch("on_visit_end", reason)
        self.resident_id = ""
        self.visit_active = False
        self.vitals_text = ""
        self.lang = self.cfg.kiosk.language
        self.large = self.hc = self.cfg.kiosk.large_text
        self._history.clear()
        self.sm.current = "attract"

    def on_visit_end(self, reason: str) -> None:
        """Event: screens with unsaved work (a coaching session) save it here."""

    def _on_any_touch(self, *_args: object) -> None:
        self._last_activity = time.monotonic()

    def _on_any_key(self, _window: object, key: int, *_args: object) -> bool:
        self._last_activity = time.monotonic()
        return key == 27  # Escape must not close a kiosk

    def note_activity(self) -> None:
        """Screens call this for activity that is not a touch (e.g. moving in front of the camera)."""
        self._last_activity = time.monotonic()

    def idle_seconds(self) -> float:
        return time.monotonic() - self._last_activity

    def _check_idle(self) -> None:
        if self.sm.current == "attract":
            return
        if self.idle_seconds() >= self.cfg.kiosk.idle_timeout_s:
            self.end_visit("idle")

    # ----- maintainer mode ---------------------------------------------------------
    def request_maintainer(self) -> None:
        log.info("maintainer gesture")
        self.go("pin")

    def check_pin(self, pin: str) -> tuple[bool, str]:
        now = time.monotonic()
        if now < self._pin_locked_until:
            return False, self.t("Too many wrong PINs. Try again in a minute.", self.lang)
        if pin == self.cfg.maintainer.pin:
            self._pin_failures = 0
            log.info("maintainer mode entered")
            self.sm.current = "maintainer"
            return True, ""
        self._pin_failures += 1
        log.warning("wrong maintainer PIN (%d in a row)", self._pin_failures)
        if self._pin_failures >= PIN_MAX_ATTEMPTS:
            self._pin_failures = 0
            self._pin_locked_until = now + PIN_LOCKOUT_S
            return False, self.t("Too many wrong PINs. Try again in a minute.", self.lang)
        return False, self.t("Wrong PIN. Please try again.", self.lang)

    def _refresh_status_page(self) -> None:
        if self.sm.current == "maintainer":
            self.sm.current_screen.refresh()

    def leave_maintainer(self) -> None:
        log.info("maintainer mode left")
        self.go_home()

    def status_rows(self) -> list[StatusRow]:
        rows: list[StatusRow] = []
        for svc in self.services:
            try:
                rows.extend(svc.status())
            except Exception as exc:  # the page must show a broken part, not crash
                rows.append(StatusRow(getattr(svc, "name", "?"), "", "error", repr(exc)))
        present = {r.area for r in rows}
        for area in STATUS_AREAS:
            if area not in present:
                rows.append(StatusRow(area, "", "not_available_yet",
                                      self.t("Not yet available on this kiosk", self.lang)))
        order = {a: i for i, a in enumerate(STATUS_AREAS)}
        return sorted(rows, key=lambda r: order.get(r.area, len(order)))

    def service(self, name: str) -> Any:
        """The running service called ``name`` (store, sync, sensors, vision), or None."""
        return next((s for s in self.services if getattr(s, "name", None) == name), None)

    # ----- sensors ---------------------------------------------------------------------
    def on_card(self, pseudonymous_id: str) -> None:
        """A resident card was tapped (UI thread). Logs in from the attract or home screen."""
        if self.sm.current in ("attract", "home"):
            log.info("resident card login")
            self.start_visit(resident_id=pseudonymous_id)

    def on_reading(self, reading: Any) -> None:
        if reading.kind in ("heart_rate", "spo2", "finger"):
            self._update_vitals()

    def _update_vitals(self) -> None:
        sensors = self.service("sensors")
        hr = sensors.heart_rate if sensors is not None else None
        spo2 = sensors.spo2 if sensors is not None else None
        parts = []
        if hr is not None:
            parts.append(self.t("♥ Heart rate {bpm}", self.lang, bpm=int(hr)))
        if spo2 is not None:
            parts.append(self.t("Blood oxygen {spo2}%", self.lang, spo2=int(spo2)))
        self.vitals_text = "   ".join(parts) if self.visit_active else ""

    # ----- records -----------------------------------------------------------------
    def records_for_resident(self) -> list[str]:
        if not self.resident_id or self.records_provider is None:
            return []
        try:
            return self.records_provider(self.resident_id, self.lang)
        except Exception:  # a broken store must not break the screen
            log.exception("could not read records")
            return []

    def _records_from_store(self, resident: str, lang: str) -> list[str]:
        from datetime import timedelta

        from kiosk.i18n import pick

        store = self.service("store")
        if store is None or not store.available:
            return []
        titles = self._exercise_titles()
        lines = []
        for rec in store.store.recent("exercise_session", limit=30, resident=resident):
            when = rec.ended_at + timedelta(minutes=rec.utc_offset_min)
            name = pick(titles.get(rec.exercise, {"en": rec.exercise}), lang)
            unit = "{n} seconds" if rec.unit == "s" else "{n} times"
            lines.append(self.t("{when}  {exercise}  {amount}", lang,
                                when=when.strftime("%Y-%m-%d %H:%M"), exercise=name,
                                amount=self.t(unit, lang, n=int(rec.value))))
        return lines

    def _exercise_titles(self) -> dict[str, dict[str, str]]:
        vision = self.service("vision")
        specs = vision.exercises() if vision is not None else {}
        return {n: spec.text("title") for n, spec in specs.items()}
