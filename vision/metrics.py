"""Named body measurements from landmarks: the vocabulary exercise files use.

Why this module exists: exercises are data. An exercise file names a metric
(``knee_angle``, ``arm_elevation``, ...) and a side; this module turns
landmarks into those numbers. Each metric returns a value per side
(left, right) and how visible the landmarks behind it were, so the counter
can choose the better-visible side or combine both.

Coordinates: normalised image landmarks are scaled to the picture's
proportions (x times width/height) before angles and distances are taken;
lengths are then divided by a body length (torso) so they do not depend on
how far the person stands from the camera.

Joint angles use MediaPipe's 3D world landmarks when they are available: a
squat seen from the front barely changes the knee angle in the picture, but
the 3D estimate does. Knee and hip angles take the more-bent of the picture
and 3D angles (see ``_fused``); elbow angle and arm elevation use 3D. The
``*_2d`` variants measure in the picture only (the naive baseline, and the
biceps curl, where the picture angle was the steadier one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# MediaPipe BlazePose landmark indices
NOSE = 0
L_SHOULDER, R_SHOULDER = 11, 12
L_ELBOW, R_ELBOW = 13, 14
L_WRIST, R_WRIST = 15, 16
L_HIP, R_HIP = 23, 24
L_KNEE, R_KNEE = 25, 26
L_ANKLE, R_ANKLE = 27, 28
L_HEEL, R_HEEL = 29, 30
L_FOOT, R_FOOT = 31, 32

LANDMARK_NAMES = [
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
]

SKELETON = [
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (24, 26), (26, 28), (27, 29), (29, 31), (27, 31), (28, 30),
    (30, 32), (28, 32), (0, 11), (0, 12),
]
"""Bones to draw (pairs of landmark indices)."""

GROUPS: dict[str, tuple[int, ...]] = {
    "head": (NOSE,),
    "shoulders": (L_SHOULDER, R_SHOULDER),
    "elbows": (L_ELBOW, R_ELBOW),
    "wrists": (L_WRIST, R_WRIST),
    "hips": (L_HIP, R_HIP),
    "knees": (L_KNEE, R_KNEE),
    "ankles": (L_ANKLE, R_ANKLE),
}
"""Landmark groups an exercise can require to be visible."""


@dataclass
class Body:
    """Landmarks of one frame prepared for measuring."""

    p: np.ndarray
    """``(33, 2)`` positions in picture proportions (x * aspect, y), y down."""
    vis: np.ndarray
    """``(33,)`` visibility (0 where gated out)."""
    w: np.ndarray | None = None
    """``(33, 3)`` world landmarks in metres (MediaPipe's 3D estimate), if known."""
    _torso: float | None = None

    @classmethod
    def from_landmarks(cls, lm: np.ndarray, aspect: float, world: np.ndarray | None = None) -> Body:
        p = np.asarray(lm[:, :2], dtype=np.float64) * np.array([aspect, 1.0])
        w = None
        if world is not None:
            w = np.asarray(world, dtype=np.float64)
        return cls(p, np.asarray(lm[:, 3], dtype=np.float64), w)

    def pts(self, i: tuple[int, ...]) -> list[np.ndarray]:
        """Points for a joint angle: 3D world landmarks when known, else the picture's 2D."""
        if self.w is not None:
            q = self.w[list(i)]
            if np.isfinite(q).all():
                return [q[0], q[1], q[2]]
        return [self.p[j] for j in i]

    def torso(self) -> float:
        """Shoulder-centre to hip-centre length (the body's unit of length)."""
        if self._torso is None:
            p = self.p
            dx = (p[L_SHOULDER, 0] + p[R_SHOULDER, 0] - p[L_HIP, 0] - p[R_HIP, 0]) / 2
            dy = (p[L_SHOULDER, 1] + p[R_SHOULDER, 1] - p[L_HIP, 1] - p[R_HIP, 1]) / 2
            self._torso = max(math.hypot(float(dx), float(dy)), 1e-6)
        return self._torso


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle at ``b`` in degrees (0..180). Plain floats: faster than numpy on 2-3 numbers."""
    bl = b.tolist()
    v1 = [x - y for x, y in zip(a.tolist(), bl, strict=True)]
    v2 = [x - y for x, y in zip(c.tolist(), bl, strict=True)]
    n = math.sqrt(sum(x * x for x in v1) * sum(x * x for x in v2))
    if not n > 1e-12:
        return float("nan")
    cos = sum(x * y for x, y in zip(v1, v2, strict=True)) / n
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


Sided = tuple[float, float, float, float]
"""(left value, right value, left visibility, right visibility)."""


def _sided(body: Body, idx_l: tuple[int, ...], idx_r: tuple[int, ...],
           f: Callable[[tuple[int, ...]], float]) -> Sided:
    return (f(idx_l), f(idx_r), float(body.vis[list(idx_l)].min()), float(body.vis[list(idx_r)].min()))


def _fused(b: Body, i: tuple[int, ...]) -> float:
    """The more-bent of the picture angle and the 3D angle at ``i[1]``.

    Seen across the camera's view the picture angle is exact and the 3D
    estimate is noisier; bending toward the camera the picture angle stays
    nearly straight while the 3D estimate sees the bend. Taking the smaller
    angle uses whichever of the two sees the bend.
    """
    a2 = _angle(b.p[i[0]], b.p[i[1]], b.p[i[2]])
    a3 = _angle(*b.pts(i)) if b.w is not None else a2
    if math.isnan(a3):
        return a2
    if math.isnan(a2):
        return a3
    return min(a2, a3)


def knee_angle(b: Body) -> Sided:
    """Hip-knee-ankle angle: about 175 standing, 90 at a parallel squat (2D and 3D fused)."""
    return _sided(b, (L_HIP, L_KNEE, L_ANKLE), (R_HIP, R_KNEE, R_ANKLE),
                  lambda i: _fused(b, i))


def hip_angle(b: Body) -> Sided:
    """Shoulder-hip-knee angle: about 175 standing upright, about 90 seated (2D and 3D fused)."""
    return _sided(b, (L_SHOULDER, L_HIP, L_KNEE), (R_SHOULDER, R_HIP, R_KNEE),
                  lambda i: _fused(b, i))


def elbow_angle(b: Body) -> Sided:
    """Shoulder-elbow-wrist angle: about 170 with the arm straight, 30-50 fully curled."""
    return _sided(b, (L_SHOULDER, L_ELBOW, L_WRIST), (R_SHOULDER, R_ELBOW, R_WRIST),
                  lambda i: _angle(*b.pts(i)))


def arm_elevation(b: Body) -> Sided:
    """Hip-shoulder-elbow angle: 0-20 arm hanging, 90 at shoulder height, 150+ overhead."""
    return _sided(b, (L_HIP, L_SHOULDER, L_ELBOW), (R_HIP, R_SHOULDER, R_ELBOW),
                  lambda i: _angle(*b.pts(i)))


def _flat(b: Body) -> Body:
    return Body(b.p, b.vis, None)


def knee_angle_2d(b: Body) -> Sided:
    """Knee angle in the picture only (what simple counters use; view-dependent)."""
    return knee_angle(_flat(b))


def hip_angle_2d(b: Body) -> Sided:
    return hip_angle(_flat(b))


def elbow_angle_2d(b: Body) -> Sided:
    return elbow_angle(_flat(b))


def arm_elevation_2d(b: Body) -> Sided:
    return arm_elevation(_flat(b))


def wrist_height(b: Body) -> Sided:
    """Wrist above the shoulder, in torso lengths (negative below)."""
    t = b.torso()
    return _sided(b, (L_SHOULDER, L_WRIST), (R_SHOULDER, R_WRIST),
                  lambda i: float((b.p[i[0], 1] - b.p[i[1], 1]) / t))


def knee_below_hip(b: Body) -> Sided:
    """Knee below the hip, in torso lengths: about 0.9 standing, 0 with the thigh level."""
    t = b.torso()
    return _sided(b, (L_HIP, L_KNEE), (R_HIP, R_KNEE),
                  lambda i: float((b.p[i[1], 1] - b.p[i[0], 1]) / t))


def hip_above_ankle(b: Body) -> Sided:
    """Hip above the ankle, in torso lengths: about 1.6 standing, about 0.8 at a parallel squat."""
    t = b.torso()
    return _sided(b, (L_HIP, L_ANKLE), (R_HIP, R_ANKLE),
                  lambda i: float((b.p[i[1], 1] - b.p[i[0], 1]) / t))


def _both(value: float, vis: float) -> Sided:
    return (value, value, vis, vis)


def torso_lean(b: Body) -> Sided:
    """Trunk angle from vertical in degrees (0 upright)."""
    s = (b.p[L_SHOULDER] + b.p[R_SHOULDER]) / 2
    h = (b.p[L_HIP] + b.p[R_HIP]) / 2
    v = s - h
    ang = math.degrees(math.atan2(abs(v[0]), max(-v[1], 1e-9))) if v[1] < 0 else 90.0 + math.degrees(math.atan2(v[1], abs(v[0]) + 1e-9))
    vis = float(b.vis[[L_SHOULDER, R_SHOULDER, L_HIP, R_HIP]].min())
    return _both(ang, vis)


def knee_width_ratio(b: Body) -> Sided:
    """Knee spread over ankle spread (front view): below about 0.8 the knees cave in."""
    kw = abs(b.p[L_KNEE, 0] - b.p[R_KNEE, 0])
    aw = abs(b.p[L_ANKLE, 0] - b.p[R_ANKLE, 0])
    vis = float(b.vis[[L_KNEE, R_KNEE, L_ANKLE, R_ANKLE]].min())
    return _both(float(kw / max(aw, 1e-6)), vis)


def ankle_spread(b: Body) -> Sided:
    """Ankle spread over shoulder width (front view): about 1 feet together... 2+ wide apart."""
    aw = abs(b.p[L_ANKLE, 0] - b.p[R_ANKLE, 0])
    sw = abs(b.p[L_SHOULDER, 0] - b.p[R_SHOULDER, 0])
    vis = float(b.vis[[L_SHOULDER, R_SHOULDER, L_ANKLE, R_ANKLE]].min())
    return _both(float(aw / max(sw, 1e-6)), vis)


def arm_asymmetry(b: Body) -> Sided:
    """Difference of the two arms' elevation in degrees."""
    lv, rv, vl, vr = arm_elevation(b)
    return _both(abs(lv - rv), min(vl, vr))


def foot_lift(b: Body) -> Sided:
    """How far one ankle is above the other, in torso lengths (single-leg stance)."""
    t = b.torso()
    d = float((b.p[L_ANKLE, 1] - b.p[R_ANKLE, 1]) / t)
    vis = float(b.vis[[L_ANKLE, R_ANKLE]].min())
    # left value: the left foot lifted (its ankle higher = smaller y); right likewise
    return (-d, d, vis, vis)


def shoulder_width_ratio(b: Body) -> Sided:
    """Shoulder width over torso length: about 0.6-0.8 facing the camera, under 0.3 side-on."""
    sw = abs(b.p[L_SHOULDER, 0] - b.p[R_SHOULDER, 0])
    vis = float(b.vis[[L_SHOULDER, R_SHOULDER, L_HIP, R_HIP]].min())
    return _both(float(sw / b.torso()), vis)


METRICS: dict[str, Callable[[Body], Sided]] = {
    "knee_angle": knee_angle,
    "knee_angle_2d": knee_angle_2d,
    "hip_angle_2d": hip_angle_2d,
    "elbow_angle_2d": elbow_angle_2d,
    "arm_elevation_2d": arm_elevation_2d,
    "hip_angle": hip_angle,
    "elbow_angle": elbow_angle,
    "arm_elevation": arm_elevation,
    "wrist_height": wrist_height,
    "knee_below_hip": knee_below_hip,
    "hip_above_ankle": hip_above_ankle,
    "torso_lean": torso_lean,
    "knee_width_ratio": knee_width_ratio,
    "ankle_spread": ankle_spread,
    "arm_asymmetry": arm_asymmetry,
    "foot_lift": foot_lift,
    "shoulder_width_ratio": shoulder_width_ratio,
}

SIDES = ("left", "right", "best", "both", "min", "max")


def combine(v: Sided, side: str, min_visibility: float = 0.5) -> tuple[float, float]:
    """One value from a sided measurement, and the visibility behind it.

    ``best``: the better-visible side; ``both``: the mean (both must be
    visible); ``min``/``max``: the smaller/larger of the visible sides.
    """
    lv, rv, vl, vr = v
    if side == "left":
        return lv, vl
    if side == "right":
        return rv, vr
    if side == "both":
        return (lv + rv) / 2, min(vl, vr)
    if side == "best":
        return (lv, vl) if vl >= vr else (rv, vr)
    cands = [(x, vx) for x, vx in ((lv, vl), (rv, vr)) if vx >= min_visibility and not math.isnan(x)]
    if not cands:
        return (lv, vl) if vl >= vr else (rv, vr)
    if side == "min":
        return min(cands)
    if side == "max":
        return max(cands)
    raise ValueError(f"unknown side {side!r}")
