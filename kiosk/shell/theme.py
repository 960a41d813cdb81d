"""Colours and sizes for elderly eyes, in a normal and a high-contrast palette.

Sizes are in units of 1% of the shorter window side, so the same layout works
on a 1920x1080 or 1280x800 screen, portrait or landscape. Colours are named
by role (``primary`` for the main action, ``chart`` for plotted lines); each
feature brings its own tile colour, and high contrast draws every tile alike.
"""

from __future__ import annotations

from collections.abc import Sequence

RGBA = tuple[float, float, float, float]

NORMAL: dict[str, RGBA] = {
    "bg": (0.97, 0.96, 0.93, 1),
    "text": (0.10, 0.10, 0.12, 1),
    "muted": (0.35, 0.35, 0.38, 1),
    "bar": (0.07, 0.28, 0.33, 1),
    "bar_text": (1, 1, 1, 1),
    "button": (0.12, 0.42, 0.48, 1),
    "button_text": (1, 1, 1, 1),
    "button_off": (0.62, 0.66, 0.67, 1),
    "primary": (0.15, 0.52, 0.30, 1),
    "chart": (0.15, 0.38, 0.70, 1),
    "tile": (0.12, 0.42, 0.48, 1),
    "tile_text": (1, 1, 1, 1),
    "panel": (1, 1, 1, 1),
    "border": (0.80, 0.80, 0.78, 1),
    "ok": (0.10, 0.55, 0.25, 1),
    "warning": (0.80, 0.50, 0.00, 1),
    "error": (0.80, 0.10, 0.10, 1),
    "accent": (0.95, 0.62, 0.10, 1),
}

HIGH_CONTRAST: dict[str, RGBA] = {
    "bg": (0, 0, 0, 1),
    "text": (1, 1, 1, 1),
    "muted": (0.90, 0.90, 0.90, 1),
    "bar": (0, 0, 0, 1),
    "bar_text": (1, 0.92, 0.15, 1),
    "button": (0, 0, 0, 1),
    "button_text": (1, 0.92, 0.15, 1),
    "button_off": (0.35, 0.35, 0.35, 1),
    "primary": (0, 0, 0, 1),
    "chart": (1, 1, 1, 1),
    "tile": (0, 0, 0, 1),
    "tile_text": (1, 0.92, 0.15, 1),
    "panel": (0, 0, 0, 1),
    "border": (1, 0.92, 0.15, 1),
    "ok": (0.40, 1, 0.40, 1),
    "warning": (1, 0.75, 0.20, 1),
    "error": (1, 0.40, 0.40, 1),
    "accent": (1, 0.92, 0.15, 1),
}

LARGE_TEXT_SCALE = 1.3


def colour(name: str, high_contrast: bool) -> RGBA:
    return (HIGH_CONTRAST if high_contrast else NORMAL)[name]


def tile_colour(feature_colour: Sequence[float], high_contrast: bool) -> RGBA:
    """A feature's tile colour; in high contrast every tile is the palette's ``tile``."""
    if high_contrast:
        return HIGH_CONTRAST["tile"]
    r, g, b, a = (float(c) for c in feature_colour)
    return (r, g, b, a)


def font_size(units: float, unit_px: float, large: bool) -> float:
    return units * unit_px * (LARGE_TEXT_SCALE if large else 1.0)
