"""The live facade the coaching screen uses: the engine on a live source, off the UI thread.

Why this module exists: the screen wants "measure this person doing this
exercise from this source and tell me what happens", without touching
threads, processes or the model. ``LiveEngine`` runs one background thread
that reads the source, sends pictures to the pose worker process (or takes
the simulated person's landmarks directly), runs the ``Engine`` and calls
``on_update(EngineUpdate)`` for every processed frame.

Threading contract: ``on_update`` (and ``on_status``) are called from the
LiveEngine's background thread; the UI marshals them to its own thread
(e.g. ``Clock.schedule_once``). They must return quickly. ``start``,
``pause``, ``resume``, ``reset_set`` and ``stop`` may be called from any
thread.

Sources (``source_spec``): ``sim`` / ``sim:squat?reps=10&period=2`` (the
simulated person; the exercise defaults to the coached one), a camera index
(``0``) or device path (``/dev/video0``, ``/dev/v4l/by-id/...``), or a video
file path (played at its own speed, every frame processed, so the count is
the same as ``kiosk analyze`` gives). A camera that is unplugged is reopened
when it comes back; ``status()`` says so. A worker crash is detected and the
worker restarted; the repetition in progress is dropped, the count kept.

Pictures are only passed to ``on_update`` for display (mirrored when
``mirror`` is set, with the landmarks mirrored to match); they are never
stored or sent anywhere.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vision.engine import Engine, EngineUpdate, SetSummary
from vision.exercises import ExerciseSpec
from vision.sim import SimulatedPerson, parse_sim_spec
from vision.sources import CameraSource, Frame, SourceError, VideoFileSource
from vision.worker import PosePipeline, PoseWorker, WorkerDied

log = logging.getLogger(__name__)

__all__ = ["LiveEngine", "EngineUpdate", "SetSummary", "make_source", "LiveStatus"]


def make_source(spec: str, exercise: str = "squat", width: int = 640, height: int = 480,
                realtime: bool = True):
    """A frame source from a spec string (see module doc)."""
    s = spec.strip()
    if s.startswith("simfit"):  # the simulated person taking a fitness test
        from vision.sim_fitness import make_fitness_sim

        return make_fitness_sim(s, width, height, realtime)
    if s == "sim" or s.startswith("sim:") or s.startswith("sim?"):
        kw = parse_sim_spec(s, exercise)
        kw.setdefault("realtime", realtime)
        return SimulatedPerson(width=width, height=height, **kw)
    if s.isdigit() or s.startswith("/dev/"):
        return CameraSource(s, width, height)
    p = Path(s).expanduser()
    if not p.exists():
        raise SourceError(f"video file or camera not found: {s}")
    return VideoFileSource(p)


@dataclass
class LiveStatus:
    source: str
    """``simulated``, ``video``, ``ok``, ``lost``, ``not_found``, ``stopped``, ..."""
    worker: str
    """``not_needed``, ``starting``, ``running``, ``restarted``, ``failed``."""
    worker_restarts: int = 0
    frames: int = 0
    dropped: int = 0
    fps: float = 0.0
    error: str = ""
    reopened: int = 0
    """How often a lost camera came back (0 for other sources)."""


class LiveEngine:
    """Run the engine on one set from a live source (see module doc)."""

    def __init__(self, source_spec: str, exercise: ExerciseSpec, target: int,
                 on_update: Callable[[EngineUpdate], None], mirror: bool = True,
                 model_complexity: int = 1, width: int = 640, height: int = 480,
                 worker: PoseWorker | None = None,
                 on_status: Callable[[LiveStatus], None] | None = None,
                 on_finished: Callable[[SetSummary], None] | None = None,
                 reopen_interval_s: float = 1.0):
        self.source_spec = source_spec
        self.exercise = exercise
        self.target = target
        self.on_update = on_update
        self.on_status = on_status
        self.on_finished = on_finished
        self.mirror = mirror
        self.model_complexity = model_complexity
        self.width, self.height = width, height
        self.reopen_interval_s = reopen_interval_s
        self._worker = worker
        self._own_worker = worker is None
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._src: CameraSource | VideoFileSource | SimulatedPerson | None = None
        self._summary: SetSummary | None = None
        self._status = LiveStatus(source="stopped", worker="not_needed")
        self._started_at = 0.0
        self._paused_total = 0.0
        self._paused_at: float | None = None
        self._fps_t0 = time.monotonic()
        self._fps_n = 0
        self.ended = threading.Event()
        """Set when the source ran out (end of a video or simulation) or ``stop()`` was called."""

    # -- control ----------------------------------------------------------------------------
    def start(self) -> None:
        """Open the source (raises ``SourceError`` if it cannot be opened) and start coaching."""
        if self._thread is not None:
            return
        self._src = make_source(self.source_spec, self.exercise.name, self.width, self.height)
        if isinstance(self._src, CameraSource):
            self._src.retry_s = self.reopen_interval_s
        self._src.open()
        self._status.source = self._src.status()
        aspect = self.width / self.height
        if isinstance(self._src, VideoFileSource):
            aspect = self._src.width / max(self._src.height, 1)
        elif isinstance(self._src, SimulatedPerson):
            aspect = self._src.width / self._src.height
        self._engine = Engine(self.exercise, aspect=aspect)
        self._stop.clear()
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="live-engine", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop counting (frames keep coming for display); the repetition in progress is dropped."""
        with self._lock:
            if not self._paused.is_set():
                self._paused.set()
                self._paused_at = time.monotonic()

    def resume(self) -> None:
        with self._lock:
            if self._paused.is_set():
                self._paused.clear()
                if self._paused_at is not None:
                    self._paused_total += time.monotonic() - self._paused_at
                self._paused_at = None
                if self._engine is not None:
                    self._engine.interrupt()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def reset_set(self) -> None:
        """Start a new set: the count goes back to 0 and the ready pose is needed again."""
        with self._lock:
            if self._engine is not None:
                self._engine.reset_set()
            self._started_at = time.monotonic()
            self._paused_total = 0.0

    def stop(self) -> SetSummary:
        """Stop everything and return the set's summary (safe to call more than once)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._close()
        with self._lock:
            if self._summary is None:
                self._summary = self._make_summary()
            return self._summary

    def status(self) -> LiveStatus:
        if self._src is not None:
            self._status.source = self._src.status()
            if isinstance(self._src, CameraSource):
                self._status.reopened = self._src.reopened
        if self._worker is not None:
            self._status.worker_restarts = self._worker.restarts
            if self._worker.alive() and self._status.worker in ("starting", "restarted"):
                self._status.worker = "running"
        return replace(self._status)

    def current_count(self) -> int:
        """The count so far (thread-safe)."""
        with self._lock:
            return self._engine.count if self._engine is not None else 0

    def summary_so_far(self) -> SetSummary | None:
        with self._lock:
            return copy.deepcopy(self._engine).finish() if self._engine is not None else None

    # -- internals ---------------------------------------------------------------------------
    def _make_summary(self) -> SetSummary:
        engine = self._engine
        if engine is None:
            engine = Engine(self.exercise)
        s = engine.finish()
        if isinstance(self._src, CameraSource) and self._started_at:
            # a live camera: the wall-clock duration of the set, pauses excluded
            paused = self._paused_total + ((time.monotonic() - self._paused_at) if self._paused_at else 0.0)
            s.duration_s = max(0.0, time.monotonic() - self._started_at - paused)
        return s

    def _close(self) -> None:
        if self._src is not None:
            try:
                self._src.close()
            except Exception:  # pragma: no cover - best effort
                log.exception("closing the source failed")
        if self._worker is not None and self._own_worker:
            self._status.worker_restarts = self._worker.restarts
            self._worker.stop()
            self._worker = None
        self._status.source = "stopped"
        self.ended.set()

    def _emit_status(self) -> None:
        if self.on_status is not None:
            try:
                self.on_status(self.status())
            except Exception:
                log.exception("on_status callback failed")

    def _ensure_worker(self) -> bool:
        if self._worker is None:
            self._worker = PoseWorker(self.model_complexity)
        try:
            if self._worker.alive():
                return True
            self._status.worker = "starting"
            self._emit_status()
            restarted = self._worker.ensure_running()
            self._status.worker = "restarted" if restarted else "running"
            self._emit_status()
            return True
        except WorkerDied as exc:
            self._status.worker = "failed"
            self._status.error = str(exc)
            log.error("pose worker cannot run: %s", exc)
            self._emit_status()
            return False

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # never die silently in a background thread
            log.exception("live engine stopped on an error")
            self._status.error = repr(exc)
            self._emit_status()
        finally:
            if not self._stop.is_set():
                with self._lock:
                    self._summary = self._make_summary()
                self._close()
                if self.on_finished is not None:
                    try:
                        self.on_finished(self._summary)
                    except Exception:
                        log.exception("on_finished callback failed")

    def _loop(self) -> None:
        """Read, submit to the pose worker one frame ahead, handle results as they come.

        The model is kept busy (``PosePipeline``: one frame processing, the next
        waiting) while this thread counts the previous frame and reads the next
        one. A video file is played at its own speed; a camera's newest frame is
        taken; the simulated person's landmarks need no model.
        """
        src = self._src
        assert src is not None  # opened by start()
        realtime_video = isinstance(src, VideoFileSource)
        pipe: PosePipeline | None = None
        t_wall0: float | None = None
        nxt: Frame | None = None
        ended = False
        while not self._stop.is_set():
            busy = pipe is not None and len(pipe) > 0
            if nxt is None and not ended:
                camera = isinstance(src, CameraSource)
                nxt = src.read(0.002 if busy else 1.0) if isinstance(src, CameraSource) else src.read()
                if nxt is None:
                    if not camera:
                        ended = True  # end of a video or simulation
                    elif not busy:
                        self._status.source = src.status()
                        self._emit_status()
                        self._deliver_empty()
                        continue  # lost camera: it is being reopened
            due = 0.0
            if nxt is not None:
                if nxt.landmarks is not None or nxt.image is None:
                    self._handle(nxt, nxt.landmarks, nxt.world, nxt.others, 128.0)
                    nxt = None
                    continue
                if realtime_video:
                    # play a file at its own speed; every frame is processed
                    now = time.monotonic()
                    if t_wall0 is None:
                        t_wall0 = now - nxt.t
                    due = t_wall0 + nxt.t - now
                if due <= 0 and (pipe is None or not pipe.full()):
                    if not self._ensure_worker():
                        time.sleep(1.0)
                        continue
                    worker = self._worker
                    assert worker is not None  # _ensure_worker made one
                    if pipe is None or pipe.worker is not worker:
                        pipe = PosePipeline(worker)
                    if realtime_video:
                        nxt.captured = time.monotonic()
                    try:
                        pipe.submit(nxt.image, nxt.t, nxt.captured, nxt)
                    except WorkerDied as exc:
                        self._worker_lost(exc, pipe)
                        continue
                    nxt = None
                    continue
            if pipe is not None and len(pipe):
                try:
                    got = pipe.result(timeout=min(due, 1.0) if due > 0 else 10.0)
                except WorkerDied as exc:
                    self._worker_lost(exc, pipe)
                    continue
                if got is not None:
                    frame, r = got
                    assert isinstance(frame, Frame)
                    self._status.dropped = pipe.worker.dropped + getattr(src, "dropped", 0)
                    self._handle(frame, r.landmarks, r.world, r.others, r.luma)
                continue
            if ended:
                break
            if due > 0:
                time.sleep(due)

    def _worker_lost(self, exc: Exception, pipe: PosePipeline) -> None:
        log.warning("pose worker lost (%s); restarting", exc)
        pipe.clear()
        with self._lock:
            if self._engine is not None:
                self._engine.interrupt()

    def _deliver_empty(self) -> None:
        with self._lock:
            if self._engine is None:
                return
            u = self._engine.process(time.monotonic(), None, 128.0)
        self._call(u)

    def _handle(self, frame: Frame, lm, world, others, luma: float) -> None:
        self._status.frames += 1
        self._fps_n += 1
        now = time.monotonic()
        if now - self._fps_t0 >= 2.0:
            self._status.fps = self._fps_n / (now - self._fps_t0)
            self._fps_t0, self._fps_n = now, 0
        with self._lock:
            engine = self._engine
            if engine is None:
                return
            if self._paused.is_set():
                u = EngineUpdate(t=frame.t, captured=frame.captured, frame=None, landmarks=lm,
                                count=engine.count, good_count=engine.good_count, phase="paused",
                                signal=None, progress=0.0, cue=None, framing=None,
                                ready=False, person_visible=lm is not None)
            else:
                u = engine.process(frame.t, lm, luma, others, captured=frame.captured, world=world)
        img = frame.image
        landmarks = u.landmarks if u.landmarks is not None else lm
        if self.mirror:
            if img is not None:
                img = np.ascontiguousarray(img[:, ::-1])
            if landmarks is not None:
                landmarks = np.array(landmarks, dtype=np.float32, copy=True)
                landmarks[:, 0] = 1.0 - landmarks[:, 0]
        u.frame = img
        u.landmarks = landmarks
        self._call(u)

    def _call(self, u: EngineUpdate) -> None:
        try:
            self.on_update(u)
        except Exception:
            log.exception("on_update callback failed")
