"""Fitness tests scored by the camera (issue 13 fills this folder; until then an honest notice)."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="fitness",
    title=N_("Fitness test"),
    subtitle=N_("Check your strength, balance and heart"),
    icon="◎",
    colour=(0.80, 0.40, 0.08, 1),
    order=30,
    screens=(ScreenDecl("fitness", "kiosk.shell.preparing:PreparingScreen", N_("Fitness test")),),
)
