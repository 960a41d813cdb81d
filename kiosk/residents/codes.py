"""Number codes: a sign-in for residents without a card, the same on every kiosk.

Why this module exists: a resident can ask any kiosk for a short number code
(six digits, easy to write down) and choose a PIN. The code is their
identity like a card number is: the pseudonym is ``code-`` and an HMAC of the
code under the community key (``identity.card_pseudonym`` does the same for
cards), so every kiosk of the community turns the code typed in into the
same pseudonym without asking anyone. The PIN check needs the profile (its
salted PIN hash), which kiosks get back from the server (see
``docs/residents.md``). The code itself is never stored or synced.

New codes are drawn at random among the codes no known resident has (the
caller says which pseudonyms are known: this kiosk's and the server's
profiles). Two kiosks that are offline at the same time could draw the same
code; with a million codes that is rare, and the PIN still tells the two
residents apart on the kiosk where each signed up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from kiosk.residents.community_key import CommunityKey

CODE_PREFIX = "code-"
CODE_DIGITS = 6


def normalise_code(text: str) -> str | None:
    """The code's digits (spaces and dashes dropped), or None when it is not a code."""
    digits = "".join(ch for ch in text if ch not in " -")
    return digits if len(digits) == CODE_DIGITS and digits.isdigit() else None


def code_pseudonym(code: str, key: CommunityKey) -> str:
    """The resident ID for a number code: ``code-`` and 32 hex digits of HMAC-SHA256."""
    message = b"code:" + code.encode("ascii")
    return CODE_PREFIX + hmac.new(key.secret, message, hashlib.sha256).hexdigest()[:32]


def new_code(key: CommunityKey, known: Callable[[str], bool], attempts: int = 200) -> str:
    """A random code whose pseudonym is not ``known``; no leading zero (it would be dropped
    when written down as a number)."""
    for _ in range(attempts):
        code = str(secrets.randbelow(9 * 10 ** (CODE_DIGITS - 1)) + 10 ** (CODE_DIGITS - 1))
        if not known(code_pseudonym(code, key)):
            return code
    raise RuntimeError("no free number code found")


def format_code(code: str) -> str:
    """``482913`` -> ``482 913`` (easier to read and write down)."""
    return f"{code[:3]} {code[3:]}"
