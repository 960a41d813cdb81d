"""The community key: one secret shared by every kiosk of a community.

Why this module exists: a resident's card must give the same pseudonym on
every kiosk of the community (their history, challenges and one vote per
poll work across kiosks), and the card number itself must never be stored.
So the pseudonym is an HMAC of the card number under a key that the whole
community shares and that is provisioned with each kiosk's config: the
``[residents] community_key`` setting, else the file
``<data dir>/community-key``. A kiosk with neither (a developer's) makes a
key of its own and says loudly that its pseudonyms will not match other
kiosks. A key that is too short or too simple is refused: card logins stay
off until it is replaced.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

log = logging.getLogger(__name__)

MIN_CHARS = 32
MIN_DISTINCT = 10


class KeySource(StrEnum):
    CONFIG = "config"
    FILE = "file"
    MADE_HERE = "made on this kiosk"


class CommunityKeyError(ValueError):
    """The key cannot be used; the message says where it is and what is wrong."""


@dataclass(frozen=True)
class CommunityKey:
    secret: bytes = field(repr=False)
    source: KeySource
    path: Path | None = None

    @property
    def fingerprint(self) -> str:
        """A short public digest of the key: equal fingerprints mean equal keys, so a
        maintainer can compare kiosks without ever showing the key itself."""
        return hashlib.sha256(b"community-key-fingerprint:" + self.secret).hexdigest()[:12]

    def describe(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return f"community key from {self.source}{where}, fingerprint {self.fingerprint}"


def weakness(key: str) -> str | None:
    """Why ``key`` is too weak to protect card numbers, or None when it is fine."""
    if len(key) < MIN_CHARS:
        return f"it has {len(key)} characters; a community key needs at least {MIN_CHARS}"
    if len(set(key)) < MIN_DISTINCT:
        return f"it uses only {len(set(key))} different characters; make one with " \
               "`kiosk community-key new`"
    return None


def new_key() -> str:
    """A fresh community key: 64 hexadecimal digits (256 bits)."""
    return secrets.token_hex(32)


def write_key(path: Path, key: str) -> None:
    """Write ``key`` to ``path`` atomically, readable by the kiosk user only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def load_community_key(configured: str, path: Path, make_if_missing: bool = True) -> CommunityKey:
    """The key from the config, else from ``path``, else (when allowed) a new one made and
    kept in ``path``. Raises ``CommunityKeyError`` for a weak or unreadable key."""
    if configured:
        problem = weakness(configured)
        if problem:
            raise CommunityKeyError(f"[residents] community_key is too weak: {problem}")
        return CommunityKey(configured.encode("utf-8"), KeySource.CONFIG)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if not make_if_missing:
            raise CommunityKeyError(f"no community key: neither [residents] community_key "
                                    f"nor the file {path}") from None
        key = new_key()
        write_key(path, key)
        log.warning("no community key was provisioned: made one for this kiosk in %s; card "
                    "pseudonyms will NOT match other kiosks of the community", path)
        return CommunityKey(key.encode("utf-8"), KeySource.MADE_HERE, path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommunityKeyError(f"community key file {path} cannot be read: {exc}") from None
    problem = weakness(text)
    if problem:
        raise CommunityKeyError(f"community key in {path} is too weak: {problem}")
    return CommunityKey(text.encode("utf-8"), KeySource.FILE, path)
