"""Resident identity as a kiosk service: the community key loaded at start, card logins.

Why this module exists: the sensors service hands every card number here and
gets back the resident's pseudonym (or None while card logins are off), so
the card number goes no further; the maintainer page shows where the key came
from and its fingerprint, never the key. See ``kiosk/residents/``.
"""

from __future__ import annotations

import logging

from kiosk.config import Config, DataLayout, data_layout
from kiosk.residents.community_key import (
    CommunityKey,
    CommunityKeyError,
    KeySource,
    load_community_key,
)
from kiosk.residents.identity import card_pseudonym
from kiosk.services.base import State, StatusRow

log = logging.getLogger(__name__)

NOT_MATCHING = ("card pseudonyms will not match other kiosks of the community: put the "
                "community's key in {path} or in [residents] community_key")


def key_message(key: CommunityKey | None, error: str) -> str:
    """One line for the start-up console and the status page; empty when all is well."""
    if key is None:
        return f"Card logins are off: {error}"
    if key.source is KeySource.MADE_HERE:
        return ("No community key was provisioned; this kiosk made its own, so "
                + NOT_MATCHING.format(path=key.path))
    return ""


class ResidentsService:
    name = "residents"

    def __init__(self, cfg: Config, layout: DataLayout | None = None) -> None:
        self.cfg = cfg
        self.layout = layout or data_layout(cfg)
        self.key: CommunityKey | None = None
        self.error = ""

    def start(self) -> None:
        if self.key is not None:
            return
        try:
            self.key = load_community_key(self.cfg.residents.community_key,
                                          self.layout.community_key)
        except (CommunityKeyError, OSError) as exc:
            self.error = str(exc)
            log.error("card logins are off: %s", exc)
            return
        log.info("%s", self.key.describe())

    def stop(self) -> None:
        pass

    @property
    def card_logins(self) -> bool:
        return self.key is not None

    def card_login(self, card_id: str) -> str | None:
        """The resident's pseudonym for a tapped card, or None while card logins are off."""
        if self.key is None:
            return None
        return card_pseudonym(card_id, self.key)

    def status(self) -> list[StatusRow]:
        key = self.key
        if key is None:
            return [StatusRow("residents", "community key", "error",
                              key_message(None, self.error or "not started"))]
        state: State = "warning" if key.source is KeySource.MADE_HERE else "ok"
        detail = key_message(key, "") or f"card logins on, {key.describe()}"
        return [StatusRow("residents", "community key", state, detail,
                          {"key_source": str(key.source), "fingerprint": key.fingerprint})]
