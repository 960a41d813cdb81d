"""What the fitness screens say: each test's instructions, the safety notices, why a test
stopped, and the result in plain words against the published norms. Free of Kivy.

Why this module exists: the words are the part an older resident relies on
("within the normal range for women aged 70-74"), they must exist in both
languages (every text is a msgid of the catalogues), and they must say
exactly what the norms say (``sync.fitness_norms``), nothing invented: no
comparison without an age group and sex, and the source named.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import N_, tr
from sync.fitness_norms import Comparison, load_norms
from vision.fitness_tests import StopReason


@dataclass(frozen=True)
class TestTexts:
    title: str
    measures: str
    steps: tuple[str, ...]
    result: str
    """How the result reads, with ``{n}`` (and ``{side}`` for a test per side)."""
    practice: str = ""
    counting: str = ""
    """What the big number under the clock counts."""


TEXTS: dict[str, TestTexts] = {
    "chair_stand_30s": TestTexts(
        N_("30-second chair stand"), N_("Leg strength"),
        (N_("Sit in the middle of a sturdy chair without arms, its back against a wall, feet flat on the floor."),
         N_("Cross your arms at the wrists and hold them against your chest."),
         N_("On “Go”, stand up all the way, then sit all the way down. Repeat as many times as you can in 30 seconds.")),
        N_("{n} stands in 30 seconds"),
        N_("First, practise two stands slowly."), N_("stands")),
    "arm_curl_30s": TestTexts(
        N_("30-second arm curl"), N_("Arm strength"),
        (N_("Sit on a chair, side-on to the screen, with your stronger arm towards it."),
         N_("Hold a light weight or a full water bottle, arm straight down by your side."),
         N_("On “Go”, bend your elbow to bring it up all the way, then lower it all the way. Repeat as many times as you can in 30 seconds. Keep your upper arm still.")),
        N_("{n} curls in 30 seconds"),
        N_("First, practise two curls slowly."), N_("curls")),
    "step_test_2min": TestTexts(
        N_("2-minute step test"), N_("Stamina (heart and lungs)"),
        (N_("Stand up straight facing the screen, with a chair or the wall beside you to hold if you need it."),
         N_("On “Go”, march on the spot for 2 minutes, lifting each knee to halfway between your knee and your hip."),
         N_("The camera counts each time your right knee reaches that height. You may slow down or rest; the clock keeps running.")),
        N_("{n} steps in 2 minutes"), counting=N_("steps (right knee)")),
    "one_leg_stance": TestTexts(
        N_("One-leg stance"), N_("Balance"),
        (N_("Stand facing the screen, next to a chair or rail you can hold if you wobble."),
         N_("On “Go”, lift one foot a little off the floor and stand on the other leg as long as you can, up to 30 seconds. Keep your eyes open."),
         N_("The time stops when the lifted foot touches the floor or the standing foot moves. First on the right leg, then on the left.")),
        N_("{n} seconds on the {side} leg")),
    "up_and_go_8ft": TestTexts(
        N_("8-foot up-and-go"), N_("Agility and balance"),
        (N_("Sit in a chair placed against the wall, hands on your thighs. A marker stands 8 feet (2.44 m) in front of the chair, where the camera can see it."),
         N_("On “Go”, get up, walk as quickly as you safely can around the marker, come back and sit down. Walk, do not run."),
         N_("You do it once for practice and twice for the test; the faster time counts.")),
        N_("{n} seconds"),
        N_("First, one practice walk at an easy pace.")),
    "grip_strength": TestTexts(
        N_("Grip strength"), N_("Hand strength"),
        (N_("Stand or sit, arm straight down by your side, and hold the grip meter."),
         N_("When asked, squeeze as hard as you can for a few seconds, then let go."),
         N_("Each hand twice; the best squeeze of each hand counts.")),
        N_("{n} kg with the {side} hand")),
    "bmi": TestTexts(
        N_("Weight and BMI"), N_("Body size"),
        (N_("Take off your shoes and step onto the scale. Stand still until the weight is shown."),
         N_("Your height comes from the height meter, or you can type it in.")),
        N_("BMI {n}")),
}

SAFETY = N_("Stop if you feel pain, dizziness or shortness of breath.")
CHAIR = N_("Keep a sturdy chair or a rail within reach.")
STOP_ANY_TIME = N_("You can press Stop at any time.")
SIDE_NAMES = {"left": N_("left"), "right": N_("right")}
NO_COMPARISON = N_("Tell us your age group and sex to compare your result with people of your age. It is not required.")
NOT_SAVED_GUEST = N_("Sign in to keep your results in My records.")

STOPPED: dict[str, str] = {
    StopReason.LEFT_FRAME.value: N_("The test stopped because you left the camera's view for a few seconds. Nothing was saved."),
    StopReason.OUT_OF_POSE.value: N_("The test stopped because you were out of the test position for a few seconds. Nothing was saved."),
    StopReason.NOT_UPRIGHT.value: N_("The test stopped because you do not seem to be upright. Are you all right? Nothing was saved."),
    "stopped": N_("You stopped the test. Nothing was saved."),
    "not walked": N_("The walk round the marker and back was not seen. Nothing was saved; please try again."),
    "time limit": N_("The test took too long and stopped. Nothing was saved."),
}

_WITHIN = {"female": N_("Within the normal range for women aged {ages} ({low} to {high})."),
           "male": N_("Within the normal range for men aged {ages} ({low} to {high}).")}
_ABOVE = {"female": N_("Above the normal range for women aged {ages} ({low} to {high})."),
          "male": N_("Above the normal range for men aged {ages} ({low} to {high}).")}
_BELOW = {"female": N_("Below the normal range for women aged {ages} ({low} to {high})."),
          "male": N_("Below the normal range for men aged {ages} ({low} to {high}).")}
_FASTER = {"female": N_("Faster than the normal range for women aged {ages} ({low} to {high} seconds)."),
           "male": N_("Faster than the normal range for men aged {ages} ({low} to {high} seconds).")}
_SLOWER = {"female": N_("Slower than the normal range for women aged {ages} ({low} to {high} seconds)."),
           "male": N_("Slower than the normal range for men aged {ages} ({low} to {high} seconds).")}
_VERDICT = {
    "better": N_("Well done: better than most people of your age. Keep it up!"),
    "typical": N_("That is usual for your age. Staying active helps you keep it."),
    "worse": N_("Lower than usual for your age. Regular practice helps; if you are worried, talk to your doctor."),
}
_CHINA_BETTER = {"female": N_("Better than about {p} in 100 older women in China."),
                 "male": N_("Better than about {p} in 100 older men in China.")}
_CHINA_FEW = {"female": N_("Most older women in China score better; practice can help."),
              "male": N_("Most older men in China score better; practice can help.")}
_GRIP_LOW = {"female": N_("Below the low-strength mark for older women in Asia ({cutoff} kg). Strength exercises help; if you are worried, talk to your doctor."),
             "male": N_("Below the low-strength mark for older men in Asia ({cutoff} kg). Strength exercises help; if you are worried, talk to your doctor.")}
_GRIP_OK = {"female": N_("Above the low-strength mark for older women in Asia ({cutoff} kg)."),
            "male": N_("Above the low-strength mark for older men in Asia ({cutoff} kg).")}
_BMI = {"underweight": N_("Underweight for an adult in China (BMI below 18.5)."),
        "normal": N_("A healthy weight for an adult in China (BMI 18.5 to 23.9)."),
        "overweight": N_("Overweight for an adult in China (BMI 24 to 27.9)."),
        "obese": N_("Obese for an adult in China (BMI 28 or more).")}
SOURCES = {
    "rikli_jones": N_("Normal range: Rikli and Jones, Senior Fitness Test (25th to 75th percentile)."),
    "bmc_2021": N_("China: BMC Geriatrics 2021, older adults in China."),
    "awgs_2019": N_("Mark: Asian Working Group for Sarcopenia, 2019."),
    "ws_t_428": N_("BMI: China's adult weight standard WS/T 428-2013."),
}


def _num(v: float) -> str:
    return f"{v:g}"


def _ages(group: str) -> str:
    return group.replace("-", "\u2013")


def explain(c: Comparison, age_group: str | None, sex: str | None, lang: str
            ) -> tuple[list[str], list[str]]:
    """(plain-language lines, source lines) for a result compared with the norms."""
    lines: list[str] = []
    sources: list[str] = []
    lower_better = load_norms().better(c.test) == "lower"
    if c.band is not None and c.position is not None and sex in ("female", "male") \
            and age_group is not None:
        fmt = {"ages": _ages(age_group), "low": _num(c.band.low), "high": _num(c.band.high)}
        if c.position == "within":
            table = _WITHIN
        elif lower_better:
            table = _FASTER if c.position == "below" else _SLOWER
        else:
            table = _ABOVE if c.position == "above" else _BELOW
        lines.append(tr(table[sex], lang, **fmt))
        if c.verdict is not None:
            lines.append(tr(_VERDICT[c.verdict], lang))
        sources.append(tr(SOURCES[c.band.source], lang))
    if c.percentile_range is not None and sex in ("female", "male"):
        low, high = c.percentile_range
        p = (100 - (high or 100)) if lower_better else (low or 0)
        if p > 0:
            lines.append(tr(_CHINA_BETTER[sex], lang, p=p))
        else:
            lines.append(tr(_CHINA_FEW[sex], lang))
        if c.percentile_source:
            sources.append(tr(SOURCES[c.percentile_source], lang))
    if c.below_cutoff is not None and c.cutoff is not None and sex in ("female", "male"):
        table = _GRIP_LOW if c.below_cutoff else _GRIP_OK
        lines.append(tr(table[sex], lang, cutoff=_num(c.cutoff)))
        sources.append(tr(SOURCES["awgs_2019"], lang))
    if c.category is not None:
        lines.append(tr(_BMI[c.category], lang))
        sources.append(tr(SOURCES["ws_t_428"], lang))
    if not lines:
        lines.append(tr(NO_COMPARISON, lang))
    return lines, sources


def result_line(test: str, value: float, side: str | None, lang: str) -> str:
    texts = TEXTS[test]
    n = f"{value:g}" if test not in ("one_leg_stance", "up_and_go_8ft", "bmi") else f"{value:.1f}"
    return tr(texts.result, lang, n=n, side=tr(SIDE_NAMES[side], lang) if side else "")
