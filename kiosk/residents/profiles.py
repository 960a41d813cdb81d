"""Residents' profiles known to this kiosk: its own, and the community's from the server.

Why this module exists: whether a resident has given consent, their PIN hash
(number codes), age group, sex, language and text size must be known on
every kiosk of the community. A kiosk knows two kinds of profiles: those
saved here (records in the local store, synced up) and those the server sent
back (kept in ``<data dir>/residents/profiles.json``, replaced on every
fetch, so a profile deleted on the server disappears here too). For one
resident the newest ``updated_at`` wins. Thread-safe: the sync thread
delivers, the UI and login threads read.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from sync.records import RecordError, ResidentProfile, parse_record

log = logging.getLogger(__name__)


class ProfileBook:
    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._local: dict[str, ResidentProfile] = {}
        self._remote: dict[str, ResidentProfile] = {}
        self._load_cache()

    def get(self, resident: str) -> ResidentProfile | None:
        with self._lock:
            a, b = self._local.get(resident), self._remote.get(resident)
        if a is None or b is None:
            return a or b
        return a if a.updated_at >= b.updated_at else b

    def teams(self) -> dict[str, str]:
        """resident -> team, from each resident's newest profile."""
        with self._lock:
            names = set(self._local) | set(self._remote)
        out: dict[str, str] = {}
        for resident in names:
            p = self.get(resident)
            if p is not None and p.team:
                out[resident] = p.team
        return out

    def known(self, resident: str) -> bool:
        with self._lock:
            return resident in self._local or resident in self._remote

    def __len__(self) -> int:
        with self._lock:
            return len(set(self._local) | set(self._remote))

    def add_local(self, profiles: Iterable[ResidentProfile]) -> None:
        """Profiles saved on this kiosk (at start, from the store; then each new save)."""
        with self._lock:
            for p in profiles:
                old = self._local.get(p.resident)
                if old is None or p.updated_at >= old.updated_at:
                    self._local[p.resident] = p

    def replace_remote(self, profiles: Iterable[ResidentProfile]) -> int:
        """The server's current set (its newest per resident); kept in the cache file."""
        fresh: dict[str, ResidentProfile] = {}
        for p in profiles:
            old = fresh.get(p.resident)
            if old is None or p.updated_at >= old.updated_at:
                fresh[p.resident] = p
        with self._lock:
            self._remote = fresh
            self._save_cache()
        return len(fresh)

    def add_remote(self, profile: ResidentProfile) -> None:
        """One profile fetched for a code login."""
        with self._lock:
            self._remote[profile.resident] = profile
            self._save_cache()

    def forget(self, resident: str) -> None:
        """A resident deleted their data: nothing of theirs stays in memory or the cache."""
        with self._lock:
            self._local.pop(resident, None)
            if self._remote.pop(resident, None) is not None:
                self._save_cache()

    # -- the cache file ----------------------------------------------------------------------
    def _load_cache(self) -> None:
        if self.cache is None:
            return
        try:
            data = json.loads(self.cache.read_text(encoding="utf-8"))
            items = data["profiles"]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("profiles cache %s unreadable (%s); the next sync refills it",
                        self.cache, exc)
            return
        for item in items if isinstance(items, list) else []:
            try:
                rec = parse_record(item)
            except RecordError as exc:
                log.warning("a cached profile was refused: %s", exc)
                continue
            if isinstance(rec, ResidentProfile):
                self._remote[rec.resident] = rec

    def _save_cache(self) -> None:
        if self.cache is None:
            return
        data = {"profiles": [p.to_json_dict() for p in self._remote.values()]}
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache.with_name(f".{self.cache.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.cache)
        except OSError as exc:
            log.warning("profiles cache %s not written: %s", self.cache, exc)
