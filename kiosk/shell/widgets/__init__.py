"""Reusable Kivy widgets: the camera picture with skeleton, progress ring, movement chart,
looping exercise figure, a result against its normal range, a test over time with its band,
bars of activity per week. Registered with Kivy's Factory by module, so a kv rule that
uses one imports it on first use (a feature's screens are built on the first visit)."""

from __future__ import annotations

WIDGETS = {
    "PoseView": "kiosk.shell.widgets.pose_view",
    "ProgressRing": "kiosk.shell.widgets.progress_ring",
    "MovementChart": "kiosk.shell.widgets.movement_chart",
    "ExerciseThumb": "kiosk.shell.widgets.exercise_thumb",
    "WrappedLabel": "kiosk.shell.widgets.wrapped_label",
    "NormBand": "kiosk.shell.widgets.norm_band",
    "TrendChart": "kiosk.shell.widgets.trend_chart",
    "WeekBars": "kiosk.shell.widgets.week_bars",
}


def register_widgets() -> None:
    from kivy.factory import Factory

    for name, module in WIDGETS.items():
        if name not in Factory.classes:
            Factory.register(name, module=module)
