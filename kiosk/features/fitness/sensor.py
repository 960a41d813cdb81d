"""The tests that use station devices instead of the camera: grip strength (the station's
dynamometer, each hand twice, the best counts) and weight with BMI (the scale, and the
height meter or a height typed in). Readings come from the sensors service; a reading
counts only when it arrives after the resident was asked for it."""

from __future__ import annotations

import time
from typing import Any

from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.fitness.intro import trial_name
from kiosk.features.fitness.shared import fitness_visit, save_result, say
from kiosk.features.fitness.texts import SAFETY, SIDE_NAMES, TEXTS, explain, result_line
from kiosk.features.fitness.trial import FitnessRun
from kiosk.features.residents.keypad import fill_keypad
from kiosk.i18n import N_, tr
from kiosk.session.record import local_utc_offset_min
from kiosk.shell.running import kiosk_app
from sync.fitness_norms import compare
from sync.records import GUEST, FitnessTestResult

SQUEEZE = N_("Squeeze the grip meter as hard as you can with your {side} hand, then let go.")
STEP_ON = N_("Step onto the scale and stand still.")
HEIGHT_ASK = N_("Stand under the height meter, or type your height in centimetres.")
HEIGHT_BAD = N_("Please type a height between 100 and 220 cm.")
WAITING = N_("Waiting for the reading…")


def bmi_of(weight_kg: float, height_cm: float) -> float:
    return round(weight_kg / (height_cm / 100) ** 2, 1)


class FitnessSensorScreen(Screen):
    title_text = StringProperty("")
    prompt = StringProperty("")
    reading = StringProperty("")
    results_text = StringProperty("")
    typed = StringProperty("")
    step = StringProperty("")
    """``grip``, ``weight``, ``height`` or ``done``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._event: Any = None
        self._asked_at = 0.0
        self.weight_kg: float | None = None
        self.height_cm: float | None = None
        kiosk_app().bind(on_visit_end=lambda *_: self._stop(),
                         lang=lambda *_: self._texts())

    def on_kv_post(self, base_widget: object) -> None:
        fill_keypad(self.ids.keypad, self._digit, self._clear, self._typed_height)

    def on_pre_enter(self, *args: object) -> None:
        app = kiosk_app()
        visit = fitness_visit()
        protocol = visit.protocol
        if protocol is None:
            return
        vision = app.services.vision
        visit.run = FitnessRun(protocol, vision.exercises() if vision else {},
                               kiosk_id=app.cfg.kiosk.id, resident=app.resident_id,
                               save=save_result, age_group=visit.age_group, sex=visit.sex)
        self.weight_kg = self.height_cm = None
        self.typed = self.reading = self.results_text = ""
        self.step = "grip" if protocol.id == "grip_strength" else "weight"
        self._ask()
        self._event = Clock.schedule_interval(self._poll, 0.2)

    def on_leave(self, *args: object) -> None:
        self._stop()
        self.reading = self.results_text = self.typed = ""
        self.weight_kg = self.height_cm = None

    def _stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _ask(self) -> None:
        self._asked_at = time.time()
        self._texts()
        say(f"fitness.{self.step}", self.prompt)

    def _texts(self) -> None:
        app = kiosk_app()
        lang = app.lang
        visit = fitness_visit()
        run = visit.run
        if run is None:
            return
        self.title_text = tr(TEXTS[run.protocol.id].title, lang)
        if self.step == "grip" and run.current is not None:
            side = run.current.side or "right"
            # which trial on a line of its own (it broke mid-bracket after the sentence)
            opening, closing = ("（", "）") if lang == "zh_CN" else ("(", ")")
            self.prompt = (tr(SQUEEZE, lang, side=tr(SIDE_NAMES[side], lang)) + "\n"
                           + opening + trial_name(run, lang) + closing)
        elif self.step == "weight":
            self.prompt = tr(STEP_ON, lang)
        elif self.step == "height":
            self.prompt = tr(HEIGHT_ASK, lang)
        elif self.step == "done":
            self.prompt = ""
        self.ids.safety.text = tr(SAFETY, lang)
        self._show_results()

    def _poll(self, _dt: float) -> None:
        app = kiosk_app()
        sensors = app.services.sensors
        run = fitness_visit().run
        if sensors is None or run is None:
            return
        if self.step == "grip" and run.current is not None:
            side = run.current.side or "right"
            r = sensors.latest(f"grip_{side}")
            if r is not None and r.timestamp >= self._asked_at:
                run.record_value(float(r.value))
                say("fitness.grip.value", f"{float(r.value):.1f}")
                if run.current is None:
                    self.step = "done"
                    self._stop()
                self._ask()
        elif self.step == "weight":
            r = sensors.latest("weight")
            if r is not None and r.timestamp >= self._asked_at and float(r.value) > 20:
                self.weight_kg = round(float(r.value), 1)
                self.step = "height"
                self._ask()
        elif self.step == "height":
            r = sensors.latest("height")
            if r is not None and r.timestamp >= self._asked_at:
                self._got_height(float(r.value))
        self.reading = self._reading_text()

    def _reading_text(self) -> str:
        app = kiosk_app()
        parts = []
        if self.weight_kg is not None:
            parts.append(app.t("Weight {kg} kg", app.lang, kg=f"{self.weight_kg:.1f}"))
        if self.height_cm is not None:
            parts.append(app.t("Height {cm} cm", app.lang, cm=f"{self.height_cm:.0f}"))
        if self.step in ("grip", "weight", "height") and not parts:
            parts.append(app.t(WAITING, app.lang))
        return "   ".join(parts)

    # -- height typed in -----------------------------------------------------------------------
    def _digit(self, d: str) -> None:
        if self.step == "height" and len(self.typed) < 3:
            self.typed += d

    def _clear(self) -> None:
        self.typed = ""

    def _typed_height(self) -> None:
        if self.step != "height":
            return
        value = int(self.typed) if self.typed.isdigit() else 0
        if not 100 <= value <= 220:
            app = kiosk_app()
            self.prompt = app.t(HEIGHT_BAD, app.lang)
            self.typed = ""
            return
        self._got_height(float(value))

    def _got_height(self, cm: float) -> None:
        self.height_cm = round(cm, 1)
        run = fitness_visit().run
        if run is None or self.weight_kg is None:
            return
        bmi = bmi_of(self.weight_kg, self.height_cm)
        run.record_value(bmi)
        app = kiosk_app()
        now = run.records[None].measured_at if None in run.records else None
        for test, value, unit in (("body_weight", self.weight_kg, "kg"),
                                  ("body_height", self.height_cm, "cm")):
            rec = FitnessTestResult(
                kiosk_id=app.cfg.kiosk.id, resident=app.resident_id or GUEST, test=test,
                value=value, unit=unit, measured_at=now or run.records[None].measured_at,
                utc_offset_min=local_utc_offset_min(), device="scale",
                age_group=run.age_group, sex=run.sex)
            save_result(rec, lambda _err: None)
        self.step = "done"
        self._stop()
        self._texts()
        self.reading = self._reading_text()
        say("fitness.bmi.value", self.results_text)

    def _show_results(self) -> None:
        app = kiosk_app()
        lang = app.lang
        visit = fitness_visit()
        run = visit.run
        if run is None:
            return
        lines = []
        for side, out in run.results():
            if out.value is None:
                continue
            lines.append(result_line(run.protocol.id, out.value, side, lang))
            said, _sources = explain(compare(run.protocol.id, out.value, visit.age_group,
                                             visit.sex), visit.age_group, visit.sex, lang)
            lines.extend(said)
        self.results_text = "\n".join(lines)

    def done(self) -> None:
        kiosk_app().go("fitness")
