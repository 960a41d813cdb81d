"""A simulated person: landmark trajectories for every exercise, and a picture.

Why this module exists: demos, the coaching screen's tests and the choose
screen's animations need a person who exercises on demand, deterministically
and without a camera or the model. ``SimulatedPerson`` produces the same
``(33, 4)`` image landmarks and ``(33, 3)`` world landmarks the model does,
from a small 3D stick figure moved by joint angles, so everything downstream
(filter, metrics, counter, form rules) runs exactly as with a real person.

Parameters: ``reps`` (exactly that many repetitions, or holds), ``period_s``
(seconds per repetition), ``depth`` (1.0 = a full repetition; 0.3 = a
partial that must not count), ``noise`` (landmark jitter, in picture units),
``lead_in_s`` (standing still in the ready pose first), ``tail_s``, ``seed``,
``yaw_deg`` (the view: 0 facing the camera, 45 at an angle, 90 from the
side; seen from more than 60 degrees the far limbs are hidden and reported
with low visibility, as the model does), ``alternate`` (curls one arm at a
time), ``seated`` (arm exercises on a chair), ``zoom`` (close to the camera:
at 2.2 only the upper body is in the picture, the hips just below it), ``intruder`` (a second person
in the active zone from ``t0`` to ``t1`` seconds: frames carry ``others``).
Chair stands (``sit_to_stand``) start seated with the arms crossed on the
chest, as in the 30-second chair stand test.
A ``SimulatedPerson`` is also a frame source (``kind = "sim"``): ``read()``
returns frames paced in real time when ``realtime`` is set.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

import numpy as np

from vision.sources import Frame

# segment lengths in metres
SHOULDER_HALF = 0.19
HIP_HALF = 0.11
TORSO = 0.52
THIGH = 0.44
SHANK = 0.43
UPPER_ARM = 0.30
FOREARM = 0.27
NECK = 0.27
FOOT = 0.17
HEEL = 0.05

SCALE = 0.42
"""Picture height per metre (a 1.7 m person fills about 70% of the picture)."""


def _rot_x(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate a vector in the sagittal plane: positive = its lower end swings forward (toward -z)."""
    a = math.radians(deg)
    y, z = v[1], v[2]
    return np.array([v[0], y * math.cos(a) + z * math.sin(a), -y * math.sin(a) + z * math.cos(a)])


def _down(length: float) -> np.ndarray:
    return np.array([0.0, length, 0.0])


@dataclass
class Pose3D:
    """Joint angles (degrees) of the stick figure."""

    knee_l: float = 0.0      # knee flexion
    knee_r: float = 0.0
    hip_l: float = 0.0       # hip flexion (thigh forward)
    hip_r: float = 0.0
    shank_l: float = 0.0     # shank forward tilt (squat: knees travel forward)
    shank_r: float = 0.0
    lean: float = 0.0        # trunk forward lean
    abd_l: float = 10.0      # arm elevation sideways (frontal plane)
    abd_r: float = 10.0
    elbow_l: float = 5.0     # elbow flexion (forearm forward/up)
    elbow_r: float = 5.0
    feet: float = 0.0        # extra half-distance between the feet (m)
    seated: bool = False
    arms_crossed: bool = False  # forearms crossed on the chest, hands on the opposite shoulders
    hip_at: tuple[float, float] | None = None
    """(y, z) of the hip centre in metres: the legs are placed to reach it (a chair stand's rise)."""


def _reach(ankle: np.ndarray, hip: np.ndarray) -> np.ndarray:
    """The knee that joins a shank from ``ankle`` to a thigh from ``hip`` (bent forward, toward -z)."""
    d = hip - ankle
    dist = float(np.linalg.norm(d))
    dist = min(max(dist, abs(THIGH - SHANK) + 1e-3), THIGH + SHANK - 1e-4)
    u = d / max(float(np.linalg.norm(d)), 1e-9)
    along = (SHANK ** 2 - THIGH ** 2 + dist ** 2) / (2 * dist)
    h = math.sqrt(max(SHANK ** 2 - along ** 2, 0.0))
    # perpendicular to the leg line in the sagittal (y, z) plane, pointing forward (-z)
    perp = np.array([0.0, -u[2], u[1]])
    if perp[2] > 0:
        perp = -perp
    return ankle + u * along + perp * h


def _skeleton(p: Pose3D) -> np.ndarray:
    """World joints (33, 3), metres, x right in the picture, y down, z away from the camera; floor at y=0."""
    J = np.zeros((33, 3))
    legs = {}
    for side, sx in (("l", 1.0), ("r", -1.0)):
        knee_f = getattr(p, f"knee_{side}")
        hip_f = getattr(p, f"hip_{side}")
        shank_t = getattr(p, f"shank_{side}")
        ankle = np.array([sx * (HIP_HALF + p.feet), -0.08, 0.0])
        if p.seated or hip_f > 0 and shank_t == 0:
            legs[side] = ("hip_first", ankle, hip_f, knee_f)
        else:
            legs[side] = ("ankle_first", ankle, shank_t, knee_f)
    # place the hips from the standing (or squatting) leg(s)
    hips = []
    for mode, ankle, a, knee_f in legs.values():
        if mode == "ankle_first":
            knee = ankle + _rot_x(-_down(SHANK), -a)  # shank tilts forward: knee toward camera
            thigh_from_vertical = knee_f - a
            hip = knee + _rot_x(-_down(THIGH), thigh_from_vertical)  # thigh leans back
            hips.append(hip)
    if hips:
        hip_y = float(np.mean([h[1] for h in hips]))
        hip_z = float(np.mean([h[2] for h in hips]))
    else:
        hip_y, hip_z = -(SHANK + 0.08), 0.0
    if p.seated:
        hip_y, hip_z = -(SHANK + 0.08), THIGH * 0.9
    if p.hip_at is not None:
        hip_y, hip_z = p.hip_at
    hip_c = np.array([0.0, hip_y, hip_z])
    for side, sx in (("l", 1.0), ("r", -1.0)):
        mode, ankle, a, knee_f = legs[side]
        hip = hip_c + np.array([sx * HIP_HALF, 0.0, 0.0])
        if p.hip_at is not None:
            knee, ank = _reach(ankle, hip), ankle
        elif mode == "ankle_first" and not p.seated:
            knee = ankle + _rot_x(-_down(SHANK), -a)
            hip_to_knee = knee - hip
            # keep the thigh length: move the knee along the hip->knee line
            n = np.linalg.norm(hip_to_knee)
            knee = hip + hip_to_knee / max(n, 1e-9) * THIGH
            ank = knee + (ankle - knee) / max(np.linalg.norm(ankle - knee), 1e-9) * SHANK
        else:
            thigh = _rot_x(_down(THIGH), getattr(p, f"hip_{side}") if not p.seated else 90.0)
            knee = hip + thigh
            shank_angle = (getattr(p, f"hip_{side}") if not p.seated else 90.0) - knee_f
            ank = knee + _rot_x(_down(SHANK), shank_angle)
        i_hip, i_knee, i_ank, i_heel, i_foot = (23, 25, 27, 29, 31) if side == "l" else (24, 26, 28, 30, 32)
        J[i_hip], J[i_knee], J[i_ank] = hip, knee, ank
        J[i_heel] = ank + np.array([0.0, 0.05, HEEL])
        J[i_foot] = ank + np.array([0.0, 0.07, -FOOT])
    up = _rot_x(-_down(TORSO), -p.lean)  # lean: shoulders forward
    sh_c = hip_c + up
    for side, sx in (("l", 1.0), ("r", -1.0)):
        sh = sh_c + np.array([sx * SHOULDER_HALF, 0.0, 0.0])
        if p.arms_crossed:
            # elbow in front of the lower chest, hand on the opposite shoulder
            trunk = (sh_c - hip_c) / max(float(np.linalg.norm(sh_c - hip_c)), 1e-9)
            forward = _rot_x(np.array([0.0, 0.0, -1.0]), -p.lean)
            el = sh - trunk * 0.22 + forward * 0.16 - np.array([sx * 0.06, 0.0, 0.0])
            wr = sh_c + np.array([-sx * SHOULDER_HALF * 0.8, 0.0, 0.0]) + forward * 0.08
            i_sh, i_el, i_wr = (11, 13, 15) if side == "l" else (12, 14, 16)
            J[i_sh], J[i_el], J[i_wr] = sh, el, wr
            for k, off in ((17, 0.06), (19, 0.07), (21, 0.04)):
                J[k if side == "l" else k + 1] = wr + np.array([-sx * off, 0.0, 0.0])
            continue
        abd = math.radians(getattr(p, f"abd_{side}"))
        upper = np.array([sx * math.sin(abd), math.cos(abd), 0.0]) * UPPER_ARM
        el = sh + upper
        flex = getattr(p, f"elbow_{side}")
        if abd < math.radians(45):
            fore = _rot_x(upper / UPPER_ARM * FOREARM, flex)  # curl forward and up
        else:
            # raised arm: the forearm continues the upper arm, bending upward
            fdir = np.array([sx * math.sin(abd + math.radians(flex) * sx * 0), math.cos(abd), 0.0])
            fore = fdir * FOREARM
        wr = el + fore
        i_sh, i_el, i_wr = (11, 13, 15) if side == "l" else (12, 14, 16)
        J[i_sh], J[i_el], J[i_wr] = sh, el, wr
        for k, off in ((17, 0.07), (19, 0.08), (21, 0.05)):
            J[k if side == "l" else k + 1] = wr + fore / max(np.linalg.norm(fore), 1e-9) * off
    head = sh_c + _rot_x(-_down(NECK), -p.lean)
    J[0] = head + np.array([0.0, 0.0, -0.09])
    for k, dx, dy in ((1, 0.015, -0.03), (2, 0.03, -0.03), (3, 0.045, -0.03), (4, -0.015, -0.03),
                      (5, -0.03, -0.03), (6, -0.045, -0.03), (7, 0.07, -0.01), (8, -0.07, -0.01),
                      (9, 0.025, 0.03), (10, -0.025, 0.03)):
        J[k] = head + np.array([dx, dy, -0.07 if k < 7 or k > 8 else 0.0])
    return J


def _pose_for(exercise: str, s: float, rep: int, depth: float, alternate: bool = False,
              seated: bool = False) -> Pose3D:
    """Joint angles at phase ``s`` (0 = rest, 1 = the far end of the movement)."""
    pose = _pose_standing(exercise, s, rep, depth, alternate)
    if seated:
        pose.seated = True
        pose.knee_l = pose.knee_r = 90.0
        pose.hip_l = pose.hip_r = 90.0
    return pose


def _pose_standing(exercise: str, s: float, rep: int, depth: float, alternate: bool) -> Pose3D:
    d = max(0.0, depth) * s
    if exercise == "squat":
        # feet about shoulder-width apart, as the exercise asks
        k = 105 * d
        return Pose3D(knee_l=k, knee_r=k, shank_l=0.35 * k, shank_r=0.35 * k, lean=0.35 * k,
                      feet=0.08)
    if exercise == "lunge":
        k = 95 * d
        return Pose3D(knee_l=k, knee_r=0.85 * k, shank_l=0.25 * k, shank_r=0.2 * k, lean=0.05 * k)
    if exercise == "sit_to_stand":
        # rest is seated (d = 0), arms crossed on the chest. The trunk leans forward (to
        # about 35 deg) to bring the weight over the feet, then the hips rise and come
        # forward over the ankles as the trunk straightens; d = 1 is standing straight.
        seat_y, seat_z = -(SHANK + 0.08), THIGH * 0.9
        stand_y = -(SHANK + THIGH + 0.08) + 0.005
        if d < 0.35:
            return Pose3D(lean=100 * d, hip_at=(seat_y, seat_z), arms_crossed=True)
        u = (d - 0.35) / 0.65
        ease = 0.5 - 0.5 * math.cos(math.pi * u)
        return Pose3D(lean=35 * (1 - ease), arms_crossed=True,
                      hip_at=(seat_y + (stand_y - seat_y) * ease, seat_z * (1 - ease) + 0.02 * ease))
    if exercise == "overhead_arm_raise":
        a = 12 + 160 * d
        return Pose3D(abd_l=a, abd_r=a)
    if exercise == "lateral_raise":
        a = 12 + 80 * d
        return Pose3D(abd_l=a, abd_r=a)
    if exercise == "jumping_jack":
        a = 12 + 155 * d
        return Pose3D(abd_l=a, abd_r=a, feet=0.22 * d)
    if exercise == "knee_raise":
        h = 95 * d
        if rep % 2 == 0:
            return Pose3D(hip_l=h, knee_l=h)
        return Pose3D(hip_r=h, knee_r=h)
    if exercise == "bicep_curl":
        e = 5 + 135 * d
        if alternate:  # one arm, then the other
            left = rep % 2 == 0
            return Pose3D(elbow_l=e if left else 5, elbow_r=5 if left else e, abd_l=8, abd_r=8)
        return Pose3D(elbow_l=e, elbow_r=e, abd_l=8, abd_r=8)
    if exercise == "single_leg_stance":
        h = 35 * d
        return Pose3D(hip_l=h, knee_l=100 * d)
    return Pose3D()


_LEFT_LIMBS = [13, 15, 17, 19, 21, 25, 27, 29, 31]
_RIGHT_LIMBS = [14, 16, 18, 20, 22, 26, 28, 30, 32]
_TRUNK = [(11, 12), (11, 23), (12, 24), (23, 24), (11, 24), (12, 23)]
_LEFT_SEGMENTS = _TRUNK + [(11, 13), (13, 15), (23, 25), (25, 27), (27, 31)]
_RIGHT_SEGMENTS = _TRUNK + [(12, 14), (14, 16), (24, 26), (26, 28), (28, 32)]
HIDE_RADIUS = 0.035
"""A far landmark this close (picture heights) to the trunk or a near limb is hidden by it."""


def _behind(lm: np.ndarray, i: int, segments: list[tuple[int, int]]) -> bool:
    p = lm[i, :2]
    for a, b in segments:
        pa, pb = lm[a, :2], lm[b, :2]
        d = pb - pa
        u = float(np.clip(np.dot(p - pa, d) / max(float(np.dot(d, d)), 1e-12), 0.0, 1.0))
        if float(np.linalg.norm(p - (pa + u * d))) < HIDE_RADIUS:
            return True
    return False

EXERCISES = ("squat", "sit_to_stand", "overhead_arm_raise", "lateral_raise", "lunge",
             "knee_raise", "bicep_curl", "jumping_jack", "single_leg_stance")


class SimulatedPerson:
    """A deterministic person doing ``reps`` repetitions of ``exercise`` (see module doc)."""

    kind = "sim"

    def __init__(self, exercise: str = "squat", reps: int = 10, period_s: float = 2.0,
                 depth: float = 1.0, noise: float = 0.002, fps: float = 30.0,
                 lead_in_s: float = 1.5, tail_s: float = 1.5, seed: int = 0,
                 realtime: bool = True, yaw_deg: float = 25.0, width: int = 640,
                 height: int = 480, render: bool = True, loop: bool = False,
                 walk_in_s: float = 0.0, profile=None, alternate: bool = False,
                 seated: bool = False, zoom: float = 1.0,
                 intruder: tuple[float, float] | None = None):
        if exercise not in EXERCISES:
            raise ValueError(f"no simulation for exercise {exercise!r}")
        self.exercise = exercise
        self.reps = int(reps)
        self.period_s = float(period_s)
        self.depth = float(depth)
        self.noise = float(noise)
        self.fps = float(fps)
        self.lead_in_s = float(lead_in_s)
        self.tail_s = float(tail_s)
        self.realtime = realtime
        self.yaw = math.radians(yaw_deg)
        self.width, self.height = width, height
        self.render_frames = render
        self.loop = loop
        self.profile = profile
        """Optional ``t -> (s, rep)`` replacing the regular repetitions (tests of odd movements)."""
        self.walk_in_s = float(walk_in_s)
        """Walk in from the side during the first seconds of the lead-in (tests, demos)."""
        self.alternate = alternate
        self.seated = seated
        self.zoom = float(zoom)
        """Picture scale; above 1 the camera is close (2.2: the upper body only)."""
        self.intruder = intruder
        """(t0, t1): a second person stands in the active zone then."""
        self._rng = np.random.default_rng(seed)
        self._i = 0
        self._t0: float | None = None
        self.hold = exercise == "single_leg_stance"

    @property
    def duration_s(self) -> float:
        return self.lead_in_s + self.reps * self.period_s + self.tail_s

    @property
    def frame_count(self) -> int:
        return int(round(self.duration_s * self.fps))

    # -- the motion ----------------------------------------------------------------
    def phase_at(self, t: float) -> tuple[float, int]:
        """(s, rep index) at time t: s = 0 at rest, 1 at the far end."""
        if self.profile is not None:
            return self.profile(t)
        x = t - self.lead_in_s
        if x < 0 or x >= self.reps * self.period_s:
            return 0.0, max(0, min(self.reps - 1, int(x // self.period_s))) if x >= 0 else 0
        rep = int(x // self.period_s)
        u = (x - rep * self.period_s) / self.period_s
        if self.hold:
            # stand 10% of the period, lift (0.1 of it), hold, lower, stand again
            s = min(1.0, (u - 0.1) / 0.05, (0.9 - u) / 0.05)
            return max(0.0, s), rep
        return 0.5 - 0.5 * math.cos(2 * math.pi * u), rep

    def _walking(self, t: float) -> bool:
        return t < min(self.walk_in_s, self.lead_in_s)

    def world_at(self, t: float) -> np.ndarray:
        if self._walking(t):
            # a walking gait: legs swing (about 1 stride per second), knees bend in swing
            ph = 2 * math.pi * t / 1.0
            sw = math.sin(ph)
            pose = Pose3D(hip_l=max(0.0, 30 * sw), knee_l=max(0.0, 60 * sw),
                          hip_r=max(0.0, -30 * sw), knee_r=max(0.0, -60 * sw),
                          abd_l=10 + 8 * max(0.0, -sw), abd_r=10 + 8 * max(0.0, sw))
            if self.exercise == "sit_to_stand":
                pose = Pose3D(hip_l=max(0.0, 30 * sw), knee_l=max(0.0, 60 * sw),
                              hip_r=max(0.0, -30 * sw), knee_r=max(0.0, -60 * sw))
            J = _skeleton(pose)
            J[:, 0] -= 1.6 * (1 - t / self.walk_in_s)  # from the left edge to the middle
        else:
            s, rep = self.phase_at(t)
            pose = _pose_for(self.exercise, s, rep, self.depth, self.alternate, self.seated)
            J = _skeleton(pose)
        c, sn = math.cos(self.yaw), math.sin(self.yaw)
        x, z = J[:, 0].copy(), J[:, 2].copy()
        J[:, 0] = c * x + sn * z
        J[:, 2] = -sn * x + c * z
        return J

    def others_at(self, t: float) -> bool:
        """A second person stands in the active zone at time ``t``."""
        return self.intruder is not None and self.intruder[0] <= t < self.intruder[1]

    def landmarks_at(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """((33, 4) image landmarks, (33, 3) world landmarks) at time ``t``."""
        J = self.world_at(t)
        aspect = self.width / self.height
        scale = SCALE * self.zoom
        lm = np.zeros((33, 4))
        lm[:, 0] = 0.5 + J[:, 0] * scale / aspect
        if self.zoom == 1.0:
            lm[:, 1] = 0.9 + J[:, 1] * scale
        else:  # close up: the shoulders a little below the middle, hands overhead still in view
            sh_y = float(J[[11, 12], 1].mean())
            lm[:, 1] = 0.55 + (J[:, 1] - sh_y) * scale
        lm[:, 2] = J[:, 2] * scale
        inside = (lm[:, 0] > 0) & (lm[:, 0] < 1) & (lm[:, 1] > 0) & (lm[:, 1] < 1)
        lm[:, 3] = np.where(inside, 0.98, 0.05)  # out of the picture: not visible, as the model says
        if abs(math.degrees(self.yaw)) > 60:
            # seen from the side the far limbs are behind the body: where one is behind the
            # trunk or a near limb in the picture, the model reports it with low visibility
            far_left = float(J[11, 2]) > float(J[12, 2])
            far, near = (_LEFT_LIMBS, _RIGHT_SEGMENTS) if far_left else (_RIGHT_LIMBS, _LEFT_SEGMENTS)
            for i in far:
                if _behind(lm, i, near):
                    lm[i, 3] = min(lm[i, 3], 0.3)
        if self.noise > 0:
            lm[:, :2] += self._rng.normal(0.0, self.noise, size=(33, 2))
        hip_c = (J[23] + J[24]) / 2
        world = J - hip_c
        if self.noise > 0:
            world += self._rng.normal(0.0, self.noise / SCALE, size=(33, 3))
        return lm.astype(np.float32), world.astype(np.float32)

    def render(self, lm: np.ndarray) -> np.ndarray:
        """A plain picture of the stick figure (so a screen has something to show)."""
        import cv2

        from vision.metrics import SKELETON

        img = np.full((self.height, self.width, 3), (58, 52, 46), dtype=np.uint8)
        cv2.rectangle(img, (0, int(0.9 * self.height)), (self.width, self.height), (80, 90, 96), -1)
        pts = [(int(x * self.width), int(y * self.height)) for x, y in lm[:, :2]]
        for a, b in SKELETON:
            cv2.line(img, pts[a], pts[b], (220, 200, 170), 9, cv2.LINE_AA)
        cv2.circle(img, pts[0], int(0.045 * self.height), (220, 200, 170), -1, cv2.LINE_AA)
        return img

    # -- as a frame source -----------------------------------------------------------------
    def open(self) -> SimulatedPerson:
        self._i = 0
        self._t0 = None
        return self

    def close(self) -> None:
        pass

    def __enter__(self) -> SimulatedPerson:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, timeout: float = 1.0) -> Frame | None:
        if self._i >= self.frame_count:
            if not self.loop:
                return None
            self._i = 0
            self._t0 = None
        t = self._i / self.fps
        if self.realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now - t
            wait = self._t0 + t - now
            if wait > 0:
                time.sleep(wait)
        lm, world = self.landmarks_at(t)
        img = self.render(lm) if self.render_frames else None
        self._i += 1
        return Frame(t=t, image=img, captured=time.monotonic(), landmarks=lm, world=world,
                     index=self._i - 1,
                     others=self.others_at(t) if self.intruder is not None else None)

    def __iter__(self):
        while True:
            f = self.read()
            if f is None:
                return
            yield f

    def status(self) -> str:
        return "simulated"


def parse_sim_spec(spec: str, default_exercise: str = "squat") -> dict:
    """``sim`` or ``sim:squat?reps=10&period=2&depth=1&noise=0.002&seed=0`` -> keyword arguments.

    Also ``yaw=90``, ``zoom=2.2``, ``seated=1``, ``alternate=1``, ``walk_in_s=2``,
    ``intruder=4-6`` (a second person in the active zone from 4 to 6 s).
    """
    rest = spec[3:].lstrip(":") if spec.startswith("sim") else spec
    name, _, query = rest.partition("?")
    kw: dict = {"exercise": name or default_exercise}
    aliases = {"period": "period_s", "lead_in": "lead_in_s", "tail": "tail_s", "yaw": "yaw_deg"}
    def intruder(v: str) -> tuple[float, float]:
        a, _, b = v.partition("-")
        return float(a), float(b)

    for k, vals in parse_qs(query).items():
        key = aliases.get(k, k)
        v = vals[-1]
        if key in ("reps", "seed"):
            kw[key] = int(v)
        elif key in ("period_s", "depth", "noise", "fps", "lead_in_s", "tail_s", "yaw_deg", "zoom",
                     "walk_in_s"):
            kw[key] = float(v)
        elif key in ("realtime", "loop", "alternate", "seated"):
            kw[key] = v.lower() in ("1", "true", "yes")
        elif key == "intruder":
            kw[key] = intruder(v)
        else:
            raise ValueError(f"unknown simulation option {k!r}")
    return kw
