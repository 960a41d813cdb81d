"""PINs for number-code logins: chosen at the kiosk, kept only as a salted scrypt hash,
and wrong guesses limited.

Why this module exists: a number code and a 4-digit PIN are how a resident
without a card signs in, on any kiosk of the community. The PIN is never
stored: the profile (synced to the server and back to the other kiosks)
holds ``scrypt$N$r$p$<salt>$<hash>``; scrypt with a per-PIN salt makes each
guess cost memory and time. A 4-digit PIN could still be found from its hash
by trying all 10,000, which is why the hash alone is worth little: the code
it belongs to is an HMAC under the community key the server never has.

Wrong guesses at a kiosk are limited by ``PinLimiter``: after ``tries``
wrong PINs in a row a code is locked for ``lock_s`` seconds on this kiosk,
and after ``keypad_tries`` wrong PINs of any codes within ``lock_s`` the
whole keypad is. The counts are kept in a small file so a restart does not
reset them. The clock is injected for tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
"""16 MB and about 50 ms per hash on a kiosk board: slow to guess, quick to check once."""
PIN_LENGTH = 4


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` is not a good PIN (a msgid for the resident), or None."""
    from kiosk.i18n import N_

    if len(pin) != PIN_LENGTH or not pin.isdigit():
        return N_("The PIN must be 4 digits.")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        return N_("This PIN is too easy to guess. Please choose another.")
    return None


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """The stored form of a PIN: ``scrypt$N$r$p$<salt hex>$<hash hex>``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` is the PIN behind ``stored`` (constant time; False if malformed)."""
    try:
        scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        n_, r_, p_ = int(n), int(r), int(p)
        if not (2 <= n_ <= 2**20 and 1 <= r_ <= 32 and 1 <= p_ <= 16):
            return False
        digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt_hex), n=n_, r=r_, p=p_,
                                dklen=len(hash_hex) // 2, maxmem=256 * 1024 * 1024)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(digest.hex(), hash_hex)


@dataclass
class PinLimiter:
    """Wrong-PIN counts per code (pseudonym) and for the keypad, with lockouts."""

    path: Path | None = None
    tries: int = 3
    lock_s: float = 300.0
    keypad_tries: int = 10
    clock: Callable[[], float] = time.time
    _fails: dict[str, int] = field(default_factory=dict)
    _locked: dict[str, float] = field(default_factory=dict)
    _recent: list[float] = field(default_factory=list)
    _keypad_until: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._load()

    def locked_for(self, who: str) -> float:
        """Seconds ``who`` (or the whole keypad) stays locked; 0 when not locked."""
        now = self.clock()
        with self._lock:
            until = max(self._locked.get(who, 0.0), self._keypad_until)
        return max(0.0, until - now)

    def failed(self, who: str) -> float:
        """Count a wrong PIN for ``who``; returns the lock time now in force (0: none)."""
        now = self.clock()
        with self._lock:
            n = self._fails.get(who, 0) + 1
            self._fails[who] = n
            self._recent = [t for t in self._recent if now - t < self.lock_s] + [now]
            if n >= self.tries:
                self._locked[who] = now + self.lock_s
                self._fails[who] = 0
                log.warning("number code locked for %.0f s after %d wrong PINs", self.lock_s, n)
            if len(self._recent) >= self.keypad_tries:
                self._keypad_until = now + self.lock_s
                self._recent = []
                log.warning("PIN keypad locked for %.0f s: too many wrong PINs", self.lock_s)
            self._save()
        return self.locked_for(who)

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._fails.pop(who, None)
            self._locked.pop(who, None)
            self._save()

    # -- persistence ------------------------------------------------------------------------
    def _load(self) -> None:
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._fails = {str(k): int(v) for k, v in data.get("fails", {}).items()}
            self._locked = {str(k): float(v) for k, v in data.get("locked", {}).items()}
            self._recent = [float(t) for t in data.get("recent", [])]
            self._keypad_until = float(data.get("keypad_until", 0.0))
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning("PIN limits file %s unreadable (%s): starting afresh", self.path, exc)

    def _save(self) -> None:
        if self.path is None:
            return
        now = self.clock()
        data = {"fails": self._fails,
                "locked": {k: v for k, v in self._locked.items() if v > now},
                "recent": self._recent, "keypad_until": self._keypad_until}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("PIN limits not saved (%s); they hold until a restart", exc)
