"""After a trial: what was measured, in plain words against the norms for the resident's age
group and sex (with the band drawn and the sources named), whether it was saved, and what
comes next (the test after the practice, the other leg, the second trial, try again, done).
A trial that was stopped says why and stores nothing."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.fitness.intro import trial_name
from kiosk.features.fitness.shared import fitness_visit, say
from kiosk.features.fitness.texts import NOT_SAVED_GUEST, STOPPED, TEXTS, explain, result_line
from kiosk.i18n import N_, tr
from kiosk.shell.running import kiosk_app
from sync.fitness_norms import compare, normal_range

PRACTICE_DONE = N_("Practice done. Now the test.")
SAVED = N_("Saved in My records.")
SAVING = N_("Saving…")
NOT_SAVED = N_("The result could not be saved.")


class FitnessResultScreen(Screen):
    heading = StringProperty("")
    value_text = StringProperty("")
    stop_text = StringProperty("")
    saved_text = StringProperty("")
    next_text = StringProperty("")
    can_retry = BooleanProperty(False)
    has_next = BooleanProperty(False)
    saved_ok = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = kiosk_app()
        app.bind(lang=lambda *_: self.refresh() if self.manager and
                 self.manager.current == self.name else None,
                 on_visit_end=lambda *_: self._clear())
        self._spoken = False

    def on_pre_enter(self, *args: object) -> None:
        self._spoken = False
        self.refresh()

    def on_leave(self, *args: object) -> None:
        self._clear()

    def _clear(self) -> None:
        self.heading = self.value_text = self.stop_text = self.saved_text = ""
        self.ids.lines.clear_widgets()
        self.ids.sources.text = ""
        self.ids.band.set_band(None, None, None)

    def refresh(self) -> None:
        visit = fitness_visit()
        run, trial = visit.run, visit.trial
        if run is None or trial is None or trial.outcome is None:
            return
        app = kiosk_app()
        lang = app.lang
        out = trial.outcome
        protocol = run.protocol
        self.heading = tr(TEXTS[protocol.id].title, lang)
        lines = self.ids.lines
        lines.clear_widgets()
        self.ids.band.set_band(None, None, None)
        self.ids.sources.text = ""
        self.stop_text = ""
        self.value_text = ""
        if out.plan.practice:
            self.value_text = (result_line(protocol.id, out.value, None, lang)
                               if out.value is not None and out.reason != "stopped" else "")
            self.stop_text = tr(STOPPED[out.reason], lang) if out.reason in STOPPED and \
                out.reason != "time limit" and not out.counts and out.stop else ""
            lines.add_widget(Factory.KLabel(text=tr(PRACTICE_DONE, lang)))
        elif not out.counts:
            self.stop_text = tr(STOPPED.get(out.reason, STOPPED["stopped"]), lang)
        else:
            assert out.value is not None
            self.value_text = result_line(protocol.id, out.value, out.plan.side, lang)
            c = compare(protocol.id, out.value, visit.age_group, visit.sex)
            said, sources = explain(c, visit.age_group, visit.sex, lang)
            for line in said:
                label = Factory.KLabel(text=line)
                label.units = 3.8
                lines.add_widget(label)
            self.ids.sources.text = "\n".join(sources)
            band = normal_range(protocol.id, visit.age_group, visit.sex)
            if band is not None:
                self.ids.band.set_band(band.low, band.high, out.value)
            if not self._spoken:
                self._spoken = True
                say(f"fitness.{protocol.id}.result", " ".join([self.value_text, *said[:1]]))
        saved = run.saved.get(out.plan.side, False) if out.counts else False
        self.saved_ok = bool(saved) and bool(app.resident_id)
        if not out.counts or out.plan.practice:
            self.saved_text = ""
        elif not app.resident_id:
            self.saved_text = tr(NOT_SAVED_GUEST, lang)
        elif saved is None:
            self.saved_text = tr(SAVING, lang)
        else:
            self.saved_text = tr(SAVED if saved else NOT_SAVED, lang)
        self.can_retry = not out.counts and not out.plan.practice
        self.has_next = run.current is not None and not self.can_retry
        self.next_text = ""
        if run.current is not None:
            if run.current.practice:
                self.next_text = tr(N_("Start the practice"), lang)
            else:
                self.next_text = (tr(N_("Next: {trial}"), lang, trial=trial_name(run, lang))
                                  if run.protocol.trials > 1 or run.protocol.sides
                                  else tr(N_("Start the test"), lang))
        if run.saved and any(v is None for v in run.saved.values()):
            from kivy.clock import Clock

            Clock.schedule_once(lambda _dt: self.refresh() if self.manager and
                                self.manager.current == self.name else None, 0.3)

    def next_trial(self) -> None:
        kiosk_app().go("fitness_run")

    def retry(self) -> None:
        kiosk_app().go("fitness_run")

    def done(self) -> None:
        visit = fitness_visit()
        if visit.run is not None:
            visit.run.skip_rest()
        kiosk_app().go("fitness")
