"""Reusable Kivy widgets: the camera picture with skeleton, progress ring, movement chart,
looping exercise figure. Registered with Kivy's Factory by module, so a kv rule that
uses one imports it on first use (a feature's screens are built on the first visit)."""

from __future__ import annotations

WIDGETS = {
    "PoseView": "kiosk.shell.widgets.pose_view",
    "ProgressRing": "kiosk.shell.widgets.progress_ring",
    "MovementChart": "kiosk.shell.widgets.movement_chart",
    "ExerciseThumb": "kiosk.shell.widgets.exercise_thumb",
}


def register_widgets() -> None:
    from kivy.factory import Factory

    for name, module in WIDGETS.items():
        if name not in Factory.classes:
            Factory.register(name, module=module)
