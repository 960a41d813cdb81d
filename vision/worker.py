"""The pose model in its own process: latest frame wins, crashes detected and restarted.

Why this module exists: MediaPipe holds the GIL for a whole frame (20-30 ms);
on a 2-core kiosk the UI process must never wait for it. The worker is
started with the ``spawn`` method (a child forked from a process with a Kivy
window open would inherit its SDL/GL state).

Frames go in through two shared-memory slots: the worker processes one
while the parent writes the next into the other, so the model never waits
for the parent (``PosePipeline`` keeps it that way: at most one frame
processing and one waiting). A frame written when both slots are taken replaces
the oldest waiting one (latest frame wins: a camera's stale frames are
dropped, never queued); the worker takes waiting frames oldest first. The worker claims the waiting frame before it reports the result of
the one it finished, so a caller that submits one frame ahead never has one
replaced. Results (landmarks, a few hundred bytes) come back on a queue.
``process()`` is the lockstep mode: send one frame and wait for its result.

If the worker process dies (a crash in native code, OOM), ``alive()`` is
False and ``process()`` raises ``WorkerDied``; ``ensure_running()`` restarts
it and counts ``restarts``.

The second-person check (a second, static pose pass every
``second_person_every`` frames, see ``vision.pose``) runs in a thread of the
worker, beside the tracker: it never delays a frame (MediaPipe releases the
interpreter lock while its graph runs, so the check uses the other core when
one is free). Its answer is attached to the next result that goes out.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing import shared_memory
from multiprocessing.process import BaseProcess

import numpy as np

from vision.pose import MAX_SIDE, Box, PoseEstimator, prepare_frame

log = logging.getLogger(__name__)

HEADER = 8  # float64 per slot: seq, height, width, t, captured, src_w, src_h, state
SLOT_BYTES = MAX_SIDE * MAX_SIDE * 3
SLOTS = 2
FREE, WAITING, PROCESSING = 0.0, 1.0, 2.0
"""Slot states (the header's last field)."""


def _slot_views(buf: memoryview) -> list[tuple[np.ndarray, np.ndarray]]:
    """(header, data) numpy views of each slot of the shared memory."""
    size = HEADER * 8 + SLOT_BYTES
    return [(np.ndarray((HEADER,), dtype=np.float64, buffer=buf, offset=k * size),
             np.ndarray((SLOT_BYTES,), dtype=np.uint8, buffer=buf, offset=k * size + HEADER * 8))
            for k in range(SLOTS)]


def _claim(slots: list[tuple[np.ndarray, np.ndarray]]) -> int | None:
    """Mark the oldest waiting slot (if any) as being processed; call with the lock held."""
    waiting = [k for k, (header, _) in enumerate(slots) if header[7] == WAITING]
    if not waiting:
        return None
    k = min(waiting, key=lambda i: slots[i][0][0])
    slots[k][0][7] = PROCESSING
    return k


class WorkerDied(RuntimeError):
    """The pose worker process is gone."""


@dataclass
class WorkerResult:
    seq: int
    t: float
    captured: float
    landmarks: np.ndarray | None
    world: np.ndarray | None
    others: bool | None
    luma: float
    width: int
    height: int
    pose_ms: float
    """Time the tracker took on this frame (the model alone)."""
    others_ms: float = 0.0
    """Time of the second-person check whose answer came with this result (0 if none did)."""


class _OthersCheck:
    """The second-person check in a thread of the worker (see module doc)."""

    def __init__(self, est: PoseEstimator) -> None:
        self.est = est
        self._cv = threading.Condition()
        self._job: tuple[np.ndarray, np.ndarray] | None = None
        self._busy = False
        self._done: tuple[Box | None, float] | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="second-person", daemon=True)
        self._thread.start()

    def offer(self, frame_bgr: np.ndarray, lm: np.ndarray | None) -> None:
        """Check this frame if the thread is free (never waits)."""
        if lm is None:
            return
        with self._cv:
            if self._busy or self._job is not None:
                return
            self._job = (frame_bgr.copy(), lm.copy())
            self._cv.notify()

    def take(self) -> tuple[Box | None, float] | None:
        """The answer of a finished check (once), or None."""
        with self._cv:
            done, self._done = self._done, None
            return done

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        import cv2

        while True:
            with self._cv:
                while self._job is None and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                job, self._job = self._job, None
                self._busy = True
            assert job is not None
            t0 = time.perf_counter()
            try:
                box = self.est.find_other(cv2.cvtColor(job[0], cv2.COLOR_BGR2RGB), job[1])
            except Exception:  # the check is advisory: a failure is no second person
                log.exception("second-person check failed")
                box = None
            ms = (time.perf_counter() - t0) * 1000
            with self._cv:
                self._done = (box, ms)
                self._busy = False


def _worker_main(shm_name: str, lock, new_frame, stop, results, model_complexity: int,
                 second_person_every: int, parent_pid: int) -> None:
    """Entry point of the worker process."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        est = PoseEstimator(model_complexity, second_person_every=0)
        checker = _OthersCheck(est) if second_person_every > 0 else None
        n = 0
        results.put(("ready", os.getpid()))
        assert shm.buf is not None
        slots = _slot_views(shm.buf)
        k: int | None = None
        while not stop.is_set():
            if k is None:
                if not new_frame.wait(0.5):
                    if os.getppid() != parent_pid:
                        break  # the parent is gone
                    continue
                with lock:
                    new_frame.clear()
                    k = _claim(slots)
                if k is None:
                    continue
            header, data = slots[k]
            seq, h, w, t, captured, sw, sh = (header[i] for i in range(7))
            h, w = int(h), int(w)
            frame = data[: h * w * 3].reshape(h, w, 3)  # the parent does not touch a slot in use
            t0 = time.perf_counter()
            r = est.process(frame, check_others=False)
            ms = (time.perf_counter() - t0) * 1000
            n += 1
            others_ms = 0.0
            if checker is not None:
                if n % second_person_every == 1:
                    checker.offer(frame, r.landmarks)
                done = checker.take()
                if done is not None:
                    r.others = est.judge_other(r.landmarks, done[0])
                    others_ms = done[1]
            with lock:
                header[7] = FREE
                k = _claim(slots)  # the next frame is taken before this result is reported
                if k is not None:
                    new_frame.clear()
            results.put(("result", int(seq), t, captured, r.landmarks, r.world, r.others, r.luma,
                         int(sw), int(sh), ms, others_ms))
        if checker is not None:
            checker.close()
        est.close()
    except Exception as exc:  # reported to the parent, which logs and restarts
        results.put(("error", repr(exc)))
    finally:
        shm.close()


class PoseWorker:
    """A spawned process running ``PoseEstimator`` (see module doc)."""

    def __init__(self, model_complexity: int = 1, second_person_every: int = 15,
                 start_timeout_s: float = 60.0):
        self.model_complexity = model_complexity
        self.second_person_every = second_person_every
        self.start_timeout_s = start_timeout_s
        self._ctx = mp.get_context("spawn")
        self._proc: BaseProcess | None = None
        self._shm: shared_memory.SharedMemory | None = None
        self._seq = 0
        self.restarts = 0
        self.dropped = 0
        self.pid: int | None = None
        self._slots: list[tuple[np.ndarray, np.ndarray]] = []
        self.last_error: str = ""

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> PoseWorker:
        if self.alive():
            return self
        self._cleanup()
        self._shm = shared_memory.SharedMemory(create=True, size=SLOTS * (HEADER * 8 + SLOT_BYTES))
        self._lock = self._ctx.Lock()
        self._new = self._ctx.Event()
        self._stop = self._ctx.Event()
        self._results = self._ctx.Queue()
        assert self._shm.buf is not None
        self._slots = _slot_views(self._shm.buf)
        self._proc = self._ctx.Process(
            target=_worker_main, name="pose-worker", daemon=True,
            args=(self._shm.name, self._lock, self._new, self._stop, self._results,
                  self.model_complexity, self.second_person_every, os.getpid()),
        )
        self._proc.start()
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            try:
                msg = self._results.get(timeout=0.2)
            except queue.Empty:
                if not self._proc.is_alive():
                    code = self._proc.exitcode
                    self._cleanup()
                    raise WorkerDied(f"pose worker exited at start (code {code})") from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise WorkerDied("pose worker did not start in time") from None
                continue
            if msg[0] == "ready":
                self.pid = msg[1]
                log.info("pose worker started (pid %s)", self.pid)
                return self
            if msg[0] == "error":
                self.last_error = msg[1]
                self.stop()
                raise WorkerDied(f"pose worker failed to start: {msg[1]}")

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def ensure_running(self) -> bool:
        """Restart the worker if it died; True if it was restarted."""
        if self.alive():
            return False
        if self.pid is None:  # never started: a first start, not a restart
            self.start()
            return False
        log.warning("pose worker died (exit code %s); restarting",
                    self._proc.exitcode if self._proc is not None else "?")
        self.restarts += 1
        self.start()
        return True

    def stop(self) -> None:
        if self._proc is not None:
            self._stop.set()
            self._new.set()
            self._proc.join(timeout=3.0)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=2.0)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._results.close()
                self._results.cancel_join_thread()
        self._proc = None
        if self._shm is not None:
            # numpy views hold the buffer; drop them first
            self._slots = []
            with contextlib.suppress(Exception):
                self._shm.close()
            with contextlib.suppress(Exception):
                self._shm.unlink()
            self._shm = None

    def __enter__(self) -> PoseWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kill_for_test(self) -> None:
        """Kill the worker process abruptly (tests of crash detection)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(timeout=2.0)

    # -- frames ------------------------------------------------------------------------------
    def submit(self, frame_bgr: np.ndarray, t: float = 0.0, captured: float = 0.0) -> int:
        """Put a frame in a free slot, replacing one still waiting; returns its sequence number."""
        if not self.alive():
            raise WorkerDied("pose worker is not running")
        small = prepare_frame(frame_bgr)
        h, w = small.shape[:2]
        sh, sw = frame_bgr.shape[:2]
        with self._lock:
            states = [header[7] for header, _ in self._slots]
            if FREE in states:
                k = states.index(FREE)
            else:  # one processing and one waiting (or two waiting): replace the oldest waiting
                waiting = [i for i, st in enumerate(states) if st == WAITING]
                k = min(waiting, key=lambda i: self._slots[i][0][0])
                self.dropped += 1  # that frame was never picked up: dropped, not queued
            header, data = self._slots[k]
            self._seq += 1
            data[: h * w * 3] = np.ascontiguousarray(small).reshape(-1)
            header[:8] = (self._seq, h, w, t, captured, sw, sh, WAITING)
            self._new.set()
        return self._seq

    def get(self, timeout: float = 1.0) -> WorkerResult | None:
        """The next result, or None after ``timeout``; raises ``WorkerDied`` if the worker is gone."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self._results.get(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if not self.alive():
                    raise WorkerDied("pose worker died") from None
                if time.monotonic() >= deadline:
                    return None
                continue
            if msg[0] == "result":
                _, seq, t, cap, lm, world, others, luma, sw, sh, ms, others_ms = msg
                return WorkerResult(seq, t, cap, lm, world, others, luma, sw, sh, ms, others_ms)
            if msg[0] == "error":
                self.last_error = msg[1]
                log.error("pose worker error: %s", msg[1])

    def process(self, frame_bgr: np.ndarray, t: float = 0.0, captured: float = 0.0,
                timeout: float = 10.0) -> WorkerResult:
        """Lockstep: send one frame and wait for its own result."""
        seq = self.submit(frame_bgr, t, captured)
        deadline = time.monotonic() + timeout
        while True:
            r = self.get(timeout=max(0.05, deadline - time.monotonic()))
            if r is None:
                raise WorkerDied("pose worker did not answer in time")
            if r.seq == seq:
                return r

    def peak_rss_mb(self) -> float:
        """The worker's peak resident memory (VmHWM) in MB, 0 if unknown."""
        if self._proc is None or self._proc.pid is None:
            return 0.0
        try:
            with open(f"/proc/{self._proc.pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return 0.0


class PosePipeline:
    """Keeps the worker busy: one frame being processed and the next already waiting.

    ``submit`` while ``full()`` is False, ``result()`` to take the oldest
    frame's result (frames come back in order, each with the ``tag`` it was
    submitted with). The caller does its own work (counting, decoding the
    next frame) while the model runs, so end to end the pipeline runs at the
    model's own rate. Used by the live facade and the speed bench alike.
    """

    DEPTH = 2

    def __init__(self, worker: PoseWorker) -> None:
        self.worker = worker
        self._inflight: deque[tuple[int, object]] = deque()

    def __len__(self) -> int:
        return len(self._inflight)

    def full(self) -> bool:
        return len(self._inflight) >= self.DEPTH

    def submit(self, frame_bgr: np.ndarray, t: float, captured: float, tag: object = None) -> None:
        seq = self.worker.submit(frame_bgr, t, captured)
        self._inflight.append((seq, tag))

    def result(self, timeout: float = 10.0) -> tuple[object, WorkerResult] | None:
        """The oldest frame's (tag, result), or None after ``timeout``; raises ``WorkerDied``."""
        deadline = time.monotonic() + timeout
        while self._inflight:
            r = self.worker.get(timeout=max(0.0, deadline - time.monotonic()))
            if r is None:
                return None
            while self._inflight and self._inflight[0][0] < r.seq:
                self._inflight.popleft()  # replaced before the worker took it
            if self._inflight and self._inflight[0][0] == r.seq:
                return self._inflight.popleft()[1], r
        return None

    def clear(self) -> None:
        """Forget what is in flight (after the worker died)."""
        self._inflight.clear()
