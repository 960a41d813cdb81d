"""The live camera source with a fake capture device: latest frame wins, unplug and replug."""

from __future__ import annotations

import threading
import time

import numpy as np

import vision.sources as sources


class FakeCapture:
    """Stands in for cv2.VideoCapture: 'plugged' is shared, so a reopen sees the device again."""

    plugged = threading.Event()
    opened = 0

    def __init__(self, *args, **kwargs):
        self._ok = FakeCapture.plugged.is_set()
        self._n = 0
        if self._ok:
            FakeCapture.opened += 1

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self._ok

    def set(self, *args):
        return True

    def read(self):
        time.sleep(0.002)  # a fast camera: ~500 frames/s
        if not FakeCapture.plugged.is_set():
            return False, None
        self._n += 1
        img = np.full((4, 4, 3), self._n % 255, dtype=np.uint8)
        return True, img

    def release(self):
        self._ok = False


def test_latest_frame_wins_and_unplug_replug(monkeypatch):
    import cv2

    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    FakeCapture.plugged.set()
    cam = sources.CameraSource("0", retry_s=0.05)
    cam.open()
    try:
        f1 = cam.read(timeout=1.0)
        time.sleep(0.1)  # the consumer is slow: frames pile up at the camera...
        f2 = cam.read(timeout=1.0)
        assert f2.index > f1.index + 5  # ...but only the newest one is handed out
        assert cam.dropped > 0
        assert f2.captured <= time.monotonic()
        FakeCapture.plugged.clear()  # unplug
        deadline = time.monotonic() + 2.0
        while cam.status() != "lost" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cam.status() == "lost"
        FakeCapture.plugged.set()  # plug back in
        deadline = time.monotonic() + 2.0
        while cam.status() != "ok" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cam.status() == "ok" and cam.reopened == 1
        assert cam.read(timeout=1.0) is not None
    finally:
        cam.close()
    assert cam.status() == "stopped"
