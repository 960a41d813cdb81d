"""Pose estimation with MediaPipe ``solutions.pose`` (model bundled in the wheel).

Why this module exists: it is the only place that touches the model. Everything
downstream works on a plain ``(33, 4)`` float array of normalised image
landmarks ``(x, y, z, visibility)`` and a ``(33, 3)`` array of world landmarks
(metres, hip-centred), so counting, form rules and tests never need MediaPipe.

``PoseEstimator`` runs in whatever process creates it: the worker process
(``vision.worker``) for the live path, or in-process for ``kiosk analyze`` and
the benches. Both call the same ``process()``.

Second person: MediaPipe's pose solution tracks one person. Every
``second_person_every`` frames the estimator greys out the tracked person and
asks a separate static-image pose pass whether another body is left in the
picture. ``others`` (True/False, or None when not checked on this frame)
says whether such a body overlaps the active zone: the space the resident
exercises in, the tracked person's box (arms and legs included) widened by
``ZONE_MARGIN`` of its width on each side. "Overlaps" means the other
person's trunk (shoulders to hips) is inside that space: someone walking
through or standing in front of or behind the resident. Someone exercising
beside the resident in their own space, even with hands that nearly touch,
does not stop the count (if the tracker jumps to them, the engine notices
the jump). When the
tracked person is off to the side of the picture and the other body is in
the middle, the tracked person is greyed out of the tracker's input for a
moment so that it picks up the person in the middle (the one nearest the
centre, the one the kiosk coaches). ``others_ms`` is the cost of the check
(for the bench).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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
    others_ms: float = 0.0
    """Time the second-person check took on this frame (0 when not checked)."""


def grey_out(rgb: np.ndarray, box: Box) -> np.ndarray:
    """A copy of the picture with ``box`` (0..1 coordinates) painted mid-grey."""
    h, w = rgb.shape[:2]
    out = rgb.copy()
    xa, xb = int(max(0.0, box[0]) * w), int(min(1.0, box[2]) * w)
    ya, yb = int(max(0.0, box[1]) * h), int(min(1.0, box[3]) * h)
    out[ya:yb, xa:xb] = 127
    return out


def _padded(box: Box) -> Box:
    """A body's box with a little room for what the landmarks miss (hair, hands, feet).

    Kept tight: someone standing close beside or half behind the resident must stay
    visible to the second pass.
    """
    x0, y0, x1, y1 = box
    mx, my = (x1 - x0) * 0.05 + 0.01, (y1 - y0) * 0.06 + 0.01
    return x0 - mx, y0 - my, x1 + mx, y1 + my


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


class _PoseModel(Protocol):
    """What this module uses of MediaPipe's (untyped) pose solution."""

    def process(self, image: np.ndarray) -> Any: ...

    def close(self) -> None: ...


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


ZONE_MARGIN = 0.05
"""The active zone: the tracked person's box widened by this share of its width on each side."""
CENTRE_BAND = (0.25, 0.75)
"""The middle of the picture (share of its width) where the coached person stands."""
SWITCH_FRAMES = 10
"""Frames the off-centre tracked person is greyed out so the tracker finds the central one."""

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 in 0..1 of the picture."""


def body_box(lm: np.ndarray, min_visibility: float = 0.3) -> Box | None:
    """The box around a body's visible landmarks (None when fewer than 4 are visible)."""
    vis = lm[:, 3] > min_visibility
    if int(vis.sum()) < 4:
        return None
    pts = lm[vis, :2]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def active_zone(box: Box) -> Box:
    x0, y0, x1, y1 = box
    m = (x1 - x0) * ZONE_MARGIN
    return x0 - m, y0, x1 + m, y1


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _centre_x(box: Box) -> float:
    return (box[0] + box[2]) / 2


def _in_band(box: Box) -> bool:
    return CENTRE_BAND[0] <= _centre_x(box) <= CENTRE_BAND[1]


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
        self._other: _PoseModel | None = None
        self.second_person_every = second_person_every
        self._n = 0
        self._switch: tuple[Box, int] | None = None
        """(box to grey out of the tracker's input, frames left)."""

    def close(self) -> None:
        self._pose.close()
        if self._other is not None:
            self._other.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, frame_bgr: np.ndarray, check_others: bool | None = None) -> PoseResult:
        """Landmarks for one BGR frame (any size; scaled down internally)."""
        import cv2

        small = prepare_frame(frame_bgr)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        feed = rgb
        if self._switch is not None:
            box, left = self._switch
            feed = grey_out(rgb, box)
            self._switch = (box, left - 1) if left > 1 else None
        feed.flags.writeable = False
        res = self._pose.process(feed)
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
            t0 = time.perf_counter()
            other = self.find_other(rgb, out.landmarks)
            out.others = self.judge_other(out.landmarks, other)
            out.others_ms = (time.perf_counter() - t0) * 1000
        return out

    def find_other(self, rgb: np.ndarray, lm: np.ndarray | None) -> Box | None:
        """Grey out the tracked person and look for another body in what is left; its trunk's box.

        Runs a second, static-image pose pass (the model finds one body per
        pass). Only a body whose shoulders and hips are clearly visible
        counts, and not one that lies within the greyed-out box (the model
        guessing the hidden person).
        """
        if lm is None:
            return None
        tracked = body_box(lm)
        if tracked is None:
            return None
        if self._other is None:
            self._other = self._mp_pose.Pose(
                static_image_mode=True,
                model_complexity=self._model_complexity,
                enable_segmentation=False,
                min_detection_confidence=0.6,
            )
        hidden = _padded(tracked)
        res = self._other.process(grey_out(rgb, hidden))
        if res.pose_landmarks is None:
            return None
        p = np.array([(q.x, q.y, q.z, q.visibility) for q in res.pose_landmarks.landmark])
        core = p[[11, 12, 23, 24]]
        if (core[:, 3] < 0.6).any():
            return None
        cx, cy = float(core[:, 0].mean()), float(core[:, 1].mean())
        if hidden[0] <= cx <= hidden[2] and hidden[1] <= cy <= hidden[3]:
            return None
        if abs(float(core[2:, 1].mean() - core[:2, 1].mean())) < 0.05:
            return None  # too small to be a person near the kiosk
        return float(core[:, 0].min()), float(core[:, 1].min()), float(core[:, 0].max()), float(core[:, 1].max())

    def judge_other(self, lm: np.ndarray | None, other_trunk: Box | None) -> bool:
        """Is the other person's trunk in the active zone? Also switches to the central person."""
        if other_trunk is None or lm is None:
            return False
        tracked = body_box(lm)
        if tracked is None:
            return False
        if not _in_band(tracked) and _in_band(other_trunk):
            self._switch = (_padded(tracked), SWITCH_FRAMES)
        return overlaps(active_zone(tracked), other_trunk)
