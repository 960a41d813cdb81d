"""The coaching screen: draws a session's state and forwards the resident's taps.

Why this module exists: it is where the vision engine meets the resident,
on screen. The engine runs off the UI thread (a worker process for the
model, a thread for the source) and calls ``_on_update`` from that thread;
this screen keeps only the newest update (latest wins) plus every
repetition and cue event, and hands them to the session flow
(``kiosk/session/flow.py``) once per drawn frame, so the UI never waits for
the model. Everything about the session itself (get ready, 3-2-1, counting,
pause, the result, the single save) is the flow's; this screen renders it,
speaks what it asks, and shows the summary when it is finished.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.exercise.origin import Origin
from kiosk.i18n import N_, spoken_number, text
from kiosk.session.demo import demo_sim_source
from kiosk.session.flow import GO, Phase, Say, SessionFlow, SessionResult
from kiosk.shell.running import kiosk_app
from sync.records import ExerciseSession
from vision.engine import EngineUpdate
from vision.exercises import ExerciseSpec
from vision.live import LiveEngine

log = logging.getLogger(__name__)

NO_CAMERA = N_("The camera is not available right now. Please try again later.")


class CoachScreen(Screen):
    banner = StringProperty("")
    banner_kind = StringProperty("framing")
    big_text = StringProperty("")
    exercise_title = StringProperty("")
    count_text = StringProperty("")
    detail_text = StringProperty("")
    heart_text = StringProperty("")
    progress = NumericProperty(0.0)
    paused = BooleanProperty(False)
    voice_on = BooleanProperty(True)
    phase = StringProperty("idle")
    """The flow's phase: idle, getting_ready, countdown, active, paused, finished."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = kiosk_app()
        self.make_live = self._make_live
        """``make_live(spec, target, on_update) -> LiveEngine`` (tests give a source of their own)."""
        self.voice = app.services.voice
        self.spec: ExerciseSpec | None = None
        self.target = 0
        self.origin: Origin | None = None
        """Set when a lesson's practice step opened the session (None from the exercise screen)."""
        self._reported: SessionResult | None = None
        self.live: LiveEngine | None = None
        self.flow: SessionFlow | None = None
        self._lock = threading.Lock()
        self._latest: EngineUpdate | None = None
        self._events: deque[EngineUpdate] = deque()
        self._apply_event: Any = None
        self._pending_latency: float | None = None
        self._shown_count = 0
        self.rep_latencies_ms: list[float] = []
        """Capture-to-screen latency of each counted repetition (for the bench)."""
        self.frames_applied = 0
        self.voice_on = bool(app.cfg.voice.enabled)
        app.bind(on_visit_end=self._on_visit_end, lang=lambda *_: self._render())
        Window.bind(on_flip=self._on_flip)

    @staticmethod
    def _make_live(spec: ExerciseSpec, target: int,
                   on_update: Any) -> LiveEngine:
        vision = kiosk_app().services.vision
        if vision is None:
            raise RuntimeError("this kiosk has no camera service")
        source = vision.resolve_source()
        if source == "sim":
            source = demo_sim_source(spec.name, spec.kind, target)
        return vision.make_live(spec, target, on_update, source=source)

    # ----- what tests and the bench read -----------------------------------------------
    @property
    def count(self) -> int:
        return self.flow.count if self.flow is not None else 0

    @property
    def last_record(self) -> ExerciseSession | None:
        result = self.flow.result if self.flow is not None else None
        return result.record if result is not None else None

    # ----- life cycle -------------------------------------------------------------------
    def prepare(self, spec: ExerciseSpec, target: int, origin: Origin | None = None) -> None:
        self.spec, self.target, self.origin = spec, int(target), origin

    def on_enter(self, *args: object) -> None:
        if self.spec is None:
            return
        app = kiosk_app()
        self._reset_view()
        store = app.services.store
        self.flow = SessionFlow(self.spec, self.target, kiosk_id=app.cfg.kiosk.id,
                                resident=app.resident_id, save=self._save,
                                on_change=self._flow_changed,
                                checkpoint=store.checkpoint_async if store is not None else None)
        try:
            self.live = self.make_live(self.spec, self.target, self._on_update)
            self.live.start()
        except Exception as exc:  # camera gone, worker failed: say so, do not crash
            log.exception("could not start coaching")
            self.live = None
            self.banner, self.banner_kind = app.t(NO_CAMERA, app.lang), "cue"
            self.detail_text = str(exc)[:120]
            self.flow = None
            return
        # a recording has no one to get ready: measure it from its first frame
        recording = self.live.status().source == "video"
        self.flow.start(time.monotonic(), self.live, get_ready=not recording)
        self._apply_event = Clock.schedule_interval(self._apply, 0)
        self._render()

    def on_leave(self, *args: object) -> None:
        if self.flow is not None and self.flow.running:
            self._drain()
            self.flow.abandon(time.monotonic(), "left the screen")
        self._shutdown()

    def _reset_view(self) -> None:
        with self._lock:
            self._latest = None
            self._events.clear()
        self.big_text = self.banner = self.heart_text = self.detail_text = ""
        self.progress = 0.0
        self.paused = False
        self._shown_count = 0
        self.rep_latencies_ms = []
        self.frames_applied = 0
        self.ids.view.clear()
        self.ids.view.mirror = False  # the live engine mirrors picture and landmarks itself

    def _shutdown(self) -> None:
        if self._apply_event is not None:
            self._apply_event.cancel()
            self._apply_event = None
        if self.live is not None:  # the flow stops it when it finishes; this is for errors
            try:
                self.live.stop()
            except Exception:
                log.exception("stopping the live engine failed")
            self.live = None

    # ----- from the vision thread ---------------------------------------------------------
    def _on_update(self, update: EngineUpdate) -> None:
        with self._lock:
            self._latest = update
            if update.rep is not None or update.cue is not None:
                self._events.append(update)

    # ----- on the UI thread -----------------------------------------------------------------
    def _drain(self) -> EngineUpdate | None:
        """Hand every waiting event, then the newest update, to the flow; return the newest."""
        with self._lock:
            latest, self._latest = self._latest, None
            events = list(self._events)
            self._events.clear()
        flow = self.flow
        if flow is None:
            return latest
        now = time.monotonic()
        for ev in events:
            flow.update(ev, now)
        if latest is not None and (not events or latest is not events[-1]):
            flow.update(latest, now)
        return latest

    def _apply(self, _dt: float) -> None:
        flow = self.flow
        if flow is None:
            return
        latest = self._drain()
        app = kiosk_app()
        sensors = app.services.sensors
        bpm = sensors.heart_rate if sensors is not None else None
        if bpm is not None:
            flow.add_heart_rate(bpm)
        self.heart_text = app.t("♥ {bpm} per minute", app.lang, bpm=int(bpm)) if bpm else ""
        flow.tick(time.monotonic())
        if latest is not None:
            self.frames_applied += 1
            self.ids.view.show(latest.frame, latest.landmarks)
            if latest.person_visible:
                app.note_activity()
            else:
                app.note_nobody()  # nobody there for kiosk.walk_away_s: the visit ends
        self._speak(flow.take_speech())
        self._render()

    def _flow_changed(self, flow: SessionFlow) -> None:
        if flow is not self.flow:
            return
        if flow.result is not None and flow.result is not self._reported and self.origin is not None:
            self._reported = flow.result
            try:
                self.origin.on_result(flow.result)
            except Exception:  # the lesson's bug must not break the session
                log.exception("the session's origin could not take its result")
        self.phase = flow.phase.value
        self.paused = flow.phase is Phase.PAUSED
        app = kiosk_app()
        if flow.phase is Phase.FINISHED and flow.result is not None and app.sm.has_screen("summary"):
            from kiosk.features.exercise.summary import SummaryScreen

            summary = app.screen_as("summary", SummaryScreen)
            if summary.result is flow.result:
                summary.refresh()  # the save has finished: say whether it worked

    def _on_flip(self, *_args: object) -> None:
        if self._pending_latency is not None:
            self.rep_latencies_ms.append((time.monotonic() - self._pending_latency) * 1000)
            self._pending_latency = None

    # ----- drawing the flow's state ---------------------------------------------------------
    def _render(self) -> None:
        flow, spec = self.flow, self.spec
        if spec is None:
            return
        app = kiosk_app()
        lang = app.lang
        self.exercise_title = text(spec.text("title"), lang)
        if flow is None:
            return
        now = time.monotonic()
        if flow.phase is Phase.COUNTDOWN:
            self.big_text = str(flow.countdown)
        elif flow.phase is Phase.PAUSED:
            self.big_text = "||"
        elif flow.go_until is not None:
            self.big_text = text(GO, lang)
        else:
            self.big_text = ""
        banner = flow.banner
        self.banner = text(banner.cue, lang, spec=spec) if banner is not None else ""
        self.banner_kind = banner.kind if banner is not None else "framing"
        self.progress = flow.fraction(now) if flow.measuring else 0.0
        small = int(app.u * 5)
        kind = flow.kind
        if kind.counts_reps:
            self.count_text = (f"{flow.count}" if kind.time_limited
                               else f"{flow.count}[size={small}]/{self.target}[/size]")
            if kind.time_limited:
                left = max(0, int(round(self.target - flow.elapsed_s(now))))
                self.detail_text = app.t("{n} seconds left", lang, n=left)
            else:
                self.detail_text = app.t("Good form: {good} of {count}", lang,
                                         good=flow.good_count(), count=flow.count) \
                    if flow.count else ""
        elif kind.holds:
            self.count_text = f"{int(flow.hold_s)}[size={small}]/{self.target}s[/size]"
            self.detail_text = app.t("Hold the position", lang)
        else:
            self.count_text = f"{int(flow.elapsed_s(now))}[size={small}]s[/size]"
            self.detail_text = ""
        if flow.count != self._shown_count:
            self._shown_count = flow.count
            self._pending_latency = flow.last_update_captured
        if flow.phase is Phase.FINISHED and self._apply_event is not None:
            self._finished(show_summary=True)

    def _speak(self, items: list[Say]) -> None:
        if not self.voice_on or self.voice is None or self.spec is None:
            return
        lang = kiosk_app().lang
        for item in items:
            if item.number is not None:
                said = spoken_number(item.number, lang)
            elif item.cue is not None:
                said = text(item.cue, lang, spec=self.spec)
            else:
                said = text(item.msgid or "", lang)
            self.voice.say(item.key, said, lang)

    # ----- buttons ----------------------------------------------------------------------------
    def toggle_pause(self) -> None:
        flow = self.flow
        if flow is None:
            return
        if flow.phase is Phase.PAUSED:
            flow.resume(time.monotonic())
        else:
            flow.pause(time.monotonic())
        self._render()

    def stop_early(self) -> None:
        flow = self.flow
        if flow is None or not flow.running:
            self._shutdown()
            self._leave_unmeasured()
            return
        self._drain()  # repetitions that arrived since the last frame still count
        result = flow.stop(time.monotonic())
        if result is None:  # stopped before "go": nothing was measured
            self._shutdown()
            self._leave_unmeasured()
            return
        self._finished(show_summary=True)

    def _leave_unmeasured(self) -> None:
        """Stopped before anything was measured: back where the session came from."""
        app = kiosk_app()
        if self.origin is not None:
            app.back_to(self.origin.screen)
        else:
            app.go("exercise")

    def toggle_voice(self) -> None:
        self.voice_on = not self.voice_on

    # ----- finishing ------------------------------------------------------------------------
    def _on_visit_end(self, _app: Any, reason: str) -> None:
        if self.flow is not None and self.flow.running:
            self._drain()
            self.flow.abandon(time.monotonic(), f"visit ended ({reason})")
            self._shutdown()

    def _finished(self, show_summary: bool) -> None:
        self._shutdown()
        self.live = None
        flow = self.flow
        result: SessionResult | None = flow.result if flow is not None else None
        self._render()
        if show_summary and result is not None:
            app = kiosk_app()
            from kiosk.features.exercise.summary import SummaryScreen

            app.screen_as("summary", SummaryScreen).show(result, self.origin)
            app.go("summary")

    def _save(self, record: ExerciseSession, on_done: Any) -> None:
        store = kiosk_app().services.store
        if store is None or not store.available:
            on_done(RuntimeError("the local store is not available"))
            return
        store.save_async(record, on_done)
