"""Manager accounts, login sessions and login throttling (no web framework here).

Why this module exists: the pages show a community's activity to its
managers only. Accounts are made on the command line (``kiosk-server
add-user``); passwords are hashed with Argon2id (argon2-cffi). A login makes a
server-side session: a random id whose SHA-256 is stored with the manager, a
CSRF token and an expiry; the browser holds the id in a cookie signed with a
server secret (HMAC-SHA256), so logout and expiry take effect at once and a
forged or altered cookie is refused before any database lookup.

Wrong passwords are counted per account and per client address in a fixed
window; past the limit the account (or address) is locked for a while and
the password is not even checked. Unknown account names cost the same
Argon2 work as known ones, so timing does not tell which exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, case, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sync.server.tables import login_failures, manager_sessions, managers, server_secrets

LANGUAGES = ("zh_CN", "en")
MIN_PASSWORD = 10
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")

_hasher = PasswordHasher()
"""Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, 64 MiB)."""
_dummy_hash: str | None = None


def set_hash_cost(time_cost: int, memory_kib: int) -> None:
    """Change the Argon2 cost of new hashes (tests use a cheap one; stored hashes keep theirs)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _dummy_hash = None


def _dummy() -> str:
    """A hash to check unknown names against, so they cost as much as known ones."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a real password, only spends the same time")
    return _dummy_hash


class AccountError(ValueError):
    """A bad account name, password or community (the message says which)."""


@dataclass(frozen=True)
class Manager:
    name: str
    community: str | None
    """None for a district manager (every community)."""
    language: str

    @property
    def is_district(self) -> bool:
        return self.community is None

    def may_see(self, community: str) -> bool:
        return self.community is None or self.community == community


@dataclass(frozen=True)
class LoginSession:
    manager: Manager
    csrf: str
    expires_at: float


def check_name(name: str) -> str:
    if not (1 <= len(name) <= 64) or not set(name) <= NAME_CHARS:
        raise AccountError(
            f"account name {name!r} must be 1-64 letters, digits, '.', '_', '-' or '@'"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("the password must have at most 1024 characters")
    if len(set(password)) < 4:
        raise AccountError("the password is too simple (fewer than 4 different characters)")
    return password


def add_manager(
    engine: Engine,
    name: str,
    password: str,
    community: str | None,
    *,
    language: str = "zh_CN",
    reset: bool = False,
) -> Manager:
    """Create an account (or with ``reset`` change its password, scope and language)."""
    check_name(name)
    check_password(password)
    if community is not None and not (1 <= len(community) <= 64):
        raise AccountError("the community name must have 1-64 characters")
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    values = {
        "password_hash": _hasher.hash(password),
        "community": community,
        "language": language,
        "disabled": False,
    }
    with engine.begin() as conn:
        exists = conn.execute(select(managers.c.name).where(managers.c.name == name)).first()
        if exists and not reset:
            raise AccountError(f"account {name!r} exists; use --reset to change it")
        if exists:
            conn.execute(update(managers).where(managers.c.name == name).values(**values))
            conn.execute(delete(manager_sessions).where(manager_sessions.c.manager == name))
        else:
            conn.execute(managers.insert().values(name=name, created_at=time.time(), **values))
    return Manager(name, community, language)


def list_managers(engine: Engine) -> list[Manager]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(managers.c.name, managers.c.community, managers.c.language).order_by(
                managers.c.name
            )
        ).all()
    return [Manager(r[0], r[1], r[2]) for r in rows]


def set_language(engine: Engine, name: str, language: str) -> None:
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    with engine.begin() as conn:
        conn.execute(update(managers).where(managers.c.name == name).values(language=language))


# --- the signing secret ---------------------------------------------------------------


def signing_key(engine: Engine) -> bytes:
    """The server's cookie-signing secret, made once and shared by every server process."""
    with engine.begin() as conn:
        row = conn.execute(
            select(server_secrets.c.value).where(server_secrets.c.name == "session_key")
        ).first()
        if row is not None:
            return bytes.fromhex(row[0])
    value = secrets.token_hex(32)
    try:
        with engine.begin() as conn:
            conn.execute(server_secrets.insert().values(name="session_key", value=value))
    except IntegrityError:  # another process made it first
        return signing_key(engine)
    return bytes.fromhex(value)


def _sig(key: bytes, value: str) -> str:
    mac = hmac.new(key, value.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def sign(key: bytes, value: str) -> str:
    return f"{value}.{_sig(key, value)}"


def unsign(key: bytes, signed: str) -> str | None:
    """The value of a signed cookie, or None if it was altered or is malformed."""
    if not signed or len(signed) > 200 or not signed.isascii():
        return None
    value, _, sig = signed.rpartition(".")
    if not value or not hmac.compare_digest(sig, _sig(key, value)):
        return None
    return value


def _hash_id(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


# --- sessions -------------------------------------------------------------------------


def create_session(engine: Engine, manager: str, address: str, ttl_s: float, now: float) -> str:
    """A new login session; returns its id (for the cookie; only its hash is stored)."""
    sid = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(manager_sessions).where(manager_sessions.c.expires_at < now))
        conn.execute(
            manager_sessions.insert().values(
                id_hash=_hash_id(sid),
                manager=manager,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + ttl_s,
                address=address[:64],
            )
        )
    return sid


def find_session(engine: Engine, sid: str, now: float) -> LoginSession | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                managers.c.name,
                managers.c.community,
                managers.c.language,
                manager_sessions.c.csrf,
                manager_sessions.c.expires_at,
            )
            .select_from(manager_sessions.join(managers))
            .where(manager_sessions.c.id_hash == _hash_id(sid))
            .where(manager_sessions.c.expires_at > now)
            .where(managers.c.disabled.is_(False))
        ).first()
    if row is None:
        return None
    return LoginSession(Manager(row[0], row[1], row[2]), row[3], float(row[4]))


def end_session(engine: Engine, sid: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(manager_sessions).where(manager_sessions.c.id_hash == _hash_id(sid)))


# --- passwords and throttling ---------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    account_max: int
    address_max: int
    window_s: float
    lockout_s: float


def _keys(name: str, address: str) -> list[tuple[str, str]]:
    return [("account", f"account:{name[:100]}"), ("address", f"address:{address[:64]}")]


def locked_for(engine: Engine, name: str, address: str, now: float) -> float:
    """Seconds until this account and address may try again (0 if they may now)."""
    keys = [k for _, k in _keys(name, address)]
    with engine.connect() as conn:
        rows = conn.execute(
            select(login_failures.c.locked_until).where(login_failures.c.key.in_(keys))
        ).all()
    return max([0.0] + [float(r[0]) - now for r in rows])


def _record_failure(conn: Connection, kind: str, key: str, limits: Limits, now: float) -> None:
    limit = limits.account_max if kind == "account" else limits.address_max
    c = login_failures.c
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(login_failures)
    expired = (literal(now) - c.window_start) > limits.window_s
    values = ins.values(key=key, window_start=now, failures=1, locked_until=0.0)
    stmt = values.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": case((expired, 1), else_=c.failures + 1),
            "window_start": case((expired, now), else_=c.window_start),
        },
    ).returning(c.failures)
    failures = int(conn.execute(stmt).scalar_one())
    if failures >= limit:
        conn.execute(
            update(login_failures).where(c.key == key).values(locked_until=now + limits.lockout_s)
        )


def verify_login(
    engine: Engine, name: str, password: str, address: str, limits: Limits, now: float
) -> Manager | None:
    """The manager if the password is right; counts a failure (and locks) if not.

    The caller checks :func:`locked_for` first and refuses without calling this.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(
                managers.c.name,
                managers.c.password_hash,
                managers.c.community,
                managers.c.language,
                managers.c.disabled,
            ).where(managers.c.name == name[:64])
        ).first()
    stored = row[1] if row is not None and not row[4] else _dummy()
    try:
        ok = _hasher.verify(stored, password[:1024]) and row is not None and not row[4]
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        with engine.begin() as conn:
            for kind, key in _keys(name, address):
                _record_failure(conn, kind, key, limits, now)
        return None
    with engine.begin() as conn:
        conn.execute(
            delete(login_failures).where(login_failures.c.key == _keys(name, address)[0][1])
        )
        if _hasher.check_needs_rehash(row[1]):
            conn.execute(
                update(managers)
                .where(managers.c.name == row[0])
                .values(password_hash=_hasher.hash(password))
            )
    return Manager(row[0], row[2], row[3])
