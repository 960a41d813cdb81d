"""A fitness test trial on screen: the camera picture with the skeleton, a large clock, the
count, the live heart rate (step test), Stop always visible, a spoken start and stop.

Why this module exists: it connects the camera (a ``LiveEngine`` on its own thread) to the
trial (``trial.FitnessTrial``, Kivy-free) on the UI thread. Engine updates are queued in
order (the timers and the safety watch see every frame; only the newest picture is kept)
and handed to the trial once per drawn frame; the trial's clock is the frames' own time.
When the trial ends (time up, the foot down, seated again, Stop, or the safety watch) the
result screen shows what happened.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import replace
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.fitness.intro import trial_name
from kiosk.features.fitness.shared import fitness_visit, say
from kiosk.features.fitness.texts import TEXTS
from kiosk.features.fitness.trial import FitnessTrial, TrialPlan
from kiosk.i18n import N_, spoken_number, text, tr
from kiosk.session.flow import GO, Phase, Say
from kiosk.shell.running import kiosk_app
from vision.engine import EngineUpdate
from vision.fitness_tests import Protocol
from vision.live import LiveEngine
from vision.sim_fitness import TEST_OF_PROTOCOL
from vision.tug import TugPhase

log = logging.getLogger(__name__)

NO_CAMERA = N_("The camera is not available right now. Please try again later.")
STOP_WORD = N_("Stop!")
TUG_PHASES = {
    TugPhase.SEATED: N_("Seated"),
    TugPhase.STANDING_UP: N_("Standing up"),
    TugPhase.WALKING_OUT: N_("Walking to the marker"),
    TugPhase.TURNING: N_("Turning"),
    TugPhase.WALKING_BACK: N_("Walking back"),
    TugPhase.SITTING_DOWN: N_("Sitting down"),
    TugPhase.DONE: N_("Seated"),
}
QUEUE = 240
"""Updates waiting for the UI thread (8 s of frames); older ones are dropped if it stalls."""


def demo_source(protocol: Protocol, plan: TrialPlan) -> str:
    """The simulated person taking this trial, for a kiosk without a camera."""
    test = TEST_OF_PROTOCOL[protocol.id]
    if protocol.kind.time_limited:
        count = 40 if test == "step_test" else 12
        period = 1.4 if test == "step_test" else 2.4
        if plan.practice:
            count = 2
        return f"simfit:{test}?count={count}&period={period}&lead_in=6&tail=20"
    if test == "stance":
        return f"simfit:stance?hold=12&side={plan.side or 'right'}&lead_in=6"
    return "simfit:tug?lead_in=6"


class FitnessRunScreen(Screen):
    clock_text = StringProperty("")
    count_text = StringProperty("")
    caption = StringProperty("")
    trial_text = StringProperty("")
    banner = StringProperty("")
    banner_kind = StringProperty("framing")
    big_text = StringProperty("")
    heart_text = StringProperty("")
    phase = StringProperty("idle")
    progress = NumericProperty(0.0)
    running = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.make_source = demo_source
        """``make_source(protocol, plan) -> source spec`` when the kiosk simulates the camera
        (tests give their own)."""
        self.trial: FitnessTrial | None = None
        self.live: LiveEngine | None = None
        self._lock = threading.Lock()
        self._queue: deque[EngineUpdate] = deque(maxlen=QUEUE)
        self._event: Any = None
        self._spoken_count = 0
        app = kiosk_app()
        app.bind(on_visit_end=self._on_visit_end, lang=lambda *_: self._render())

    # -- life cycle -------------------------------------------------------------------------
    def on_enter(self, *args: object) -> None:
        visit = fitness_visit()
        run = visit.run
        app = kiosk_app()
        if run is None or run.current is None:
            app.go("fitness")
            return
        self._reset_view()
        plan = run.current
        self.trial_text = trial_name(run, app.lang)
        vision = app.services.vision
        aspect = app.cfg.camera.width / app.cfg.camera.height
        try:
            if vision is None:
                raise RuntimeError("this kiosk has no camera service")
            source = vision.resolve_source()
            if source == "sim":
                source = self.make_source(run.protocol, plan)
                aspect = 640 / 480
            trial = run.new_trial(aspect=aspect, on_change=self._trial_changed)
            self.trial = trial
            visit.trial = trial
            self.live = vision.make_live(trial.flow.spec, int(trial.flow.target or 0),
                                         self._on_update, source=source)
            self.live.start()
        except Exception as exc:  # camera gone, worker failed: say so, do not crash
            log.exception("could not start the fitness test")
            self.live = None
            self.trial = None
            self.banner, self.banner_kind = app.t(NO_CAMERA, app.lang), "cue"
            self.big_text = ""
            self.caption = str(exc)[:120]
            return
        self.trial.start(self.live)
        self.running = True
        self._event = Clock.schedule_interval(self._apply, 0)
        self._render()

    def on_leave(self, *args: object) -> None:
        if self.trial is not None and not self.trial.finished:
            self._drain()
            self.trial.abandon("left the screen")
        self._shutdown()
        self._reset_view()

    def _reset_view(self) -> None:
        with self._lock:
            self._queue.clear()
        self.clock_text = self.count_text = self.caption = self.banner = ""
        self.big_text = self.heart_text = ""
        self.progress = 0.0
        self._spoken_count = 0
        self.ids.view.clear()
        self.ids.view.mirror = False  # the live engine mirrors picture and landmarks itself

    def _shutdown(self) -> None:
        self.running = False
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if self.live is not None:
            try:
                self.live.stop()
            except Exception:
                log.exception("stopping the live engine failed")
            self.live = None

    # -- from the vision thread -----------------------------------------------------------------
    def _on_update(self, update: EngineUpdate) -> None:
        with self._lock:
            if self._queue and self._queue[-1].frame is not None:
                last = self._queue.pop()  # only the newest picture is kept
                self._queue.append(replace(last, frame=None))
            self._queue.append(update)

    # -- on the UI thread ---------------------------------------------------------------------------
    def _drain(self) -> EngineUpdate | None:
        with self._lock:
            updates = list(self._queue)
            self._queue.clear()
        trial = self.trial
        if trial is None:
            return updates[-1] if updates else None
        for u in updates:
            trial.update(u)
        return updates[-1] if updates else None

    def _apply(self, _dt: float) -> None:
        trial = self.trial
        if trial is None:
            return
        latest = self._drain()
        app = kiosk_app()
        live = self.live
        if latest is None and live is not None and live.ended.is_set():
            # the source ran out (a recording, a simulation): the clock goes on by itself
            trial.tick(trial.now + _dt)
        else:
            trial.tick()
        if latest is not None:
            view = self.ids.view
            view.show(latest.frame, latest.landmarks)
            if latest.person_visible:
                app.note_activity()
            else:
                app.note_nobody()
        sensors = app.services.sensors
        bpm = sensors.heart_rate if sensors is not None else None
        if bpm is not None:
            trial.flow.add_heart_rate(bpm)
        self.heart_text = app.t("♥ {bpm} per minute", app.lang, bpm=int(bpm)) \
            if bpm and trial.protocol.heart_rate else ""
        self._speak(trial.flow.take_speech())
        self._render()
        if trial.finished:
            self._finished()

    def _trial_changed(self, trial: FitnessTrial) -> None:
        if trial is self.trial:
            self.phase = trial.phase.value

    # -- drawing -------------------------------------------------------------------------------
    def _render(self) -> None:
        trial = self.trial
        if trial is None:
            return
        app = kiosk_app()
        lang = app.lang
        flow = trial.flow
        protocol = trial.protocol
        if flow.phase is Phase.COUNTDOWN:
            self.big_text = str(flow.countdown)
        elif flow.go_until is not None and trial.now < flow.go_until:
            self.big_text = text(GO, lang)
        else:
            self.big_text = ""
        banner = flow.banner
        self.banner = text(banner.cue, lang, spec=flow.spec) if banner is not None else ""
        self.banner_kind = banner.kind if banner is not None else "framing"
        remaining = trial.remaining_s()
        if flow.measuring or trial.finished:
            if remaining is not None and not protocol.kind.holds:
                secs = int(remaining + 0.999)
                self.clock_text = f"{secs // 60}:{secs % 60:02d}"
                self.progress = 1 - remaining / (flow.time_limit_s or 1)
            else:
                self.clock_text = f"{trial.elapsed_s():.1f}"
                limit = flow.time_limit_s or 0
                self.progress = trial.elapsed_s() / limit if protocol.kind.holds and limit else 0
        else:
            self.clock_text = ""
            self.progress = 0.0
        if protocol.kind.counts_reps:
            self.count_text = str(trial.count)
            self.caption = tr(TEXTS[protocol.id].counting, lang)
        elif protocol.kind.holds:
            self.count_text = ""
            self.caption = app.t("Seconds on one leg", lang)
        else:
            phase = trial.tug_phase
            self.count_text = ""
            self.caption = app.t(TUG_PHASES[phase], lang) if phase is not None else ""

    def _speak(self, items: list[Say]) -> None:
        lang = kiosk_app().lang
        trial = self.trial
        for item in items:
            if item.number is not None:
                if trial is not None and trial.flow.measuring and trial.protocol.id == \
                        "step_test_2min" and item.number % 10:
                    continue  # two minutes of counting aloud would drown the room: every 10th
                said = spoken_number(item.number, lang)
            elif item.cue is not None and trial is not None:
                said = text(item.cue, lang, spec=trial.flow.spec)
            else:
                said = text(item.msgid or "", lang)
            say(item.key, said)

    # -- buttons ------------------------------------------------------------------------------
    def stop_now(self) -> None:
        """Stop is always there: the trial ends at once, nothing is stored."""
        trial = self.trial
        if trial is None or trial.finished:
            self._shutdown()
            kiosk_app().go("fitness")
            return
        self._drain()
        trial.stop()
        self._finished()

    # -- finishing -------------------------------------------------------------------------------
    def _on_visit_end(self, _app: Any, reason: str) -> None:
        if self.trial is not None and not self.trial.finished:
            self._drain()
            self.trial.abandon(f"visit ended ({reason})")
        self._shutdown()
        self.trial = None

    def _finished(self) -> None:
        trial = self.trial
        self._shutdown()
        if trial is None or trial.outcome is None:
            return
        app = kiosk_app()
        visit = fitness_visit()
        run = visit.run
        if run is not None:
            run.trial_finished(trial)
            if trial.outcome.counts or trial.outcome.plan.practice:
                run.advance()  # a trial that did not count can be done again
        say("fitness.stop", app.t(STOP_WORD, app.lang))
        self.trial = None
        app.go("fitness_result")
