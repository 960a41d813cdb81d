"""The simulated person taking the fitness tests, and the tests' demonstration figures.

Why this module exists: the fitness tests must be demonstrated on screen and
tested end to end without a camera, so the simulated person of ``vision.sim``
learns the tests' movements: chair stands with the arms crossed on the chest
from a seated start, seated curls with one arm, marching with the knees
lifted high, standing on one leg, and the up-and-go (stand, walk across the
picture, turn, walk back, sit). It can also walk out of the picture part-way
(``leave_at``) so the "stops when you leave" rule can be tested, and it can
run faster than real time (``speed``): the fitness screens time a test on the
frames' own clock, so a 2-minute test takes 40 s of a test run at ``speed=3``
and still sees every frame of the two minutes.

A ``FitnessSimPerson`` is a ``SimulatedPerson`` (same landmarks, same
picture), so the engine, the timers and the screens see it exactly as they
see the other simulated exercises. Source spec (``vision.live.make_source``):
``simfit:<test>?count=12&period=2.4&hold=8&side=right&leave_at=10&speed=3``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs

import numpy as np

from vision.sim import Pose3D, SimulatedPerson, _pose_for, _skeleton
from vision.sources import Frame

SIM_TESTS: dict[str, str] = {
    "chair_stand": "sit_to_stand",
    "arm_curl": "bicep_curl",
    "step_test": "knee_raise",
    "stance": "single_leg_stance",
    "tug": "sit_to_stand",
}
"""Each simulated test and the base exercise it stands in for."""

TEST_OF_PROTOCOL: dict[str, str] = {
    "chair_stand_30s": "chair_stand",
    "arm_curl_30s": "arm_curl",
    "step_test_2min": "step_test",
    "one_leg_stance": "stance",
    "up_and_go_8ft": "tug",
}
"""The simulated test for each camera protocol of ``vision.fitness_tests``."""

WALK_OUT_S = 1.5
"""Leaving (``leave_at``): seconds of walking out of the picture."""
TUG_PATH_M = 2.2
"""Up-and-go: how far the hips travel from the chair to the turn. A little less than the
8 feet (2.44 m) of the protocol, so the whole walk stays in the simulated camera's picture
(3.2 m wide where the person walks)."""


def _heading(J: np.ndarray, deg: float) -> np.ndarray:
    """Turn the body about the vertical axis: 0 faces the camera, -90 faces right."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    out = J.copy()
    x, z = J[:, 0].copy(), J[:, 2].copy()
    out[:, 0] = c * x + s * z
    out[:, 2] = -s * x + c * z
    return out


def _cross_arms(J: np.ndarray) -> np.ndarray:
    """Forearms crossed at the wrists on the chest, hands at the opposite shoulders."""
    J = J.copy()
    sh_c = (J[11] + J[12]) / 2
    hip_c = (J[23] + J[24]) / 2
    up = (sh_c - hip_c) / max(float(np.linalg.norm(sh_c - hip_c)), 1e-9)
    across = (J[11] - J[12]) / max(float(np.linalg.norm(J[11] - J[12])), 1e-9)
    forward = np.cross(across, up)
    forward /= max(float(np.linalg.norm(forward)), 1e-9)
    if forward[2] > 0:  # the chest faces away from the trunk's back (towards -z when facing us)
        forward = -forward
    for sh_i, el_i, wr_i, sign in ((11, 13, 15, 1.0), (12, 14, 16, -1.0)):
        sh = J[sh_i]
        J[el_i] = sh - up * 0.22 + forward * 0.16 - across * sign * 0.06
        J[wr_i] = sh_c - across * sign * 0.15 + forward * 0.08 - up * 0.04
        for k, off in ((17, 0.06), (19, 0.07), (21, 0.04)):
            J[k if sign > 0 else k + 1] = J[wr_i] - across * sign * off
    return J


def _gait(phase: float) -> Pose3D:
    """A walking stride at ``phase`` (radians): the legs swing, the knees bend in swing."""
    sw = math.sin(phase)
    return Pose3D(hip_l=max(0.0, 30 * sw), knee_l=max(0.0, 60 * sw),
                  hip_r=max(0.0, -30 * sw), knee_r=max(0.0, -60 * sw),
                  abd_l=10 + 8 * max(0.0, -sw), abd_r=10 + 8 * max(0.0, sw))


HIPS_OFF_SEAT = 0.35
"""The phase of the simulated sit-to-stand (``vision.sim``) at which the hips leave the seat:
the trunk leans forward first. The up-and-go's rise and sit take 1 s each, so this is also
seconds."""

class FitnessSimPerson(SimulatedPerson):
    """A simulated resident taking one fitness test (see the module doc)."""

    def __init__(self, test: str = "chair_stand", count: int = 12, period_s: float = 2.4,
                 hold_s: float = 8.0, side: str = "right", leave_at: float | None = None,
                 speed: float = 1.0, walk_speed: float = 1.0, lead_in_s: float = 6.0,
                 tail_s: float = 3.0, yaw_deg: float | None = None, noise: float = 0.002,
                 seed: int = 0, realtime: bool = True, fps: float = 30.0, width: int = 640,
                 height: int = 480, render: bool = True) -> None:
        if test not in SIM_TESTS:
            raise ValueError(f"no simulation for fitness test {test!r} "
                             f"(known: {', '.join(SIM_TESTS)})")
        if side not in ("left", "right"):
            raise ValueError(f"side must be left or right, not {side!r}")
        yaw = (0.0 if test == "tug" else 25.0) if yaw_deg is None else yaw_deg
        super().__init__(exercise=SIM_TESTS[test], reps=count, period_s=period_s, noise=noise,
                         fps=fps, lead_in_s=lead_in_s, tail_s=tail_s, seed=seed,
                         realtime=False, yaw_deg=yaw, width=width, height=height,
                         render=render)
        self.test = test
        self.hold_s = float(hold_s)
        self.side = side
        """The leg stood on (stance): the other foot is lifted."""
        self.leave_at = leave_at
        self.speed = max(0.05, float(speed))
        self.walk_speed = float(walk_speed)
        self.paced = realtime
        self._wall0: float | None = None

    # -- the timeline ---------------------------------------------------------------------
    @property
    def active_s(self) -> float:
        """Seconds of the test's movement after the lead-in."""
        if self.test == "stance":
            return 1.0 + self.hold_s + 0.4
        if self.test == "tug":
            walk = TUG_PATH_M / self.walk_speed
            return 1.0 + walk + 1.0 + walk + 0.8 + 1.0
        return self.reps * self.period_s

    @property
    def duration_s(self) -> float:
        return self.lead_in_s + self.active_s + self.tail_s

    @property
    def tug_time_s(self) -> float:
        """Up-and-go: seconds from the hips leaving the seat (``HIPS_OFF_SEAT`` s into the
        1 s rise, after the lean forward) to the hips back on it (as long before the end of
        the 1 s sit)."""
        return self.active_s - 2 * HIPS_OFF_SEAT

    def gone(self, t: float) -> bool:
        """Out of the picture (after walking out at ``leave_at``)."""
        return self.leave_at is not None and t >= self.leave_at + WALK_OUT_S

    def world_at(self, t: float) -> np.ndarray:
        J = self._pose_world(t)
        if self.leave_at is not None and t >= self.leave_at:
            # walk out to the right: face right, stride, slide out of the picture
            u = min(1.0, (t - self.leave_at) / WALK_OUT_S)
            J = _heading(_skeleton(_gait(2 * math.pi * t)), -90.0)
            J[:, 0] += 0.3 + 2.5 * u
        c, sn = math.cos(self.yaw), math.sin(self.yaw)
        x, z = J[:, 0].copy(), J[:, 2].copy()
        J[:, 0] = c * x + sn * z
        J[:, 2] = -sn * x + c * z
        return J

    def _pose_world(self, t: float) -> np.ndarray:
        x = t - self.lead_in_s
        test = self.test
        if test == "tug":
            return self._tug(x)
        if test == "stance":
            return _skeleton(self._stance(x))
        s, rep = self._cycle(x)
        if test == "chair_stand":
            return _cross_arms(_skeleton(_pose_for("sit_to_stand", s, rep, 1.0)))
        if test == "arm_curl":
            e = 5 + 135 * s  # the right (dominant) arm curls; the left rests
            return _skeleton(Pose3D(seated=True, knee_l=90, knee_r=90, hip_l=90, hip_r=90,
                                    elbow_r=e, elbow_l=5, abd_l=8, abd_r=8))
        # step test: march, starting with the right knee, lifting it high
        h = 95 * s
        if rep % 2 == 0:
            return _skeleton(Pose3D(hip_r=h, knee_r=h))
        return _skeleton(Pose3D(hip_l=h, knee_l=h))

    def _cycle(self, x: float) -> tuple[float, int]:
        if x < 0 or x >= self.reps * self.period_s:
            return 0.0, 0
        rep = int(x // self.period_s)
        u = (x - rep * self.period_s) / self.period_s
        return 0.5 - 0.5 * math.cos(2 * math.pi * u), rep

    def _stance(self, x: float) -> Pose3D:
        # stand a second, lift the foot (0.2 s), hold, put it down (0.2 s)
        lift = min(1.0, max(0.0, (x - 1.0) / 0.2), max(0.0, (1.0 + self.hold_s + 0.2 - x) / 0.2))
        if x < 1.0 or x > 1.0 + self.hold_s + 0.2:
            lift = 0.0
        h, k = 35 * lift, 100 * lift
        if self.side == "right":  # standing on the right leg: the left foot is lifted
            return Pose3D(hip_l=h, knee_l=k)
        return Pose3D(hip_r=h, knee_r=k)

    def _tug(self, x: float) -> np.ndarray:
        """Seated facing right at the chair (left of the picture), up, out, turn, back, sit."""
        walk = TUG_PATH_M / self.walk_speed
        chair_x = -1.0  # the feet at the chair; seated, the hips are 0.4 m further left
        t_rise, t_out, t_turn, t_back, t_turn2, t_sit = 1.0, walk, 1.0, walk, 0.8, 1.0
        marks = np.cumsum([0.0, t_rise, t_out, t_turn, t_back, t_turn2, t_sit])
        if x < marks[1]:  # seated, then rising
            s = max(0.0, x) / t_rise
            J = _heading(_skeleton(_pose_for("sit_to_stand", s, 0, 1.0)), -90.0)
            return _at(J, chair_x)
        if x < marks[2]:  # walking out, facing right
            u = (x - marks[1]) / t_out
            return _at(_heading(_skeleton(_gait(2 * math.pi * (x - marks[1]))), -90.0),
                       chair_x + TUG_PATH_M * u)
        if x < marks[3]:  # turning round the marker (stepping in place)
            u = (x - marks[2]) / t_turn
            return _at(_heading(_skeleton(_gait(2 * math.pi * (x - marks[1]))), -90.0 + 180 * u),
                       chair_x + TUG_PATH_M)
        if x < marks[4]:  # walking back, facing left
            u = (x - marks[3]) / t_back
            return _at(_heading(_skeleton(_gait(2 * math.pi * (x - marks[1]))), 90.0),
                       chair_x + TUG_PATH_M * (1 - u))
        if x < marks[5]:  # turning to sit
            u = (x - marks[4]) / t_turn2
            return _at(_heading(_skeleton(Pose3D()), 90.0 - 180 * u), chair_x)
        s = 1.0 - min(1.0, (x - marks[5]) / t_sit)  # sitting down, then seated
        return _at(_heading(_skeleton(_pose_for("sit_to_stand", s, 0, 1.0)), -90.0), chair_x)

    # -- as a frame source -------------------------------------------------------------------
    def open(self) -> FitnessSimPerson:
        super().open()
        self._wall0 = None
        return self

    def read(self, timeout: float = 1.0) -> Frame | None:
        i = self._i
        if i >= self.frame_count:
            return None
        t = i / self.fps
        if self.paced:
            now = time.monotonic()
            if self._wall0 is None:
                self._wall0 = now - t / self.speed
            wait = self._wall0 + t / self.speed - now
            if wait > 0:
                time.sleep(wait)
        frame = super().read(timeout)
        if frame is not None and self.gone(frame.t):
            frame = replace(frame, landmarks=None, world=None, image=None)
        return frame


def _at(J: np.ndarray, x: float) -> np.ndarray:
    out = J.copy()
    out[:, 0] += x
    return out


def parse_fitness_sim_spec(spec: str) -> dict[str, object]:
    """``simfit:<test>?count=12&period=2.4&hold=8&side=right&leave_at=10&speed=3&lead_in=6``
    -> keyword arguments of ``FitnessSimPerson`` (``ValueError`` names a bad option)."""
    rest = spec[len("simfit"):].lstrip(":")
    name, _, query = rest.partition("?")
    kw: dict[str, object] = {"test": name or "chair_stand"}
    aliases = {"period": "period_s", "hold": "hold_s", "lead_in": "lead_in_s",
               "tail": "tail_s", "yaw": "yaw_deg", "reps": "count"}
    for k, vals in parse_qs(query).items():
        key = aliases.get(k, k)
        v = vals[-1]
        try:
            if key in ("count", "seed"):
                kw[key] = int(v)
            elif key in ("period_s", "hold_s", "leave_at", "speed", "walk_speed", "lead_in_s",
                         "tail_s", "yaw_deg", "noise", "fps"):
                kw[key] = float(v)
            elif key == "side":
                kw[key] = v
            elif key == "realtime":
                kw[key] = v.lower() in ("1", "true", "yes")
            else:
                raise ValueError(f"unknown option {k!r}")
        except ValueError as exc:
            raise ValueError(f"fitness simulation {spec!r}: {exc}") from None
    return kw


def make_fitness_sim(spec: str, width: int = 640, height: int = 480,
                     realtime: bool = True) -> FitnessSimPerson:
    kw = parse_fitness_sim_spec(spec)
    kw.setdefault("realtime", realtime)
    return FitnessSimPerson(width=width, height=height, **kw)  # type: ignore[arg-type]


def demo_pose_at(protocol_id: str, side: str = "right") -> Callable[[float], np.ndarray] | None:
    """``pose_at(t) -> (33, 4)`` landmarks looping one cycle of a test's movement (the
    demonstration figure on the instructions screen), or None for a test without one."""
    test = TEST_OF_PROTOCOL.get(protocol_id)
    if test is None:
        return None
    person = FitnessSimPerson(test, count=2, period_s=2.4, hold_s=3.0, side=side, noise=0.0,
                              lead_in_s=0.5, tail_s=0.5, realtime=False, render=False,
                              yaw_deg=20.0 if test != "tug" else 0.0)
    cycle = person.duration_s

    def pose_at(t: float) -> np.ndarray:
        lm, _world = person.landmarks_at(t % cycle)
        return lm

    return pose_at
