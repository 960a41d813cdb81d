"""Resident identities: a card tap becomes the resident's community-wide pseudonym.

Why this module exists: the card number is personal data and must never be
shown, stored or synced; the pseudonym must still be the same on every kiosk
of the community. ``card_pseudonym`` is an HMAC-SHA256 of the normalised card
number under the community key (``community_key.py``): stable, not
reversible without the key, and equal across kiosks that share the key.
"""

from __future__ import annotations

import hashlib
import hmac

from kiosk.residents.community_key import CommunityKey

CARD_PREFIX = "card-"


def normalise_card(card_id: str) -> str:
    """Readers differ in case and padding; the same card must give the same text."""
    return card_id.strip().upper()


def card_pseudonym(card_id: str, key: CommunityKey) -> str:
    """The resident ID for a card: ``card-`` and 32 hex digits of HMAC-SHA256(key, card)."""
    message = b"card:" + normalise_card(card_id).encode("utf-8")
    return CARD_PREFIX + hmac.new(key.secret, message, hashlib.sha256).hexdigest()[:32]
