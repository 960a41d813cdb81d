"""The coaching screen: get ready, 3-2-1, count with the resident, then the summary.

Why this module exists: it is where the vision engine meets the resident. The
engine runs off the UI thread (a worker process for the model, a thread for
the source) and calls ``_on_update`` from that thread; this screen keeps only
the newest update (latest wins) plus every repetition and cue event, and
applies them once per drawn frame, so the UI never waits for the model.
The session is saved exactly once: at the target, on Stop, or when the visit
ends (idle timeout, the person walked away).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.coaching import CoachingSession
from kiosk.i18n import cue_text, pick

log = logging.getLogger(__name__)

COUNTDOWN_S = 3
FRAMING_REPEAT_S = 6.0
GO_TEXT = {"zh_CN": "开始！", "en": "Go!"}
COUNT_WORDS_ZH = "零一二三四五六七八九十"


def spoken_number(n: int, lang: str) -> str:
    if lang != "zh_CN":
        return str(n)
    if n <= 10:
        return COUNT_WORDS_ZH[n]
    if n < 20:
        return "十" + (COUNT_WORDS_ZH[n - 10] if n > 10 else "")
    if n < 100:
        tens, ones = divmod(n, 10)
        return COUNT_WORDS_ZH[tens] + "十" + (COUNT_WORDS_ZH[ones] if ones else "")
    return str(n)


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
    """idle, getting_ready, countdown, coaching, finished."""

    def __init__(self, make_live: Any = None, voice: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.make_live = make_live
        """``make_live(spec, target, on_update) -> LiveEngine`` (from the vision service)."""
        self.voice = voice
        self.spec: Any = None
        self.target = 0
        self.live: Any = None
        self.session: CoachingSession | None = None
        self._lock = threading.Lock()
        self._latest: Any = None
        self._events: deque[Any] = deque()
        self._apply_event: Any = None
        self._countdown_event: Any = None
        self._count = 0
        self._good = 0
        self._reps: list[Any] = []
        self._hold_s = 0.0
        self._last_framing: tuple[str, float] = ("", 0.0)
        self._pending_latency: float | None = None
        self.rep_latencies_ms: list[float] = []
        """Capture-to-screen latency of each counted repetition (for the bench)."""
        self.frames_applied = 0
        self.last_record: Any = None
        app = App.get_running_app()
        self.voice_on = bool(app.cfg.voice.enabled)
        app.bind(on_visit_end=self._on_visit_end, lang=lambda *_: self._update_texts())
        Window.bind(on_flip=self._on_flip)

    # ----- life cycle -----------------------------------------------------------------
    def prepare(self, spec: Any, target: int) -> None:
        self.spec, self.target = spec, int(target)

    def on_enter(self, *args: object) -> None:
        if self.spec is None:
            return
        self._reset_state()
        self.phase = "getting_ready"
        self._update_texts()
        try:
            self.live = self.make_live(self.spec, self.target, self._on_update)
            self.live.start()
        except Exception as exc:  # camera gone, worker failed: say so, do not crash
            log.exception("could not start coaching")
            self.live = None
            self._show_banner(App.get_running_app().t(
                "The camera is not available right now. Please try again later.",
                App.get_running_app().lang), "cue")
            self.detail_text = str(exc)[:120]
            return
        self._apply_event = Clock.schedule_interval(self._apply, 0)
        if self.live.status().source == "video":
            self._go()  # a recording has no one to get ready: coach it from its first frame

    def on_leave(self, *args: object) -> None:
        if self.phase in ("coaching", "countdown", "getting_ready"):
            self.finish(completed=False, reason="left the screen", show_summary=False)
        self._shutdown()

    def _reset_state(self) -> None:
        with self._lock:
            self._latest = None
            self._events.clear()
        self.session = None
        self.last_record = None
        self._count = self._good = 0
        self._reps = []
        self._hold_s = 0.0
        self.progress = 0.0
        self.paused = False
        self.big_text = ""
        self.banner = ""
        self.heart_text = ""
        self.rep_latencies_ms = []
        self.frames_applied = 0
        self.ids.view.clear()
        self.ids.view.mirror = False  # the live coach mirrors picture and landmarks itself

    def _shutdown(self) -> Any:
        if self._apply_event is not None:
            self._apply_event.cancel()
            self._apply_event = None
        if self._countdown_event is not None:
            self._countdown_event.cancel()
            self._countdown_event = None
        summary = None
        if self.live is not None:
            try:
                summary = self.live.stop()
            except Exception:
                log.exception("stopping the live coach failed")
            self.live = None
        return summary

    # ----- from the vision thread -------------------------------------------------------
    def _on_update(self, update: Any) -> None:
        with self._lock:
            self._latest = update
            if update.rep is not None or update.cue is not None:
                self._events.append(update)

    # ----- on the UI thread -------------------------------------------------------------
    def _apply(self, _dt: float) -> None:
        with self._lock:
            update, self._latest = self._latest, None
            events = list(self._events)
            self._events.clear()
        app = App.get_running_app()
        for ev in events:
            self._apply_event_update(ev, app)
        if update is None:
            return
        self.frames_applied += 1
        self.ids.view.show(update.frame, update.landmarks)
        if update.person_visible:
            app.note_activity()
        self._update_heart_rate(app)
        if self.phase == "getting_ready":
            self._getting_ready(update, app)
        elif self.phase == "countdown":
            if update.framing is not None:
                self._cancel_countdown()
                self._getting_ready(update, app)
        elif self.phase == "coaching":
            if update.framing is not None:
                self._show_banner(cue_text(update.framing, self.spec, app.lang), "framing")
                self._say_framing(update.framing, app)
            elif self.banner_kind == "framing":
                self.banner = ""
            if self.spec.kind.holds:
                self._hold_s = max(self._hold_s, float(update.hold_s))
                self.progress = min(1.0, self._hold_s / max(1, self.target))
                self._update_texts()
                if self._hold_s >= self.target:
                    self.finish(completed=True, reason="target reached")

    def _apply_event_update(self, ev: Any, app: Any) -> None:
        if self.phase != "coaching":
            return  # a repetition before "go" does not count
        if ev.cue is not None:
            text = cue_text(ev.cue, self.spec, app.lang)
            self._show_banner(text, "cue")
            self._say(ev.cue.key, text, app)
        if ev.rep is not None and self.spec.kind.counts_reps:
            self._reps.append(ev.rep)
            self._count = len(self._reps)
            self._good = sum(1 for r in self._reps if r.good)
            self.progress = min(1.0, self._count / max(1, self.target))
            self._update_texts()
            self._pending_latency = ev.captured
            self._say(f"count.{self._count}", spoken_number(self._count, app.lang), app)
            if self._count >= self.target:
                self.finish(completed=True, reason="target reached")

    def _on_flip(self, *_args: object) -> None:
        if self._pending_latency is not None:
            self.rep_latencies_ms.append((time.monotonic() - self._pending_latency) * 1000)
            self._pending_latency = None

    def _getting_ready(self, update: Any, app: Any) -> None:
        if update.framing is not None:
            self._show_banner(cue_text(update.framing, self.spec, app.lang), "framing")
            self._say_framing(update.framing, app)
            return
        if not update.person_visible:
            self._show_banner(app.t("Please stand in front of the screen", app.lang), "framing")
            return
        if not update.ready:
            self._show_banner(app.t("Stand still in the starting position", app.lang), "framing")
            return
        self.banner = ""
        self._start_countdown()

    def _start_countdown(self) -> None:
        self.phase = "countdown"
        self._countdown_left = COUNTDOWN_S
        self._countdown_tick(0)
        self._countdown_event = Clock.schedule_interval(self._countdown_tick, 1.0)

    def _countdown_tick(self, _dt: float) -> None:
        app = App.get_running_app()
        if self._countdown_left > 0:
            self.big_text = str(self._countdown_left)
            self._say(f"count.{self._countdown_left}",
                      spoken_number(self._countdown_left, app.lang), app)
            self._countdown_left -= 1
            return
        self._countdown_event.cancel()
        self._countdown_event = None
        self.big_text = pick(GO_TEXT, app.lang)
        self._say("go", pick(GO_TEXT, app.lang), app)
        Clock.schedule_once(lambda _dt: setattr(self, "big_text", "")
                            if self.big_text == pick(GO_TEXT, app.lang) else None, 1.0)
        self._go()

    def _go(self) -> None:
        app = App.get_running_app()
        self.phase = "coaching"
        self.session = CoachingSession(
            exercise=self.spec.name, kind=self.spec.kind, target=self.target,
            kiosk_id=app.cfg.kiosk.id, resident=app.resident_id, save=self._save_record)
        self._update_texts()

    def _cancel_countdown(self) -> None:
        if self._countdown_event is not None:
            self._countdown_event.cancel()
            self._countdown_event = None
        self.big_text = ""
        self.phase = "getting_ready"

    # ----- buttons --------------------------------------------------------------------
    def toggle_pause(self) -> None:
        if self.live is None:
            return
        self.paused = not self.paused
        if self.paused:
            self.live.pause()
            self.big_text = "||"
        else:
            self.live.resume()
            self.big_text = ""

    def stop_early(self) -> None:
        if self.phase == "coaching":
            self.finish(completed=False, reason="stopped")
        else:
            self._shutdown()
            self.phase = "idle"
            App.get_running_app().go("exercise")

    def toggle_voice(self) -> None:
        self.voice_on = not self.voice_on

    # ----- finishing ------------------------------------------------------------------
    def _on_visit_end(self, _app: Any, reason: str) -> None:
        if self.phase in ("coaching", "countdown", "getting_ready"):
            self.finish(completed=False, reason=f"visit ended ({reason})", show_summary=False)

    def finish(self, completed: bool, reason: str, show_summary: bool = True) -> None:
        """End the session: stop the engine, save the record once, show the summary."""
        if self.phase in ("finished", "idle"):
            return
        was_coaching = self.phase == "coaching"
        self.phase = "finished"
        summary = self._shutdown()
        # Events that arrived after the last frame was applied still count.
        with self._lock:
            events = list(self._events)
            self._events.clear()
        counts = self.spec.kind.counts_reps
        if was_coaching and counts:
            for ev in events:
                if ev.rep is not None and self._count < self.target:
                    self._reps.append(ev.rep)
                    self._count = len(self._reps)
            self._good = sum(1 for r in self._reps if r.good)
        log.info("coaching %s finished: %s, %d reps", self.spec.name, reason, self._count)
        record = None
        if was_coaching and self.session is not None:
            reps = self._reps if counts else []
            count = self._count if counts else int(self._hold_s)
            good = self._good if counts else count
            record = self.session.finish(
                repetitions=count, good=good,
                rep_flags=[list(r.flags) for r in reps] if counts else [],
                completed=completed)
        self.last_record = record
        if show_summary and was_coaching:
            app = App.get_running_app()
            app.sm.get_screen("summary").show(self.spec, self.target, summary, record,
                                               self._reps, self._hold_s)
            app.go("summary")

    def _save_record(self, record: Any) -> None:
        store = App.get_running_app().service("store")
        if store is None or not getattr(store, "available", False):
            raise RuntimeError("the local store is not available")
        store.save(record)

    # ----- texts, voice, heart rate ---------------------------------------------------------
    def _update_texts(self) -> None:
        if self.spec is None:
            return
        app = App.get_running_app()
        lang = app.lang
        self.exercise_title = pick(self.spec.text("title"), lang)
        if self.spec.kind.holds:
            self.count_text = f"{int(self._hold_s)}[size={int(app.u * 5)}]/{self.target}s[/size]"
            self.detail_text = app.t("Hold the position", lang)
        else:
            self.count_text = f"{self._count}[size={int(app.u * 5)}]/{self.target}[/size]"
            self.detail_text = app.t("Good form: {good} of {count}", lang, good=self._good,
                                     count=self._count) if self._count else ""

    def _update_heart_rate(self, app: Any) -> None:
        sensors = app.service("sensors")
        bpm = sensors.heart_rate if sensors is not None else None
        if bpm is None:
            self.heart_text = ""
            return
        self.heart_text = app.t("♥ {bpm} per minute", app.lang, bpm=int(bpm))
        if self.session is not None and self.phase == "coaching":
            self.session.heart_rate.add(bpm)

    def _show_banner(self, text: str, kind: str) -> None:
        self.banner, self.banner_kind = text, kind

    def _say(self, key: str, text: str, app: Any) -> None:
        if self.voice_on and self.voice is not None:
            self.voice.say(key, text, app.lang)

    def _say_framing(self, framing: Any, app: Any) -> None:
        key, when = self._last_framing
        now = time.monotonic()
        if framing.key != key or now - when > FRAMING_REPEAT_S:
            self._last_framing = (framing.key, now)
            self._say(framing.key, cue_text(framing, self.spec, app.lang), app)
