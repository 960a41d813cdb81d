"""Before a test: what it measures, how to do it (written and spoken), a looping
demonstration of the movement, the safety notices, and Start (the practice first where the
protocol has one). The step test does not start when the oximeter reads a low SpO2."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.fitness.shared import fitness_visit, save_result, say
from kiosk.features.fitness.texts import CHAIR, SAFETY, SIDE_NAMES, STOP_ANY_TIME, TEXTS
from kiosk.features.fitness.trial import FitnessRun
from kiosk.i18n import N_, tr
from kiosk.shell.running import kiosk_app
from vision.sim_fitness import demo_pose_at

LOW_SPO2 = N_("Your blood oxygen reads {spo2}%. Please rest; the step test is not for today. If you feel unwell, tell the staff or call your doctor.")
PULSE_HINT = N_("If you put a finger in the pulse meter, your heart rate is shown during the test.")
TRIAL_NAMES = {
    "practice": N_("Practice"),
    "side": N_("Standing on the {side} leg"),
    "hand": N_("{side} hand"),
    "number": N_("Trial {n} of {of}"),
}


def trial_name(run: FitnessRun, lang: str) -> str:
    plan = run.current
    if plan is None:
        return ""
    if plan.practice:
        return tr(TRIAL_NAMES["practice"], lang)
    parts = []
    if plan.side is not None:
        key = "hand" if run.protocol.device == "station" else "side"
        parts.append(tr(TRIAL_NAMES[key], lang, side=tr(SIDE_NAMES[plan.side], lang)))
    if run.protocol.trials > 1:
        parts.append(tr(TRIAL_NAMES["number"], lang, n=plan.number, of=run.protocol.trials))
    return "  ·  ".join(parts)


class FitnessIntroScreen(Screen):
    title_text = StringProperty("")
    measures = StringProperty("")
    trial_text = StringProperty("")
    refusal = StringProperty("")
    can_start = BooleanProperty(True)
    practice_next = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        kiosk_app().bind(lang=lambda *_: self._fill() if self.manager and
                         self.manager.current == self.name else None)

    def on_pre_enter(self, *args: object) -> None:
        visit = fitness_visit()
        protocol = visit.protocol
        if protocol is None:
            return
        app = kiosk_app()
        if visit.run is None or visit.run.protocol is not protocol:
            vision = app.services.vision
            visit.run = FitnessRun(
                protocol, vision.exercises() if vision else {}, kiosk_id=app.cfg.kiosk.id,
                resident=app.resident_id, save=save_result, age_group=visit.age_group,
                sex=visit.sex, stop_after_s=app.cfg.fitness.stop_after_s)
        self._fill()
        texts = TEXTS[protocol.id]
        lang = app.lang
        spoken = [tr(texts.title, lang)] + [tr(s, lang) for s in texts.steps] + [tr(SAFETY, lang)]
        say(f"fitness.{protocol.id}.intro", " ".join(spoken))

    def on_enter(self, *args: object) -> None:
        self.ids.demo.start()

    def on_leave(self, *args: object) -> None:
        self.ids.demo.stop()

    def _fill(self) -> None:
        visit = fitness_visit()
        protocol, run = visit.protocol, visit.run
        if protocol is None or run is None:
            return
        app = kiosk_app()
        lang = app.lang
        texts = TEXTS[protocol.id]
        self.title_text = tr(texts.title, lang)
        self.measures = tr(texts.measures, lang)
        plan = run.current
        self.practice_next = plan is not None and plan.practice
        self.trial_text = trial_name(run, lang)
        side = plan.side if plan is not None and plan.side else "right"
        self.ids.demo.pose_at = demo_pose_at(protocol.id, side)
        steps = self.ids.steps
        steps.clear_widgets()
        sep = "．" if lang == "zh_CN" else ".  "  # no break between a number and Chinese text
        for i, step in enumerate(texts.steps, start=1):
            label = Factory.KLabel(text=f"{i}{sep}{tr(step, lang)}")
            label.units = 3.4
            steps.add_widget(label)
        notes = [tr(SAFETY, lang)]
        if protocol.chair or protocol.balance:
            notes.append(tr(CHAIR, lang))
        notes.append(tr(STOP_ANY_TIME, lang))
        if protocol.heart_rate:
            notes.append(tr(PULSE_HINT, lang))
        self.ids.safety.text = "\n".join(notes)
        if self.practice_next and texts.practice:
            self.ids.practice_note.text = tr(texts.practice, lang)
        else:
            self.ids.practice_note.text = ""
        self._check_spo2()

    def _check_spo2(self) -> None:
        visit = fitness_visit()
        app = kiosk_app()
        self.refusal, self.can_start = "", True
        if visit.protocol is None or not visit.protocol.heart_rate:
            return
        sensors = app.services.sensors
        spo2 = sensors.spo2 if sensors is not None else None
        if spo2 is not None and spo2 < app.cfg.fitness.min_spo2:
            self.refusal = app.t(LOW_SPO2, app.lang, spo2=int(spo2))
            self.can_start = False

    def start(self) -> None:
        self._check_spo2()
        if not self.can_start:
            say("fitness.low_spo2", self.refusal)
            return
        kiosk_app().go("fitness_run")

    def skip_practice(self) -> None:
        run = fitness_visit().run
        if run is not None and run.current is not None and run.current.practice:
            run.advance()
        self._fill()
