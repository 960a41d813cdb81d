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
``*_2d`` variants measure in the picture only (the naive baseline, the biceps
curl, where the picture angle was the steadier one, and form rules that judge
only a side view, where the picture shows the body's own plane undistorted).

Body scale: lengths are fractions of a body length, never pixels. Heights use
the world landmarks (metres, the same for any view and any distance) divided
by the person's own leg length, so "hips at 0.5 of leg length" means seated
for a short or a tall resident, seen from the front or the side. Picture
lengths are divided by a picture-to-metre scale taken from the body itself
(``Body.scale``).

Views: some measurements only mean something from one side (a knee caving in
is seen from the front, knees travelling past the toes from the side). The
engine classifies the view of every repetition with ``view_of`` and a form
rule that cannot judge that view stays silent.
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
    _scale: float | None = None
    _pl: list[list[float]] | None = None
    _wl: list[list[float]] | None = None
    _vl: list[float] | None = None

    def d2(self, a: int, b: int) -> float:
        """Picture distance between two landmarks (plain floats: much faster than numpy here)."""
        if self._pl is None:
            self._pl = self.p.tolist()
        pa, pb = self._pl[a], self._pl[b]
        return math.hypot(pa[0] - pb[0], pa[1] - pb[1])

    def d3(self, a: int, b: int) -> float:
        """World distance (metres) between two landmarks; NaN without world landmarks."""
        if self.w is None:
            return float("nan")
        if self._wl is None:
            self._wl = self.w.tolist()
        wa, wb = self._wl[a], self._wl[b]
        return math.sqrt((wa[0] - wb[0]) ** 2 + (wa[1] - wb[1]) ** 2 + (wa[2] - wb[2]) ** 2)

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

    def seen(self, *ids: int) -> bool:
        """All these landmarks are visible on this frame."""
        return self.vmin(*ids) >= 0.5

    def vmin(self, *ids: int) -> float:
        """The lowest visibility among these landmarks."""
        if self._vl is None:
            self._vl = self.vis.tolist()
        v = self._vl
        return min(v[i] for i in ids)

    def scale(self) -> float:
        """Picture units per metre, from the body itself (NaN without world landmarks).

        A segment seen across the camera has its full length in the picture;
        one pointing at the camera looks shorter, never longer. Of the long,
        rigid segments that are visible, the second-largest ratio of picture
        length to 3D length is taken (the largest could be a 3D length the
        model underestimated).
        """
        if self._scale is None:
            self._scale = float("nan")
            if self.w is not None:
                ratios = []
                for a, b in _SCALE_SEGMENTS:
                    if self.vis[a] < 0.5 or self.vis[b] < 0.5:
                        continue
                    d3 = self.d3(a, b)
                    if d3 > 0.1:  # metres: a real segment, not a collapsed estimate
                        ratios.append(self.d2(a, b) / d3)
                if len(ratios) >= 2:
                    self._scale = sorted(ratios)[-2]
        return self._scale

    def leg_length(self) -> float:
        """Leg length (hip-knee-ankle, metres, mean of both legs) from the world landmarks, or NaN."""
        if self.w is None:
            return float("nan")
        return (self.d3(L_HIP, L_KNEE) + self.d3(L_KNEE, L_ANKLE)
                + self.d3(R_HIP, R_KNEE) + self.d3(R_KNEE, R_ANKLE)) / 2

    def facing(self, side: str) -> float:
        """+1 when the person faces right in the picture, -1 left (side views), from the foot."""
        heel, toe = (L_HEEL, L_FOOT) if side == "left" else (R_HEEL, R_FOOT)
        d = float(self.p[toe, 0] - self.p[heel, 0])
        return 1.0 if d >= 0 else -1.0


_SCALE_SEGMENTS = ((L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_SHOULDER, L_HIP), (R_SHOULDER, R_HIP),
                   (L_HIP, L_KNEE), (R_HIP, R_KNEE), (L_KNEE, L_ANKLE), (R_KNEE, R_ANKLE),
                   (L_SHOULDER, L_ELBOW), (R_SHOULDER, R_ELBOW))


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
    return (f(idx_l), f(idx_r), body.vmin(*idx_l), body.vmin(*idx_r))


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
    """Angle of the upper arm from the trunk: 0-20 hanging, 90 at shoulder height, 150+ overhead.

    Measured against the trunk (hip-shoulder line) when the hips are in view,
    else against the vertical (a resident seated or close to the camera shows
    only the upper body; seated upright, the trunk is vertical). Visibility is
    that of the shoulder and elbow: the hips are not needed.
    """
    return (_elevation(b, L_HIP, L_SHOULDER, L_ELBOW), _elevation(b, R_HIP, R_SHOULDER, R_ELBOW),
            float(min(b.vis[L_SHOULDER], b.vis[L_ELBOW])), float(min(b.vis[R_SHOULDER], b.vis[R_ELBOW])))


def _elevation(b: Body, hip: int, sh: int, el: int) -> float:
    if b.vis[hip] >= 0.5:
        return _angle(*b.pts((hip, sh, el)))
    if b.w is not None and np.isfinite(b.w[[sh, el]]).all():
        below = b.w[sh] + np.array([0.0, 1.0, 0.0])  # world y points down
        return _angle(below, b.w[sh], b.w[el])
    return _angle(b.p[sh] + np.array([0.0, 1.0]), b.p[sh], b.p[el])


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
    """Upper arm from the trunk in the picture: the shoulder's flexion, exact from the side."""
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
    vis = b.vmin(L_SHOULDER, R_SHOULDER, L_HIP, R_HIP)
    return _both(ang, vis)


def knee_width_ratio(b: Body) -> Sided:
    """Knee spread over ankle spread (front view): below about 0.8 the knees cave in."""
    kw = abs(b.p[L_KNEE, 0] - b.p[R_KNEE, 0])
    aw = abs(b.p[L_ANKLE, 0] - b.p[R_ANKLE, 0])
    vis = b.vmin(L_KNEE, R_KNEE, L_ANKLE, R_ANKLE)
    return _both(float(kw / max(aw, 1e-6)), vis)


def ankle_spread(b: Body) -> Sided:
    """Ankle spread over shoulder width (front view): about 1 feet together... 2+ wide apart."""
    aw = abs(b.p[L_ANKLE, 0] - b.p[R_ANKLE, 0])
    sw = abs(b.p[L_SHOULDER, 0] - b.p[R_SHOULDER, 0])
    vis = b.vmin(L_SHOULDER, R_SHOULDER, L_ANKLE, R_ANKLE)
    return _both(float(aw / max(sw, 1e-6)), vis)


def arm_asymmetry(b: Body) -> Sided:
    """Difference of the two arms' elevation in degrees."""
    lv, rv, vl, vr = arm_elevation(b)
    return _both(abs(lv - rv), min(vl, vr))


def foot_lift(b: Body) -> Sided:
    """How far one ankle is above the other, in torso lengths (single-leg stance)."""
    t = b.torso()
    d = float((b.p[L_ANKLE, 1] - b.p[R_ANKLE, 1]) / t)
    vis = b.vmin(L_ANKLE, R_ANKLE)
    # left value: the left foot lifted (its ankle higher = smaller y); right likewise
    return (-d, d, vis, vis)


def shoulder_width_ratio(b: Body) -> Sided:
    """Shoulder width over torso length: about 0.6-0.8 facing the camera, under 0.3 side-on."""
    sw = abs(b.p[L_SHOULDER, 0] - b.p[R_SHOULDER, 0])
    vis = b.vmin(L_SHOULDER, R_SHOULDER, L_HIP, R_HIP)
    return _both(float(sw / b.torso()), vis)


def hip_height(b: Body) -> Sided:
    """Hip above the ankle as a fraction of the person's leg length: about 1.0 standing, 0.5 seated.

    From the world landmarks (metres): the vertical hip-ankle distance over
    thigh + shank length of the same leg, so it does not depend on the view,
    the distance to the camera or the person's size. A chair seat is about
    0.45 m high and a leg about 0.85 m long: seated is 0.5-0.65; standing
    straight is 0.95-1.0. Without world landmarks the picture is used (the
    same ratio with picture lengths; exact from the side only).
    """
    def one(h: int, k: int, a: int) -> float:
        w = b.w
        leg = b.d3(h, k) + b.d3(k, a)
        if w is not None and leg > 0.2:  # NaN (a landmark the trace does not hold) is not
            return float(w[a, 1] - w[h, 1]) / leg
        leg2 = b.d2(h, k) + b.d2(k, a)
        return float(b.p[a, 1] - b.p[h, 1]) / max(leg2, 1e-6)

    return (one(L_HIP, L_KNEE, L_ANKLE), one(R_HIP, R_KNEE, R_ANKLE),
            b.vmin(L_HIP, L_KNEE, L_ANKLE), b.vmin(R_HIP, R_KNEE, R_ANKLE))


def _lean(v: np.ndarray, facing: float) -> float:
    """Angle of a picture vector (pointing up the body) from the vertical, forward positive."""
    return math.degrees(math.atan2(facing * float(v[0]), -float(v[1])))


def trunk_shin_gap(b: Body) -> Sided:
    """Side view: trunk lean minus shin lean, in degrees (the hip hinge).

    In a balanced squat the trunk stays about parallel to the shins (gap
    -10..+20 degrees); a hip hinge folds the trunk forward while the knees
    hardly bend (gap 50+). Per side: that leg's shin, the trunk on that side.
    """
    def one(side: str, s: int, h: int, k: int, a: int) -> float:
        f = b.facing(side)
        return _lean(b.p[s] - b.p[h], f) - _lean(b.p[k] - b.p[a], f)

    return (one("left", L_SHOULDER, L_HIP, L_KNEE, L_ANKLE), one("right", R_SHOULDER, R_HIP, R_KNEE, R_ANKLE),
            b.vmin(L_SHOULDER, L_HIP, L_KNEE, L_ANKLE, L_FOOT, L_HEEL),
            b.vmin(R_SHOULDER, R_HIP, R_KNEE, R_ANKLE, R_FOOT, R_HEEL))


def knee_past_toe(b: Body) -> Sided:
    """Side view: how far the knee is ahead of the toes, in shin lengths (negative: behind)."""
    def one(side: str, k: int, a: int, toe: int) -> float:
        return b.facing(side) * float(b.p[k, 0] - b.p[toe, 0]) / max(b.d2(k, a), 1e-6)

    return (one("left", L_KNEE, L_ANKLE, L_FOOT), one("right", R_KNEE, R_ANKLE, R_FOOT),
            b.vmin(L_KNEE, L_ANKLE, L_FOOT, L_HEEL),
            b.vmin(R_KNEE, R_ANKLE, R_FOOT, R_HEEL))


def hip_behind_heel(b: Body) -> Sided:
    """Side view: how far the hips sit back behind the heel, in shin lengths (negative: ahead)."""
    def one(side: str, h: int, k: int, a: int, heel: int) -> float:
        return b.facing(side) * float(b.p[heel, 0] - b.p[h, 0]) / max(b.d2(k, a), 1e-6)

    return (one("left", L_HIP, L_KNEE, L_ANKLE, L_HEEL), one("right", R_HIP, R_KNEE, R_ANKLE, R_HEEL),
            b.vmin(L_HIP, L_KNEE, L_ANKLE, L_HEEL, L_FOOT),
            b.vmin(R_HIP, R_KNEE, R_ANKLE, R_HEEL, R_FOOT))


def hip_below_knee(b: Body) -> Sided:
    """Side view: hip below the knee, in thigh lengths (0 = thigh level, parallel; negative: above)."""
    def one(h: int, k: int) -> float:
        return float(b.p[h, 1] - b.p[k, 1]) / max(b.d2(h, k), 1e-6)

    return (one(L_HIP, L_KNEE), one(R_HIP, R_KNEE),
            b.vmin(L_HIP, L_KNEE), b.vmin(R_HIP, R_KNEE))


def knee_inside_toe(b: Body) -> Sided:
    """Front view: how far the knee is inside (toward the body's midline) of its toes, in leg lengths.

    Knees should track over the toes; a knee centre more than about half a
    foot's width inside the toe line (0.06 leg lengths) is caving in (knee
    valgus). Leg length is the world-landmark length scaled into the picture
    (``Body.scale``), so the measure is the same near or far from the camera.
    Negative: the knee is outside the toes.
    """
    mid = float(b.p[L_HIP, 0] + b.p[R_HIP, 0]) / 2
    scale = b.scale()
    leg = b.leg_length() * scale if not math.isnan(scale) else float("nan")
    if not leg > 1e-6:
        # no world landmarks: the standing picture leg (hip-ankle) is the best there is
        leg = (b.d2(L_HIP, L_ANKLE) + b.d2(R_HIP, R_ANKLE)) / 2

    def one(h: int, k: int, toe: int) -> float:
        outward = 1.0 if b.p[h, 0] >= mid else -1.0
        return outward * float(b.p[toe, 0] - b.p[k, 0]) / max(leg, 1e-6)

    return (one(L_HIP, L_KNEE, L_FOOT), one(R_HIP, R_KNEE, R_FOOT),
            b.vmin(L_HIP, R_HIP, L_KNEE, L_FOOT), b.vmin(L_HIP, R_HIP, R_KNEE, R_FOOT))


def view_yaw(b: Body) -> Sided:
    """How far the body is turned from facing the camera, in degrees (0 front, 90 side).

    From the world landmarks' shoulder and hip lines (their depth difference);
    NaN without world landmarks. Folded to 0..90 (MediaPipe cannot always
    tell front from back).
    """
    if b.w is None:
        return _both(float("nan"), 0.0)
    w = b.w
    d = (w[L_SHOULDER] - w[R_SHOULDER]) + (w[L_HIP] - w[R_HIP])
    a = abs(math.degrees(math.atan2(float(d[2]), float(d[0]))))
    if a > 90:
        a = 180 - a
    return _both(a, b.vmin(L_SHOULDER, R_SHOULDER, L_HIP, R_HIP))


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
    "hip_height": hip_height,
    "trunk_shin_gap": trunk_shin_gap,
    "knee_past_toe": knee_past_toe,
    "hip_behind_heel": hip_behind_heel,
    "hip_below_knee": hip_below_knee,
    "knee_inside_toe": knee_inside_toe,
    "view_yaw": view_yaw,
}

SIDES = ("left", "right", "best", "both", "min", "max", "mean", "each", "worst")
"""``each``: counted per side (alternating limbs), see the engine; ``mean``: the mean of the
visible sides; ``worst``: the larger of the visible sides (form rules: the side that is off)."""


def combine(v: Sided, side: str, min_visibility: float = 0.5) -> tuple[float, float]:
    """One value from a sided measurement, and the visibility behind it.

    ``best``: the better-visible side; ``both``: the mean (both must be
    visible); ``min``/``max``: the smaller/larger of the visible sides;
    ``mean``: the mean of the visible sides (one is enough); ``worst``: the
    larger of the visible sides; ``each`` here means ``best`` (the engine
    counts each side on its own).
    """
    lv, rv, vl, vr = v
    if side == "left":
        return lv, vl
    if side == "right":
        return rv, vr
    if side == "both":
        return (lv + rv) / 2, min(vl, vr)
    if side in ("best", "each"):
        return (lv, vl) if vl >= vr else (rv, vr)
    cands = [(x, vx) for x, vx in ((lv, vl), (rv, vr)) if vx >= min_visibility and not math.isnan(x)]
    if not cands:
        return (lv, vl) if vl >= vr else (rv, vr)
    if side == "min":
        return min(cands)
    if side in ("max", "worst"):
        return max(cands)
    if side == "mean":
        return sum(c[0] for c in cands) / len(cands), min(c[1] for c in cands)
    raise ValueError(f"unknown side {side!r}")
