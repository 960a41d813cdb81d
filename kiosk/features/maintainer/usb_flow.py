"""The maintainer's USB install as data: what the stick offers, progress, the report; Kivy-free.

Why this module exists: installing content from a stick is a few steps
(read the stick's signed metadata, show what it offers against what is
installed, install with a progress bar, a per-file report) whose state the
USB screen only draws. Progress arrives as the install pipeline's phases
(``verify``, ``extract``, ``validate``, ``switch``, once per bundle); this
turns them into one bar from 0 to 1 that only moves forward, and a phase
text. The report lists every file of each installed bundle (checked for size
and SHA-256 while it was copied) and every skipped item with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from content.service import Available, SourceResult
from content.usb import Stick
from kiosk.i18n import N_
from kiosk.services.content import Offer

Stage = Literal["idle", "reading", "offer", "installing", "done"]

PHASES: dict[str, tuple[float, float, str]] = {
    "download": (0.0, 0.0, N_("Reading the bundle")),
    "verify": (0.0, 0.15, N_("Checking the signature and the bundle file")),
    "extract": (0.15, 0.85, N_("Copying and checking every file")),
    "validate": (0.85, 0.95, N_("Checking the lessons, exercises and voice clips")),
    "switch": (0.95, 1.0, N_("Switching to the new content")),
}
"""Each install phase's share of one bundle's bar, and what it is called on screen."""

ACTIONS: dict[str, str] = {
    "install": N_("New: will be installed"),
    "update": N_("Newer: will be installed"),
    "up to date": N_("Already installed"),
    "newer installed": N_("A newer version is installed"),
    "held": N_("Held back (rolled back on this kiosk)"),
}
NEEDS_APP = N_("Needs a newer kiosk app")


def action_text(a: Available) -> str:
    """A msgid for what installing the stick would do with ``a``."""
    return ACTIONS.get(a.action, NEEDS_APP)


@dataclass
class UsbFlow:
    stage: Stage = "idle"
    stick: Stick | None = None
    offer: Offer | None = None
    result: SourceResult | None = None
    fraction: float = 0.0
    phase: str = ""
    _bundles: int = 1
    _index: int = 0
    _last_phase: str = ""
    seen: list[float] = field(default_factory=list)
    """Every fraction shown (for the tests: the bar moved, and only forward)."""

    def reading(self, stick: Stick) -> None:
        self.stage, self.stick, self.offer, self.result = "reading", stick, None, None
        self.fraction, self.phase = 0.0, ""

    def offered(self, offer: Offer) -> None:
        if self.stick is None or offer.stick.repository != self.stick.repository:
            return  # an answer about a stick no longer shown
        self.stage, self.offer = "offer", offer

    @property
    def can_install(self) -> bool:
        return self.stage == "offer" and self.offer is not None and bool(self.offer.wanted)

    def installing(self) -> None:
        self.stage = "installing"
        self._bundles = max(1, len(self.offer.wanted) if self.offer else 1)
        self._index, self._last_phase = 0, ""
        self.fraction, self.phase, self.seen = 0.0, "", [0.0]

    def progress(self, phase: str, done: int, total: int) -> None:
        """One progress report of the pipeline (phases repeat for every bundle)."""
        if phase not in PHASES:
            return
        order = list(PHASES)
        if self._last_phase and order.index(phase) < order.index(self._last_phase):
            self._index = min(self._bundles - 1, self._index + 1)  # the next bundle began
        self._last_phase = phase
        lo, hi, msgid = PHASES[phase]
        share = lo + (hi - lo) * (done / total if total > 0 else 1.0)
        self.fraction = max(self.fraction, min(1.0, (self._index + share) / self._bundles))
        self.phase = msgid
        self.seen.append(self.fraction)

    def finished(self, result: SourceResult) -> None:
        self.stage, self.result = "done", result
        if result.reports:
            self.fraction = 1.0
            self.seen.append(1.0)

    def gone(self) -> None:
        """The stick was pulled out (an install in progress finishes or fails on its own)."""
        if self.stage != "installing":
            self.stage, self.stick, self.offer = "idle", None, None
