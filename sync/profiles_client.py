"""The kiosk side of the residents' profiles route: fetch the community's profiles.

Why this module exists: a resident who signed up on another kiosk (a card's
consent, a number code's PIN) must be recognised here. The sync service
fetches every profile of the community after a successful pass, and a code
login on a kiosk that does not know the code yet asks for that one profile.
Both go through these two functions: bearer token, TLS as configured,
explicit timeouts, and every profile checked with the record schema before
it is used (a bad one is skipped and logged, never trusted).
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from sync.api import PROFILES_PATH
from sync.client import SyncSettings
from sync.records import RecordError, ResidentProfile, parse_record

log = logging.getLogger(__name__)


class ProfilesError(RuntimeError):
    """The server could not be asked (network, refusal); the message says which."""


def _get(settings: SyncSettings, path: str, timeout: tuple[float, float] | None
         ) -> requests.Response:
    url = settings.server_url.rstrip("/") + path
    try:
        return requests.get(url, headers={"Authorization": f"Bearer {settings.token}"},
                            timeout=timeout or (settings.connect_timeout_s,
                                                settings.read_timeout_s),
                            verify=settings.verify)
    except requests.RequestException as exc:
        raise ProfilesError(f"cannot reach {settings.server_url}: {exc}") from None


def _profiles(body: Any) -> list[ResidentProfile]:
    items = body.get("profiles") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ProfilesError("the server's answer has no profile list")
    out: list[ResidentProfile] = []
    for item in items:
        try:
            rec = parse_record(item)
        except RecordError as exc:
            log.warning("a profile from the server was refused: %s", exc)
            continue
        if isinstance(rec, ResidentProfile):
            out.append(rec)
    return out


def fetch_profiles(settings: SyncSettings) -> list[ResidentProfile]:
    """Every resident's newest profile in this kiosk's community."""
    if not settings.token:
        raise ProfilesError("no sync token configured")
    r = _get(settings, PROFILES_PATH, None)
    if r.status_code != 200:
        raise ProfilesError(f"the server answered {r.status_code} for the profiles")
    try:
        return _profiles(r.json())
    except ValueError:
        raise ProfilesError("the server's answer is not JSON") from None


def fetch_profile(settings: SyncSettings, resident: str,
                  timeout_s: float = 3.0) -> ResidentProfile | None:
    """One resident's newest profile, None when the community has none (a short timeout:
    a resident is waiting at the keypad)."""
    if not settings.token:
        raise ProfilesError("no sync token configured")
    r = _get(settings, f"{PROFILES_PATH}/{resident}", (min(timeout_s, 3.0), timeout_s))
    if r.status_code == 404:
        return None
    if r.status_code != 200:
        raise ProfilesError(f"the server answered {r.status_code} for the profile")
    try:
        found = _profiles(r.json())
    except ValueError:
        raise ProfilesError("the server's answer is not JSON") from None
    return next((p for p in found if p.resident == resident), None)
