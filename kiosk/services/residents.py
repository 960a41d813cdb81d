"""Resident identity as a kiosk service: sign-in by card or number code, consent, profiles,
the current visit, and "Delete my data".

Why this module exists: the screens need one Kivy-free place that knows who
is using the kiosk and what they agreed to. The sensors service hands every
card number here and gets back the resident's pseudonym (or None while card
logins are off), so the card number goes no further. A number code becomes a
pseudonym the same way (``kiosk/residents/codes.py``); its PIN is checked
against the profile's salted hash, with wrong guesses limited. The first
sign-in asks for consent: accepting stores a ``consent`` record and the
resident's ``resident_profile``; declining stores nothing (the visit goes on
as a guest). Profiles come from this kiosk's store and from the server (all
kiosks of the community). The maintainer page shows where the key came from
and its fingerprint, never the key. See ``docs/residents.md``.

Deleting a resident's data needs the ``Visit`` this service issued when that
resident signed in, and only while it is the current visit: the screen can
delete the signed-in resident's data and nobody else's.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from kiosk.config import Config, DataLayout, data_layout
from kiosk.residents.codes import code_pseudonym, new_code, normalise_code
from kiosk.residents.community_key import (
    CommunityKey,
    CommunityKeyError,
    KeySource,
    load_community_key,
)
from kiosk.residents.consent import CONSENT_VERSION
from kiosk.residents.identity import card_pseudonym
from kiosk.residents.pins import PinLimiter, hash_pin, pin_problem, verify_pin
from kiosk.residents.profiles import ProfileBook
from kiosk.services.base import Post, State, StatusRow, post_inline
from sync.records import (
    AgeGroup,
    Consent,
    ErasureRequest,
    Record,
    ResidentProfile,
    Sex,
)
from sync.store import Store

if TYPE_CHECKING:
    from kiosk.services.store import StoreService

log = logging.getLogger(__name__)

NOT_MATCHING = ("card pseudonyms will not match other kiosks of the community: put the "
                "community's key in {path} or in [residents] community_key")

FetchProfile = Callable[[str], ResidentProfile | None]
"""Asks the server for one resident's profile (raises when it cannot be asked)."""


def key_message(key: CommunityKey | None, error: str) -> str:
    """One line for the start-up console and the status page; empty when all is well."""
    if key is None:
        return f"Card logins are off: {error}"
    if key.source is KeySource.MADE_HERE:
        return ("No community key was provisioned; this kiosk made its own, so "
                + NOT_MATCHING.format(path=key.path))
    return ""


def _language(lang: str | None) -> Literal["zh_CN", "en"] | None:
    if lang == "zh_CN":
        return "zh_CN"
    if lang == "en":
        return "en"
    return None


def _offset_min() -> int:
    offset = datetime.now(UTC).astimezone().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


class CodeOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    WRONG_PIN = "wrong_pin"
    LOCKED = "locked"
    UNKNOWN = "unknown"
    """No profile of this code anywhere this kiosk can ask (a typo, or not synced yet)."""
    NOT_A_CODE = "not_a_code"
    OFF = "off"
    """Sign-ins are off (no community key)."""


@dataclass(frozen=True)
class CodeLogin:
    outcome: CodeOutcome
    resident: str = ""
    locked_for_s: float = 0.0


@dataclass(frozen=True)
class Visit:
    """One resident's visit, issued by ``begin_visit``: what proves who may delete what."""

    resident: str
    token: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)


class ResidentsService:
    name = "residents"

    def __init__(self, cfg: Config, layout: DataLayout | None = None,
                 store: StoreService | None = None, post: Post = post_inline,
                 clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self.layout = layout or data_layout(cfg)
        self.store = store
        self.post = post
        self.key: CommunityKey | None = None
        self.error = ""
        self.fetch_profile: FetchProfile | None = None
        """Set by the app's build: asks the server for a profile (code sign-in elsewhere)."""
        self.on_saved: Callable[[], None] | None = None
        """Called after a profile, consent or erasure was stored (e.g. sync now)."""
        r = cfg.residents
        self.limiter = PinLimiter(self.layout.residents / "pin-limits.json", tries=r.pin_tries,
                                  lock_s=r.pin_lock_s, keypad_tries=r.keypad_tries, clock=clock)
        self.book = ProfileBook(self.layout.residents / "profiles.json")
        self._visit: Visit | None = None
        self._lock = threading.Lock()

    # -- service life ---------------------------------------------------------------------
    def start(self) -> None:
        if self.key is None:
            try:
                self.key = load_community_key(self.cfg.residents.community_key,
                                              self.layout.community_key)
            except (CommunityKeyError, OSError) as exc:
                self.error = str(exc)
                log.error("card and code logins are off: %s", exc)
            else:
                log.info("%s", self.key.describe())
        store = self.store
        if store is not None and store.available:
            try:
                own = store.store.get_many(
                    e.uuid for e in store.store.entries_of_kind("resident_profile"))
                self.book.add_local(p for p in own if isinstance(p, ResidentProfile))
            except Exception as exc:  # noqa: BLE001 - a bad store must not stop sign-ins
                log.error("residents' profiles could not be read from the store: %s", exc)

    def stop(self) -> None:
        pass

    @property
    def card_logins(self) -> bool:
        return self.key is not None

    # -- identities ----------------------------------------------------------------------
    def card_login(self, card_id: str) -> str | None:
        """The resident's pseudonym for a tapped card, or None while card logins are off."""
        if self.key is None:
            return None
        return card_pseudonym(card_id, self.key)

    def new_code(self) -> tuple[str, str] | None:
        """A fresh number code and its pseudonym (nothing is stored until consent), or None
        while sign-ins are off."""
        key = self.key
        if key is None:
            return None
        code = new_code(key, self.book.known)
        return code, code_pseudonym(code, key)

    def code_login(self, code_text: str, pin: str) -> CodeLogin:
        """Check a number code and PIN (blocks: scrypt, maybe a question to the server; run
        it off the UI thread, see ``code_login_async``)."""
        key = self.key
        if key is None:
            return CodeLogin(CodeOutcome.OFF)
        code = normalise_code(code_text)
        if code is None:
            return CodeLogin(CodeOutcome.NOT_A_CODE)
        resident = code_pseudonym(code, key)
        locked = self.limiter.locked_for(resident)
        if locked > 0:
            return CodeLogin(CodeOutcome.LOCKED, resident, locked)
        profile = self.book.get(resident)
        if (profile is None or profile.pin_hash is None) and self.fetch_profile is not None:
            try:
                fetched = self.fetch_profile(resident)
            except Exception as exc:  # noqa: BLE001 - offline: say the code is not known here
                log.info("profile of a number code not fetched: %s", exc)
                fetched = None
            if fetched is not None:
                self.book.add_remote(fetched)
                profile = self.book.get(resident)
        if profile is None or profile.pin_hash is None:
            return CodeLogin(CodeOutcome.UNKNOWN, resident)
        if verify_pin(pin, profile.pin_hash):
            self.limiter.succeeded(resident)
            return CodeLogin(CodeOutcome.SIGNED_IN, resident)
        locked = self.limiter.failed(resident)
        return CodeLogin(CodeOutcome.LOCKED if locked > 0 else CodeOutcome.WRONG_PIN,
                         resident, locked)

    def code_login_async(self, code_text: str, pin: str,
                         on_done: Callable[[CodeLogin], None]) -> threading.Thread:
        """``code_login`` on a thread; ``on_done`` runs through ``post`` (the UI thread)."""
        def job() -> None:
            try:
                result = self.code_login(code_text, pin)
            except Exception:  # noqa: BLE001 - a crash must not leave the resident waiting
                log.exception("number-code sign-in failed")
                result = CodeLogin(CodeOutcome.UNKNOWN)
            self.post(lambda: on_done(result))

        thread = threading.Thread(target=job, name="code-login", daemon=True)
        thread.start()
        return thread

    # -- profiles and consent -----------------------------------------------------------------
    def profile(self, resident: str) -> ResidentProfile | None:
        return self.book.get(resident) if resident else None

    def needs_consent(self, resident: str) -> bool:
        profile = self.profile(resident)
        return profile is None or profile.consent_version != CONSENT_VERSION

    def accept_consent(self, resident: str, lang: str, large_text: bool,
                       pin: str | None = None,
                       on_done: Callable[[BaseException | None], None] | None = None
                       ) -> ResidentProfile:
        """The resident accepted: store the consent (with its version) and their profile
        (with the PIN's hash for a new number code). Saved on the store's thread."""
        if pin is not None and pin_problem(pin):
            raise ValueError(pin_problem(pin))
        now = datetime.now(UTC)
        old = self.profile(resident)
        profile = ResidentProfile(
            kiosk_id=self.cfg.kiosk.id, resident=resident,
            age_group=old.age_group if old else None, sex=old.sex if old else None,
            language=_language(lang),
            large_text=large_text,
            pin_hash=hash_pin(pin) if pin is not None else (old.pin_hash if old else None),
            consent_version=CONSENT_VERSION, updated_at=now, utc_offset_min=_offset_min())
        consent = Consent(kiosk_id=self.cfg.kiosk.id, resident=resident, version=CONSENT_VERSION,
                          decided_at=now, utc_offset_min=_offset_min())
        self.book.add_local([profile])
        self._save([consent, profile], on_done)
        log.info("a resident gave consent (version %s)", CONSENT_VERSION)
        return profile

    def update_profile(self, resident: str, *, age_group: AgeGroup | None = None,
                       sex: Sex | None = None, language: str | None = None,
                       large_text: bool | None = None, nickname: str | None = None,
                       team: str | None = None, clear: tuple[str, ...] = (),
                       on_done: Callable[[BaseException | None], None] | None = None
                       ) -> ResidentProfile | None:
        """Change what a resident (who gave consent) chose to tell; None for anyone else."""
        old = self.profile(resident)
        if old is None or old.consent_version is None:
            return None
        changes: dict[str, object] = {"kiosk_id": self.cfg.kiosk.id,
                                      "updated_at": datetime.now(UTC),
                                      "utc_offset_min": _offset_min()}
        if age_group is not None:
            changes["age_group"] = age_group
        if sex is not None:
            changes["sex"] = sex
        if language in ("zh_CN", "en"):
            changes["language"] = language
        if large_text is not None:
            changes["large_text"] = large_text
        if nickname is not None:
            changes["nickname"] = nickname
        if team is not None:
            changes["team"] = team
        for name in clear:
            if name in ("age_group", "sex", "nickname", "team"):
                changes[name] = None
        profile = ResidentProfile.model_validate(
            old.model_dump() | changes | {"uuid": uuid.uuid4()})
        if profile.model_dump(exclude={"uuid", "updated_at", "kiosk_id", "utc_offset_min"}) == \
                old.model_dump(exclude={"uuid", "updated_at", "kiosk_id", "utc_offset_min"}):
            return old
        self.book.add_local([profile])
        self._save([profile], on_done)
        return profile

    def teams(self) -> dict[str, str]:
        """resident -> the team they joined (for team challenges)."""
        return self.book.teams()

    def receive_profiles(self, profiles: list[ResidentProfile]) -> None:
        """The server's profiles of the community (from the sync thread)."""
        n = self.book.replace_remote(profiles)
        log.info("%d residents' profiles from the server", n)

    # -- visits and "Delete my data" -------------------------------------------------------
    def begin_visit(self, resident: str) -> Visit:
        visit = Visit(resident)
        with self._lock:
            self._visit = visit
        return visit

    def end_visit(self) -> None:
        with self._lock:
            self._visit = None

    @property
    def visit(self) -> Visit | None:
        with self._lock:
            return self._visit

    def delete_my_data(self, visit: Visit,
                       on_done: Callable[[int | None, BaseException | None], None]) -> None:
        """Delete the signed-in resident's records here and ask the server to delete theirs.

        ``visit`` must be the current visit (issued by ``begin_visit``) of a signed-in
        resident; anything else raises ``PermissionError`` and deletes nothing. The local
        records go at once (on the store's thread); an ``erasure_request`` is stored and
        synced, and the server deletes every record of the resident in the community.
        ``on_done(number deleted here, error)`` runs through the store's ``post``.
        """
        with self._lock:
            current = self._visit
        if (current is None or not visit.resident or visit.resident != current.resident
                or not secrets.compare_digest(visit.token, current.token)):
            raise PermissionError("only the signed-in resident's own data can be deleted")
        store = self.store
        if store is None or not store.available:
            raise RuntimeError("the local store is not available")
        resident = visit.resident
        erasure = ErasureRequest(kiosk_id=self.cfg.kiosk.id, resident=resident,
                                 requested_at=datetime.now(UTC), utc_offset_min=_offset_min())

        def job(st: Store) -> int:
            n = st.delete_resident(resident, keep_kinds=("erasure_request",))
            st.save(erasure)
            return n

        self.book.forget(resident)
        log.info("a resident asked to delete their data")

        def done(n: int | None, err: BaseException | None) -> None:
            if err is None and self.on_saved is not None:
                self.on_saved()
            on_done(n, err)

        store.query_async(job, done)

    # -- internals ------------------------------------------------------------------------------
    def _save(self, records: list[Record],
              on_done: Callable[[BaseException | None], None] | None) -> None:
        store = self.store
        if store is None or not store.available:
            log.error("a resident's %s could not be saved: no store",
                      "/".join(r.kind for r in records))
            if on_done is not None:
                on_done(RuntimeError("the local store is not available"))
            return
        remaining = [len(records)]
        errors: list[BaseException] = []

        def one_done(err: BaseException | None) -> None:
            if err is not None:
                errors.append(err)
            remaining[0] -= 1
            if remaining[0] == 0:
                if not errors and self.on_saved is not None:
                    self.on_saved()
                if on_done is not None:
                    on_done(errors[0] if errors else None)

        for rec in records:
            store.save_async(rec, one_done)

    def status(self) -> list[StatusRow]:
        key = self.key
        if key is None:
            return [StatusRow("residents", "community key", "error",
                              key_message(None, self.error or "not started"))]
        state: State = "warning" if key.source is KeySource.MADE_HERE else "ok"
        detail = key_message(key, "") or f"card and code logins on, {key.describe()}"
        return [
            StatusRow("residents", "community key", state, detail,
                      {"key_source": str(key.source), "fingerprint": key.fingerprint}),
            StatusRow("residents", "profiles", "ok", f"{len(self.book)} residents known here",
                      {"profiles": str(len(self.book))}),
        ]


