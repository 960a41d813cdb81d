"""The attract screen's loop: slides that features offer, as plain data.

Why this module exists: the attract screen belongs to the shell, which knows no
feature by name, but what it loops through (today's community total, running
challenges, the next events, an announcement) comes from features. A feature
names a function in its declaration (``Feature.attract``); the shell imports it
only after the first frame is drawn, so the cold start does not pay for it, and
calls it (off the UI thread) for a list of :class:`Slide` in the visitor's
language. Kivy-free, so the slides are tested without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.services.base import Services


@dataclass(frozen=True)
class Bar:
    """A progress bar with its label and the amount as text."""

    label: str
    fraction: float
    amount: str


@dataclass(frozen=True)
class Slide:
    """One page of the attract loop, already in the screen's language."""

    key: str
    """Stable id (tests and the loop's position use it)."""
    title: str
    lines: tuple[str, ...] = ()
    bars: tuple[Bar, ...] = ()
    picture: Path | None = None
    note: str = ""
    """A small line at the bottom (e.g. how old the copy is)."""
    extra: dict[str, str] = field(default_factory=dict)


SlideSource = Callable[["Services", str], list[Slide]]
"""``(services, lang) -> slides``; called off the UI thread, must not raise for bad data."""
