"""The simulated person a kiosk without a camera coaches (``camera.source = "sim"``)."""

from __future__ import annotations

from vision.activity import ActivityKind


def demo_sim_source(exercise: str, kind: ActivityKind, target: int) -> str:
    """A ``sim:`` source spec: the person stands still through the 3-2-1 countdown, then
    does the target (a hold lasts the target time)."""
    if kind.holds:
        return f"sim:{exercise}?reps=1&period={target / 0.75 + 2:.1f}&lead_in=6"
    return f"sim:{exercise}?reps={target}&period=2.2&lead_in=6"
