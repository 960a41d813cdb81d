"""Frame sources behind one interface: live camera, video file, simulated person.

Why this module exists: the coach must not care where frames come from. A
source yields ``Frame`` objects; a frame either carries a picture for the pose
model (camera, video) or ready-made landmarks (the simulated person, which
also renders a picture so a screen has something to show).

- ``VideoFileSource`` reads every frame in order and stamps it with the
  video's own time, so ``kiosk analyze`` gives the same answer on any machine.
- ``CameraSource`` reads in its own thread and keeps only the newest frame
  (latest frame wins: stale frames are dropped, never queued). When the device
  disappears (unplugged) it reports ``lost`` and keeps trying to reopen it;
  ``status`` says what the UI should show.
- ``SimulatedPerson`` lives in ``vision.sim``.

Frames stay in memory: nothing here writes a picture anywhere.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import cv2

log = logging.getLogger(__name__)


class SourceError(Exception):
    """A source cannot be opened or read (bad path, not a video, no camera)."""


@dataclass
class Frame:
    t: float
    """Source time in seconds (video timestamps; monotonic time for a camera)."""
    image: np.ndarray | None
    """BGR picture (for the model and for display), or None."""
    captured: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the frame was captured (for latency measurement)."""
    landmarks: np.ndarray | None = None
    """Ready-made ``(33, 4)`` landmarks (simulated person); None = run the model."""
    world: np.ndarray | None = None
    index: int = 0
    others: bool | None = None
    """Simulated person only: another body in the active zone (True/False), None = not checked."""


class VideoFileSource:
    """Every frame of a video file, in order, with the file's own timestamps."""

    kind = "video"
    realtime = False

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._cap: cv2.VideoCapture | None = None
        self._first: np.ndarray | None = None
        self.fps = 0.0
        self.frame_count = 0
        self._i = 0
        self.width = 0
        self.height = 0

    def open(self) -> VideoFileSource:
        import cv2

        if not self.path.exists():
            raise SourceError(f"video file not found: {self.path}")
        if not self.path.is_file():
            raise SourceError(f"not a file: {self.path}")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise SourceError(f"cannot open as a video: {self.path}")
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)  # honour rotation metadata (phone videos)
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not (1.0 <= self.fps <= 240.0):
            self.fps = 30.0
        self.frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise SourceError(f"no readable video frames in: {self.path}")
        self.height, self.width = first.shape[:2]
        self._first = first
        self._cap = cap
        self._i = 0
        return self

    def __enter__(self) -> VideoFileSource:
        return self.open() if self._cap is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def read(self) -> Frame | None:
        if self._cap is None:
            raise SourceError("source not open")
        img: np.ndarray | None
        if self._first is not None:
            img, self._first = self._first, None
        else:
            ok, img = self._cap.read()
            if not ok or img is None:
                return None
        # Timestamps from the frame index and the stream's rate: deterministic and
        # monotonic (container timestamps are sometimes missing or zero).
        t = self._i / self.fps
        f = Frame(t=t, image=img, index=self._i)
        self._i += 1
        return f

    def __iter__(self):
        while True:
            f = self.read()
            if f is None:
                return
            yield f

    def status(self) -> str:
        return "video"


def _camera_target(spec: str) -> int | str:
    s = spec.strip()
    if s.isdigit():
        return int(s)
    return s


def list_cameras() -> list[str]:
    """Video devices present, by stable path when udev provides one."""
    by_id = Path("/dev/v4l/by-id")
    out: list[str] = []
    if by_id.is_dir():
        out = sorted(str(p) for p in by_id.iterdir() if p.name.endswith("-index0"))
    if not out:
        out = sorted(str(p) for p in Path("/dev").glob("video*"))
    return out


class CameraSource:
    """A live camera read in its own thread; the newest frame wins.

    ``status`` is one of ``opening``, ``ok``, ``lost`` (unplugged or failing,
    retrying), ``not_found`` (never opened), ``stopped``.
    """

    kind = "camera"
    realtime = True

    def __init__(self, device: str | int, width: int = 640, height: int = 480,
                 retry_s: float = 1.0):
        self.device = str(device)
        self.width = width
        self.height = height
        self.retry_s = retry_s
        self._cap: cv2.VideoCapture | None = None
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._latest: Frame | None = None
        self._seq = 0
        self._taken = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = "opening"
        self.reopened = 0
        self.dropped = 0
        self._ever_opened = False

    # -- device handling -------------------------------------------------------
    def _open_device(self) -> bool:
        import cv2

        target = _camera_target(self.device)
        if isinstance(target, str) and target.startswith("/dev/") and not Path(target).exists():
            return False
        cap = cv2.VideoCapture(target, cv2.CAP_V4L2) if not isinstance(target, str) or target.startswith("/dev/") else cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            return False
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # do not let the driver queue old frames
        self._cap = cap
        if self._ever_opened:
            self.reopened += 1
            log.info("camera %s reopened", self.device)
        self._ever_opened = True
        return True

    def open(self) -> CameraSource:
        if not self._open_device():
            self.state = "not_found"
            raise SourceError(f"camera not found or busy: {self.device}")
        self.state = "ok"
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="camera-reader", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        fails = 0
        while not self._stop.is_set():
            if self._cap is None:
                if self._open_device():
                    self.state = "ok"
                    fails = 0
                else:
                    self._stop.wait(self.retry_s)
                    continue
            cap = self._cap
            assert cap is not None  # opened just above
            ok, img = cap.read()
            cap_t = time.monotonic()
            if not ok or img is None:
                fails += 1
                if fails >= 5:
                    if self.state != "lost":
                        log.warning("camera %s lost; retrying every %.1f s", self.device, self.retry_s)
                    self.state = "lost"
                    cap.release()
                    self._cap = None
                else:
                    time.sleep(0.02)
                continue
            fails = 0
            with self._cond:
                if self._latest is not None and self._taken < self._seq:
                    self.dropped += 1  # the previous frame was never taken: dropped, not queued
                self._seq += 1
                self._latest = Frame(t=cap_t, image=img, captured=cap_t, index=self._seq)
                self._cond.notify_all()
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def read(self, timeout: float = 1.0) -> Frame | None:
        """The newest frame not yet returned; waits up to ``timeout``; None if none came."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > self._taken or self._stop.is_set(), timeout):
                return None
            if self._stop.is_set() or self._latest is None:
                return None
            self._taken = self._seq
            return self._latest

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self.state = "stopped"

    def status(self) -> str:
        return self.state
