"""The camera-scored fitness tests: each test's protocol, its engine spec, and the safety watch.

Why this module exists: a fitness test is an exercise measured under a
published protocol (Rikli & Jones, Senior Fitness Test Manual, 2nd ed. 2013;
the one-leg stance as in the Chinese norms of BMC Geriatrics 2021): a time
limit, what counts, a practice trial or not, how many scored trials and which
one is kept, the pose the resident starts in, and when the test must stop by
itself for safety. Those rules are data here (``PROTOCOLS``), free of Kivy,
used by the kiosk's fitness screens, the tests and the accuracy bench alike.

- ``Protocol``: one test's rules; ``PROTOCOLS`` by test id (the id is what a
  ``fitness_test`` record stores and what ``sync.fitness_norms`` compares);
- ``protocol_spec(protocol, exercises)``: the engine's ``ExerciseSpec`` for the
  test: the base exercise with the test's activity kind (repetitions within a
  time limit, a hold, a timed task) and, for the 2-minute step test, counting
  only the right knee lifted to the test's height;
- ``SafetyWatch``: stops a test when the person has left the picture, or has
  been out of the test's pose, for longer than a few seconds, and says why;
- ``body_pose`` / ``seated``: the pose classification the watch and the
  timed tests share (hips-to-ankles drop in torso lengths, trunk lean).

Counting itself is the engine's (``vision.engine``); the one-leg stance and
the up-and-go are timed by ``vision.stance`` and ``vision.tug``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

import numpy as np

from vision.activity import HOLD, REPS, REPS_IN_TIME, TIMED, ActivityKind, Unit
from vision.exercises import ExerciseSpec

L_SHOULDER, R_SHOULDER = 11, 12
L_HIP, R_HIP = 23, 24
L_ANKLE, R_ANKLE = 27, 28
MIN_VIS = 0.5

SEATED_MAX_DROP = 1.25
"""Seated, the ankles are about 0.8-1.05 torso lengths below the hips (a 45 cm seat);
standing about 1.5-1.7. Below this the person counts as seated."""
FALLEN_LEAN_DEG = 60.0
"""A trunk more than this far from vertical is not an upright person (a fall, lying down)."""

STEP_KNEE_PEAK = 0.35
"""Step test: the knee must rise to 0.35 torso lengths below the hip. The test's mark is
midway between the kneecap (standing: about 0.85 torso lengths below the hip joint) and
the top of the hip bone (the iliac crest, about 0.15 above the hip joint), i.e. about
0.35 below the hip joint: the thigh about 65 degrees from hanging."""
STEP_KNEE_REST = 0.6
"""Step test: the knee is back down (the next lift may count) below 0.6 torso lengths."""


class Pose(StrEnum):
    SEATED = "seated"
    STANDING = "standing"
    UPRIGHT = "upright"
    """Either seated or standing, as long as the trunk is upright."""


@dataclass(frozen=True)
class Protocol:
    """One fitness test's rules (see the module doc)."""

    id: str
    """The test's id: ``fitness_test`` records store it, ``sync.fitness_norms`` compares it."""
    exercise: str | None
    """The engine's exercise the test is measured with (None: not measured by the camera)."""
    kind: ActivityKind
    unit: Unit
    time_limit_s: float | None
    """The test's time (30 s, 2 min, up to 30 s held), or the safety limit of a timed task."""
    practice: bool
    """The protocol has a practice trial before the scored one(s)."""
    trials: int = 1
    """Scored trials; the best one is the result."""
    best: Literal["max", "min"] = "max"
    sides: tuple[Literal["left", "right"], ...] = ()
    """One scored trial per side (the one-leg stance: standing on each leg)."""
    pose: Pose = Pose.UPRIGHT
    """The pose the test is done in; out of it for too long, the test stops."""
    start_pose: Pose = Pose.STANDING
    chair: bool = False
    """Needs a chair (and reminds the resident to keep a chair or rail within reach)."""
    balance: bool = False
    """Tests balance (the chair-or-rail reminder too)."""
    device: Literal["camera", "station", "scale"] = "camera"
    heart_rate: bool = False
    """Shows the live heart rate and checks SpO2 before starting (the step test)."""

    @property
    def camera(self) -> bool:
        return self.device == "camera"

    @property
    def practice_target(self) -> int:
        """Repetitions (or seconds) of the practice trial."""
        return 2 if self.kind.counts_reps else 3


PROTOCOLS: dict[str, Protocol] = {p.id: p for p in (
    # 30-second chair stand: arms crossed on the chest, full stands from a chair; a practice
    # of one or two stands first; one scored trial (Rikli & Jones).
    Protocol("chair_stand_30s", "sit_to_stand", REPS_IN_TIME, Unit.REPS, 30.0, practice=True,
             pose=Pose.UPRIGHT, start_pose=Pose.SEATED, chair=True),
    # 30-second arm curl: seated, the arm curled through the full range with a 5 lb (women)
    # or 8 lb (men) weight or a water bottle; a practice of one or two curls; one trial.
    Protocol("arm_curl_30s", "bicep_curl", REPS_IN_TIME, Unit.REPS, 30.0, practice=True,
             pose=Pose.SEATED, start_pose=Pose.SEATED, chair=True),
    # 2-minute step test: march in place; the right knee lifted to the mark (midway between
    # kneecap and hip bone) counts; resting and holding a chair or the wall are allowed.
    Protocol("step_test_2min", "knee_raise", REPS_IN_TIME, Unit.REPS, 120.0, practice=False,
             pose=Pose.STANDING, start_pose=Pose.STANDING, balance=True, heart_rate=True),
    # One-leg stance, eyes open: seconds until the lifted foot touches down or the standing
    # foot moves, up to 30 s; standing on the right leg, then on the left.
    Protocol("one_leg_stance", "single_leg_stance", HOLD, Unit.SECONDS, 30.0, practice=False,
             sides=("right", "left"), pose=Pose.STANDING, start_pose=Pose.STANDING,
             balance=True),
    # 8-foot up-and-go: from seated, stand, walk 2.44 m around a marker, come back and sit;
    # one practice walk-through, two scored trials, the faster counts (Rikli & Jones). 60 s
    # is a safety limit, not part of the protocol.
    Protocol("up_and_go_8ft", "sit_to_stand", TIMED, Unit.SECONDS, 60.0, practice=True,
             trials=2, best="min", pose=Pose.UPRIGHT, start_pose=Pose.SEATED, chair=True,
             balance=True),
    # Grip strength with the station's dynamometer: each hand twice, the best counts.
    Protocol("grip_strength", None, REPS, Unit.KILOGRAMS, None, practice=False, trials=2,
             sides=("right", "left"), device="station"),
    # Weight and height from the scale: body mass index.
    Protocol("bmi", None, REPS, Unit.BMI, None, practice=False, device="scale"),
)}
"""Every fitness test the kiosk offers, by id (in the order the menu shows them)."""


def protocol_spec(protocol: Protocol, exercises: dict[str, ExerciseSpec]) -> ExerciseSpec:
    """The engine's spec for a camera test: its exercise, measured as the test's kind.

    Raises ``KeyError`` naming the exercise when it is not installed.
    """
    if protocol.exercise is None:
        raise KeyError(f"{protocol.id} is not measured by the camera")
    base = exercises[protocol.exercise]
    target = int(protocol.time_limit_s or base.default_target)
    spec = replace(base, kind=protocol.kind, default_target=target)
    if protocol.id == "step_test_2min":
        # only the right knee counts, lifted to the test's mark
        spec = replace(spec, signal=replace(spec.signal, side="right", peak=STEP_KNEE_PEAK,
                                            rest=STEP_KNEE_REST))
    return spec


def practice_spec(protocol: Protocol, exercises: dict[str, ExerciseSpec]) -> ExerciseSpec:
    """The engine's spec for the practice trial: a couple of repetitions, untimed."""
    spec = protocol_spec(protocol, exercises)
    if protocol.kind is TIMED:
        return spec
    return replace(spec, kind=REPS, default_target=protocol.practice_target)


# -- pose ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyPose:
    """What the watch and the timers need to know about one frame's body."""

    drop: float
    """Ankles below hips, in torso lengths (seated about 1, standing about 1.6)."""
    lean_deg: float
    """Trunk angle from vertical (0 upright)."""
    torso: float
    """Shoulder-to-hip length in picture heights."""
    hip_x: float
    """Hip centre across the picture, in picture heights."""
    hip_y: float

    @property
    def seated(self) -> bool:
        return self.drop < SEATED_MAX_DROP

    @property
    def upright(self) -> bool:
        return self.lean_deg < FALLEN_LEAN_DEG

    def fits(self, pose: Pose) -> bool:
        if not self.upright:
            return False
        if pose is Pose.SEATED:
            return self.seated
        if pose is Pose.STANDING:
            return not self.seated
        return True


def body_pose(landmarks: np.ndarray | None, aspect: float = 4 / 3) -> BodyPose | None:
    """The body's pose from ``(33, 4)`` picture landmarks, or None when the trunk or the
    ankles are not visible."""
    if landmarks is None:
        return None
    lm = np.asarray(landmarks, dtype=np.float64)
    need = [L_SHOULDER, R_SHOULDER, L_HIP, R_HIP]
    if not (lm[need, 3] >= MIN_VIS).all():
        return None
    p = lm[:, :2] * np.array([aspect, 1.0])
    sh = (p[L_SHOULDER] + p[R_SHOULDER]) / 2
    hip = (p[L_HIP] + p[R_HIP]) / 2
    torso = float(np.hypot(*(sh - hip)))
    if torso < 1e-4:
        return None
    ankles = [i for i in (L_ANKLE, R_ANKLE) if lm[i, 3] >= MIN_VIS]
    if not ankles:
        return None
    ank_y = float(np.mean([p[i, 1] for i in ankles]))
    lean = math.degrees(math.atan2(abs(float(sh[0] - hip[0])), float(hip[1] - sh[1])))
    return BodyPose(drop=(ank_y - float(hip[1])) / torso, lean_deg=lean, torso=torso,
                    hip_x=float(hip[0]), hip_y=float(hip[1]))


def seated(landmarks: np.ndarray | None, aspect: float = 4 / 3) -> bool | None:
    bp = body_pose(landmarks, aspect)
    return None if bp is None else bp.seated


# -- the safety watch ---------------------------------------------------------------------


class StopReason(StrEnum):
    LEFT_FRAME = "left_frame"
    """Nobody (or not the whole body) in the picture."""
    OUT_OF_POSE = "out_of_pose"
    """Not in the test's pose (e.g. standing up during the seated arm curl)."""
    NOT_UPRIGHT = "not_upright"
    """The trunk is far from upright: a fall or lying down."""


@dataclass
class SafetyWatch:
    """Stops a test that cannot go on safely or validly; fed every engine update.

    ``stop_after_s``: how long the person may be out of the picture or out of
    the pose before the test stops (a short step aside or a turn at the
    marker is not a stop). An un-upright trunk stops it after ``fallen_s``.
    """

    pose: Pose
    stop_after_s: float = 3.0
    fallen_s: float = 1.0
    aspect: float = 4 / 3
    stopped: StopReason | None = None
    stopped_at: float | None = None

    def __post_init__(self) -> None:
        self._gone_since: float | None = None
        self._off_since: float | None = None
        self._fallen_since: float | None = None

    def update(self, t: float, person_visible: bool,
               landmarks: np.ndarray | None) -> StopReason | None:
        """One frame; returns the reason once the test must stop (and keeps returning it).

        The body counts as gone when nobody is seen or the trunk or both ankles are not
        visible (partly out of the picture)."""
        if self.stopped is not None:
            return self.stopped
        bp = body_pose(landmarks, self.aspect) if person_visible else None
        if bp is None:
            self._gone_since = t if self._gone_since is None else self._gone_since
            self._off_since = self._fallen_since = None
            if t - self._gone_since >= self.stop_after_s:
                return self._stop(StopReason.LEFT_FRAME, t)
            return None
        self._gone_since = None
        if not bp.upright:
            self._fallen_since = t if self._fallen_since is None else self._fallen_since
            if t - self._fallen_since >= self.fallen_s:
                return self._stop(StopReason.NOT_UPRIGHT, t)
        else:
            self._fallen_since = None
        if bp.fits(self.pose) or not bp.upright:
            self._off_since = None
        else:
            self._off_since = t if self._off_since is None else self._off_since
            if t - self._off_since >= self.stop_after_s:
                return self._stop(StopReason.OUT_OF_POSE, t)
        return None

    def _stop(self, reason: StopReason, t: float) -> StopReason:
        self.stopped, self.stopped_at = reason, t
        return reason
