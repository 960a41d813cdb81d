"""Fitness tests for older residents: the 30-second chair stand and arm curl, the 2-minute
step test, the one-leg stance, the 8-foot up-and-go (scored by the camera), grip strength
(the station's dynamometer) and weight with BMI (the scale); each with instructions, a
demonstration, a practice where the protocol has one, the timed trial, and the result
against published norms for the resident's age group and sex."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="fitness",
    title=N_("Fitness test"),
    subtitle=N_("Check your strength, balance and heart"),
    icon="◎",
    colour=(0.80, 0.40, 0.08, 1),
    order=30,
    screens=(
        ScreenDecl("fitness", ".menu:FitnessMenuScreen", N_("Fitness test"),
                   kv=("fitness.kv",)),
        ScreenDecl("fitness_intro", ".intro:FitnessIntroScreen", N_("Fitness test"),
                   kv=("fitness.kv",)),
        ScreenDecl("fitness_run", ".run:FitnessRunScreen", N_("Fitness test"),
                   kv=("fitness.kv",), back_returns=False),
        ScreenDecl("fitness_result", ".result:FitnessResultScreen", N_("Your result"),
                   kv=("fitness.kv",), back_returns=False),
        ScreenDecl("fitness_sensor", ".sensor:FitnessSensorScreen", N_("Fitness test"),
                   kv=("fitness.kv",), back_returns=False),
    ),
)
