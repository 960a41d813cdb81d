"""Lessons for older residents: the installed lessons by topic, and the lesson player
(slides with narration, video with subtitles, quiz, and practice on the coaching screen)."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="lessons",
    title=N_("Lessons"),
    subtitle=N_("Short lessons on health and daily life"),
    icon="★",
    colour=(0.15, 0.38, 0.70, 1),
    order=20,
    screens=(
        ScreenDecl("lessons", ".listing:LessonsScreen", N_("Lessons"), kv=("listing.kv",)),
        ScreenDecl("lesson", ".player:LessonScreen", N_("Lessons"), kv=("player.kv", "steps.kv")),
    ),
    services=("content",),
)
