"""The maintainer PIN check with its lockout, free of Kivy.

Why this module exists: the PIN is the only thing between a passer-by and
the maintainer pages, so wrong guesses must cost time: after
``MAX_ATTEMPTS`` wrong PINs in a row the keypad refuses everything for
``LOCKOUT_S`` seconds, the right PIN included. The clock is injected so the
rule is tested without waiting.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LOCKOUT_S = 60.0


class PinOutcome(Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass
class PinGate:
    """Checks PINs against ``expected()`` (read at each check: the config may change)."""

    expected: Callable[[], str]
    clock: Callable[[], float] = time.monotonic
    max_attempts: int = MAX_ATTEMPTS
    lockout_s: float = LOCKOUT_S
    failures: int = 0
    locked_until: float = 0.0

    def check(self, pin: str) -> PinOutcome:
        now = self.clock()
        if now < self.locked_until:
            return PinOutcome.LOCKED
        if hmac.compare_digest(pin.encode(), self.expected().encode()):
            self.failures = 0
            log.info("maintainer mode entered")
            return PinOutcome.ACCEPTED
        self.failures += 1
        log.warning("wrong maintainer PIN (%d in a row)", self.failures)
        if self.failures >= self.max_attempts:
            self.failures = 0
            self.locked_until = now + self.lockout_s
            return PinOutcome.LOCKED
        return PinOutcome.WRONG

    def unlock(self) -> None:
        """Lift a lockout (tests; a restart does the same)."""
        self.locked_until = 0.0
        self.failures = 0
