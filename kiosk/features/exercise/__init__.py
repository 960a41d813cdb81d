"""Exercise: choose an exercise and a target, be coached by the camera, see the summary."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="exercise",
    title=N_("Exercise"),
    subtitle=N_("Move with a coach that counts for you"),
    icon="♥",
    colour=(0.15, 0.52, 0.30, 1),
    order=10,
    screens=(
        ScreenDecl("exercise", ".choose:ChooseScreen", N_("Exercise"), kv=("choose.kv",)),
        ScreenDecl("coach", ".coach:CoachScreen", N_("Exercise"), kv=("coach.kv",),
                   back_returns=False),
        ScreenDecl("summary", ".summary:SummaryScreen", N_("Your results"), kv=("summary.kv",)),
    ),
    services=("vision",),
)
