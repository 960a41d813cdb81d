"""Lessons for older residents (issue 12 fills this folder; until then an honest notice)."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="lessons",
    title=N_("Lessons"),
    subtitle=N_("Short lessons on health and daily life"),
    icon="★",
    colour=(0.15, 0.38, 0.70, 1),
    order=20,
    screens=(ScreenDecl("lessons", "kiosk.shell.preparing:PreparingScreen", N_("Lessons")),),
)
