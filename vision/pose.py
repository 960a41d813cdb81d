"""Pose estimation with MediaPipe ``solutions.pose`` (model bundled in the wheel).

Why this module exists: it is the only place that touches the model. Everything
downstream works on a plain ``(33, 4)`` float array of normalised image
landmarks ``(x, y, z, visibility)`` and a ``(33, 3)`` array of world landmarks
(metres, hip-centred), so counting, form rules and tests never need MediaPipe.

``PoseEstimator`` runs in whatever process creates it: the worker process
(``vision.worker``) for the live path, or in-process for ``kiosk analyze`` and
the benches. Both call the same ``process()``.

Second person: MediaPipe's pose solution tracks one person. Every
``second_person_every`` frames the estimator blanks the tracked person's box
and asks a separate static-image detector whether another full body is left
in the picture; the result (True/False, or None when not checked on this
frame) travels with the landmarks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MAX_SIDE = 640
"""Frames are scaled down so the longer side is at most this before the model.

The model itself works on 256x256 crops; larger inputs only cost conversion time.
"""


@dataclass
class PoseResult:
    landmarks: np.ndarray | None
    """``(33, 4)`` float32: x, y (0..1 of the image), z (relative depth), visibility."""
    world: np.ndarray | None
    """``(33, 3)`` float32 metres, origin between the hips, y down."""
    others: bool | None = None
    """A second person was seen (True), not seen (False), or not checked (None)."""
    luma: float = 0.0
    """Mean brightness of the frame, 0..255 (for "too dark")."""
    width: int = 0
    height: int = 0


def prepare_frame(frame: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Scale a BGR frame down (never up) so its longer side is at most ``max_side``."""
    import cv2

    h, w = frame.shape[:2]
    s = max(h, w)
    if s <= max_side:
        return frame
    f = max_side / s
    return cv2.resize(frame, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def frame_luma(frame: np.ndarray) -> float:
    """Mean brightness (0..255) of a BGR frame, on a subsample for speed."""
    sub = frame[::8, ::8]
    # ITU-R BT.601 weights on B, G, R
    return float(sub[..., 0].mean() * 0.114 + sub[..., 1].mean() * 0.587 + sub[..., 2].mean() * 0.299)


class ModelMissing(RuntimeError):
    """The pose model for the asked complexity is not in the installed wheel."""


_MODEL_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite",
                2: "pose_landmark_heavy.tflite"}


def check_model_bundled(model_complexity: int) -> None:
    """Refuse to start rather than let MediaPipe download a model at run time."""
    import mediapipe as mp

    f = Path(mp.__file__).parent / "modules" / "pose_landmark" / _MODEL_FILES[model_complexity]
    if not f.is_file() or f.stat().st_size == 0:
        raise ModelMissing(
            f"pose model for model_complexity={model_complexity} is not bundled ({f.name}); "
            "use model_complexity = 1 (bundled in the mediapipe wheel)"
        )


class PoseEstimator:
    """One MediaPipe pose tracker (video mode) plus an occasional second-person check."""

    def __init__(self, model_complexity: int = 1, second_person_every: int = 15):
        import mediapipe as mp

        check_model_bundled(model_complexity)
        self._mp_pose = mp.solutions.pose
        self._pose = self._mp_pose.Pose(
            static_image_mode=False,
            model_complexity=model_complexity,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._model_complexity = model_complexity
        self._other: object | None = None
        self.second_person_every = second_person_every
        self._n = 0

    def close(self) -> None:
        self._pose.close()
        if self._other is not None:
            self._other.close()  # type: ignore[attr-defined]

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, frame_bgr: np.ndarray, check_others: bool | None = None) -> PoseResult:
        """Landmarks for one BGR frame (any size; scaled down internally)."""
        import cv2

        small = prepare_frame(frame_bgr)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        res = self._pose.process(rgb)
        h, w = frame_bgr.shape[:2]
        out = PoseResult(None, None, None, frame_luma(small), w, h)
        if res.pose_landmarks is not None:
            out.landmarks = np.array(
                [(p.x, p.y, p.z, p.visibility) for p in res.pose_landmarks.landmark], dtype=np.float32
            )
        if res.pose_world_landmarks is not None:
            out.world = np.array(
                [(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark], dtype=np.float32
            )
        self._n += 1
        if check_others is None:
            check_others = self.second_person_every > 0 and (self._n % self.second_person_every == 1)
        if check_others:
            out.others = self._second_person(rgb, out.landmarks)
        return out

    def _second_person(self, rgb: np.ndarray, lm: np.ndarray | None) -> bool:
        """Blank the tracked person's box and look for another full body in what is left."""
        if lm is None:
            return False
        if self._other is None:
            self._other = self._mp_pose.Pose(
                static_image_mode=True,
                model_complexity=self._model_complexity,
                enable_segmentation=False,
                min_detection_confidence=0.6,
            )
        h, w = rgb.shape[:2]
        vis = lm[:, 3] > 0.3
        pts = lm[vis, :2] if vis.sum() >= 4 else lm[:, :2]
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        mx, my = (x1 - x0) * 0.15 + 0.02, (y1 - y0) * 0.08 + 0.02
        xa, xb = int(max(0, x0 - mx) * w), int(min(1, x1 + mx) * w)
        ya, yb = int(max(0, y0 - my) * h), int(min(1, y1 + my) * h)
        masked = rgb.copy()
        masked[ya:yb, xa:xb] = 127
        res = self._other.process(masked)  # type: ignore[attr-defined]
        if res.pose_landmarks is None:
            return False
        p = np.array([(q.x, q.y, q.visibility) for q in res.pose_landmarks.landmark])
        core = p[[11, 12, 23, 24]]
        if (core[:, 2] < 0.6).any():
            return False
        cx = core[:, 0].mean()
        cy = core[:, 1].mean()
        inside = (xa / w) <= cx <= (xb / w) and (ya / h) <= cy <= (yb / h)
        torso = abs(core[2:, 1].mean() - core[:2, 1].mean())
        return bool((not inside) and torso > 0.05)
