"""Accounts, signed session ids and login throttling, on the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sync.server.db import Database
from sync.server.tables import managers
from sync.server.web import auth

LIMITS = auth.Limits(account_max=3, address_max=5, window_s=600, lockout_s=900)
PASSWORD = "a long enough password"


@pytest.fixture
def db(web_db_url: str):  # noqa: ANN201 - fixture
    d = Database(web_db_url)
    yield d
    d.dispose()


def test_password_is_stored_as_argon2_and_verified(db: Database) -> None:
    auth.add_manager(db.engine, "li", PASSWORD, "east")
    with db.engine.connect() as conn:
        stored = conn.execute(select(managers.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    m = auth.verify_login(db.engine, "li", PASSWORD, "10.0.0.1", LIMITS, 1000.0)
    assert m == auth.Manager("li", "east", "zh_CN")
    assert (
        auth.verify_login(db.engine, "li", "wrong password!!", "10.0.0.1", LIMITS, 1001.0) is None
    )
    assert auth.verify_login(db.engine, "nobody", PASSWORD, "10.0.0.1", LIMITS, 1002.0) is None


def test_account_rules(db: Database) -> None:
    with pytest.raises(auth.AccountError, match="at least 10"):
        auth.add_manager(db.engine, "li", "short", None)
    with pytest.raises(auth.AccountError, match="too simple"):
        auth.add_manager(db.engine, "li", "aaaaaaaaaaaa", None)
    with pytest.raises(auth.AccountError, match="account name"):
        auth.add_manager(db.engine, "li wei; drop", PASSWORD, None)
    auth.add_manager(db.engine, "li", PASSWORD, None)
    with pytest.raises(auth.AccountError, match="exists"):
        auth.add_manager(db.engine, "li", PASSWORD, None)
    auth.add_manager(db.engine, "li", PASSWORD + "2", "west", reset=True)
    assert auth.list_managers(db.engine) == [auth.Manager("li", "west", "zh_CN")]


def test_wrong_passwords_lock_the_account_then_the_address(db: Database) -> None:
    auth.add_manager(db.engine, "li", PASSWORD, "east")
    auth.add_manager(db.engine, "wang", PASSWORD, "east")
    t = 5000.0
    for i in range(3):
        assert auth.locked_for(db.engine, "li", "10.0.0.1", t + i) == 0
        assert (
            auth.verify_login(db.engine, "li", "bad password 123", "10.0.0.1", LIMITS, t + i)
            is None
        )
    # the account is locked, from any address, for lockout_s
    assert auth.locked_for(db.engine, "li", "10.0.0.9", t + 10) == pytest.approx(900 - 8)
    assert auth.locked_for(db.engine, "wang", "10.0.0.9", t + 10) == 0
    assert auth.locked_for(db.engine, "li", "10.0.0.9", t + 2 + 900 + 1) == 0
    # the address: two more failures on another account reach its limit of 5
    for i in range(2):
        auth.verify_login(db.engine, "wang", "bad password 123", "10.0.0.1", LIMITS, t + 20 + i)
    assert auth.locked_for(db.engine, "wang", "10.0.0.1", t + 30) > 0
    assert auth.locked_for(db.engine, "wang", "10.0.0.2", t + 30) == 0


def test_failures_outside_the_window_do_not_add_up(db: Database) -> None:
    auth.add_manager(db.engine, "li", PASSWORD, "east")
    for i in range(6):
        auth.verify_login(
            db.engine, "li", "bad password 123", f"10.0.1.{i}", LIMITS, 1000.0 + i * 601
        )
    assert auth.locked_for(db.engine, "li", "10.0.2.1", 1000.0 + 5 * 601 + 1) == 0
    # a right password resets the account's count
    auth.verify_login(db.engine, "li", "bad password 123", "10.0.3.1", LIMITS, 9000)
    auth.verify_login(db.engine, "li", "bad password 123", "10.0.3.1", LIMITS, 9001)
    assert auth.verify_login(db.engine, "li", PASSWORD, "10.0.3.1", LIMITS, 9002) is not None
    auth.verify_login(db.engine, "li", "bad password 123", "10.0.3.1", LIMITS, 9003)
    assert auth.locked_for(db.engine, "li", "10.0.3.9", 9004) == 0


def test_sessions_expire_and_end(db: Database) -> None:
    auth.add_manager(db.engine, "li", PASSWORD, "east")
    sid = auth.create_session(db.engine, "li", "10.0.0.1", ttl_s=100, now=1000)
    found = auth.find_session(db.engine, sid, 1050)
    assert found is not None and found.manager.name == "li" and len(found.csrf) >= 32
    assert auth.find_session(db.engine, sid, 1101) is None
    sid2 = auth.create_session(db.engine, "li", "10.0.0.1", ttl_s=100, now=2000)
    auth.end_session(db.engine, sid2)
    assert auth.find_session(db.engine, sid2, 2001) is None
    # a reset password ends every session of the account
    sid3 = auth.create_session(db.engine, "li", "10.0.0.1", ttl_s=100, now=3000)
    auth.add_manager(db.engine, "li", PASSWORD, "east", reset=True)
    assert auth.find_session(db.engine, sid3, 3001) is None


def test_signed_values_refuse_tampering(db: Database) -> None:
    key = auth.signing_key(db.engine)
    assert auth.signing_key(db.engine) == key and len(key) == 32
    signed = auth.sign(key, "abc123")
    assert auth.unsign(key, signed) == "abc123"
    for bad in (
        signed[:-1] + ("A" if signed[-1] != "A" else "B"),
        "abc124." + signed.split(".")[1],
        "abc123",
        "",
        "x" * 500,
        "é." + signed.split(".")[1],
    ):
        assert auth.unsign(key, bad) is None
    assert auth.unsign(b"another key".ljust(32, b"!"), signed) is None
