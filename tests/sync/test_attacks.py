"""The server attack suite (issue 10), on SQLite and PostgreSQL: never a 5xx, the rest stored.

Every body that once gave a 500 is posted beside a valid record: the bad one
is refused with a reason naming the field, the valid one is stored. Then
hypothesis generates hostile JSON (deep, wide, huge numbers, odd unicode,
NULs) in every field of a record. Memory and ``/health`` during floods are
measured on a real server process in ``test_attack_memory.py``.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.records import parse_record
from sync.server.db import Database
from tests.sync.conftest import LiveServer
from tests.sync.helpers import session

RECORDS = "/api/v1/records"
UUID = "6b1f7a3e-0d2c-4c1e-9a57-2f4e8d1c0b00"


def post_raw(
    srv: LiveServer, body: bytes, gz: bool = False, headers: dict[str, str] | None = None
) -> requests.Response:
    h = {"Content-Type": "application/json", **srv.auth(), **(headers or {})}
    if gz:
        body = gzip.compress(body)
        h["Content-Encoding"] = "gzip"
    return requests.post(srv.url + RECORDS, data=body, headers=h, timeout=60)


def beside_a_good_one(srv: LiveServer, bad: bytes, i: int = 0) -> dict[str, Any]:
    """Post ``[good, bad]`` (bad given as raw JSON text); the good one must be stored."""
    good = session(1000 + i)
    body = b'{"records":[' + json.dumps(good.to_json_dict()).encode() + b"," + bad + b"]}"
    r = post_raw(srv, body, gz=True)
    assert r.status_code < 500, r.text[:300]
    assert r.status_code == 422, (r.status_code, r.text[:300])
    answer: dict[str, Any] = r.json()
    assert answer["results"][0]["status"] == "created", answer
    assert answer["results"][1]["status"] == "rejected", answer
    assert answer["results"][1]["errors"], answer
    assert srv.db.payload(good.key, kiosk="k1") == good.to_json_dict()
    return answer


def field_of(answer: dict[str, Any]) -> str:
    return str(answer["results"][1]["errors"][0]["field"])


def with_field(name: str, raw_value: bytes) -> bytes:
    """A valid session's JSON with one field's value replaced by raw JSON text."""
    rec = session(7).to_json_dict() | {"uuid": UUID}
    rec[name] = "@@"
    return json.dumps(rec).encode().replace(b'"@@"', raw_value)


# --- the bodies of issue 10, item 1 -------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (b'{"kind": []}', "kind"),
        (b'{"kind": {}}', "kind"),
        (with_field("repetitions", b"9" * 5000), "repetitions"),
        (with_field("duration_s", b"9" * 5000), "duration_s"),
        (with_field("utc_offset_min", b"-" + b"1" * 400), "utc_offset_min"),
        (with_field("duration_s", b"1e999"), "duration_s"),
        (with_field("duration_s", b"NaN"), "duration_s"),
        (with_field("started_at", b'"9999-12-31T23:00:00-05:00"'), "started_at"),
        (with_field("started_at", b'"0001-01-01T00:00:00+05:00"'), "started_at"),
        (with_field("ended_at", b'"9999-12-31T23:59:59Z"'), "ended_at"),
        (with_field("rep_flags", b"[" * 100_000 + b"]" * 100_000), "<record>"),
        (with_field("heart_rate", b'{"a":' * 5000 + b"1" + b"}" * 5000), "<record>"),
        (with_field("rep_flags", b"[" * 500 + b"]" * 500), "rep_flags"),
        (with_field("resident", b'"a\\u0000b"'), "resident"),
        (with_field("resident", b'"\\ud800"'), "resident"),
        (with_field("exercise", b'"' + b"x" * 60_000 + b'"'), "exercise"),
        (with_field("repetitions", b'"3"'), "repetitions"),
        (with_field("repetitions", b"true"), "repetitions"),
        (with_field("completed", b"1"), "completed"),
        (with_field("kiosk_id", b'"\\u793e\\u533a 1\\u53f7"'), "kiosk_id"),
        (json.dumps({k: v for k, v in session(3).to_json_dict().items() if k != "uuid"}).encode(),
         "uuid"),
    ],
    ids=lambda v: v.decode(errors="replace")[:24] if isinstance(v, bytes) else str(v),
)
def test_each_known_attack_is_refused_alone(
    live_server: LiveServer, bad: bytes, field: str
) -> None:
    answer = beside_a_good_one(live_server, bad)
    assert field_of(answer).startswith(field), answer["results"][1]
    assert live_server.db.count_records() == 1


def test_a_version_1_record_with_an_enormous_duration_is_refused(live_server: LiveServer) -> None:
    v1 = {
        "kind": "exercise_session", "uuid": UUID, "kiosk_id": "k1", "resident": None,
        "exercise": "squat", "target": 12, "repetitions": 2, "good_repetitions": 1,
        "duration_ms": "@@", "started_at": "2025-05-01T10:00:00Z",
        "ended_at": "2025-05-01T10:00:41Z", "utc_offset_min": 480,
    }
    bad = json.dumps(v1).encode().replace(b'"@@"', b"9" * 400)
    answer = beside_a_good_one(live_server, bad)
    assert field_of(answer) == "duration_ms"
    # and as a Python int that really overflows float(): still a refusal, not a crash
    v1["duration_ms"] = 10**400
    with pytest.raises(ValueError, match="schema_version"):
        parse_record(v1)


def test_a_wrong_kiosk_id_pattern_is_422_naming_the_field(live_server: LiveServer) -> None:
    rec = session(2).to_json_dict() | {"kiosk_id": "社区 1号"}
    r = post_raw(live_server, json.dumps({"records": [rec]}).encode())
    assert r.status_code == 422, r.text
    assert r.json()["results"][0]["errors"][0]["field"] == "kiosk_id"


def test_gzip_with_trailing_garbage_is_400(live_server: LiveServer) -> None:
    body = json.dumps({"records": [session(1).to_json_dict()]}).encode()
    r = post_raw(
        live_server,
        gzip.compress(body) + b"trailing garbage",
        headers={"Content-Encoding": "gzip"},
    )
    assert r.status_code == 400 and "trailing" in r.json()["detail"]
    r = post_raw(live_server, gzip.compress(body) + gzip.compress(b"{}"),
                 headers={"Content-Encoding": "gzip"})
    assert r.status_code == 400
    assert live_server.db.count_records() == 0


def test_heartbeat_is_strict_and_capped(live_server: LiveServer) -> None:
    url = live_server.url + "/api/v1/heartbeat"
    for body in ({"kiosk_id": "k1", "waiting": "3"}, {"kiosk_id": "k1", "waiting": True},
                 {"kiosk_id": "k 1"}, {"kiosk_id": "k1", "\ud800": 1}):
        r = requests.post(url, data=json.dumps(body), headers=live_server.auth(), timeout=10)
        assert r.status_code == 422, (body, r.text)
    r = requests.post(url, data=b" " * 100_000, headers=live_server.auth(), timeout=10)
    assert r.status_code == 413


def test_the_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "server.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.add_kiosk("k1")
        for p in [path, *tmp_path.glob("new/server.db-*")]:
            assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
    finally:
        db.dispose()


def test_the_database_refusing_one_record_refuses_only_that_one(db_url: str) -> None:
    """Below the ingest checks: a row the database itself refuses (on PostgreSQL a NUL in a
    text column) is refused alone, with the database's reason; the batch's others are stored."""
    db = Database(db_url)
    try:
        db.add_kiosk("k1")
        good = [session(i) for i in range(3)]
        nul = session(9, resident="a\x00b")
        out = db.upsert("k1", [good[0], nul, *good[1:]])
        assert [out[r.key] for r in good] == ["created"] * 3
        if db.is_sqlite:  # SQLite stores a NUL; PostgreSQL cannot
            assert out[nul.key] == "created"
        else:
            assert "cannot store" in str(out[nul.key]) and "0x00" in str(out[nul.key])
            assert db.count_records() == 3
    finally:
        db.dispose()


# --- hypothesis: hostile JSON in every field --------------------------------------------

_odd_text = st.text(
    alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF),
    max_size=30,
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _odd_text
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(_odd_text, inner, max_size=6),
    max_leaves=40,
)


@st.composite
def hostile_value(draw: st.DrawFn) -> bytes:
    """Raw JSON text of a hostile value: deep, wide, huge numbers, odd unicode, NULs."""
    kind = draw(st.sampled_from(["json", "deep", "wide", "number", "text"]))
    if kind == "deep":
        n = draw(st.integers(5, 3000))
        opener = draw(st.sampled_from([b"[", b'{"a":']))
        closer = b"]" if opener == b"[" else b"}"
        return opener * n + b"0" + closer * n
    if kind == "wide":
        n = draw(st.integers(1000, 30_000))
        return b"[" + b",".join([b"[]"] * n) + b"]"
    if kind == "number":
        digits = draw(st.integers(15, 6000))
        return draw(st.sampled_from([b"", b"-"])) + b"9" * digits + draw(
            st.sampled_from([b"", b".5", b"e999", b"e-999"])
        )
    if kind == "text":
        return json.dumps(draw(_odd_text) + "\x00" + draw(_odd_text)).encode()
    value = draw(_json)
    return json.dumps(value).encode()  # NaN and Infinity appear as such


FIELDS = sorted(session(1).to_json_dict())


def test_hostile_json_never_gets_a_5xx_and_the_valid_record_is_stored(
    live_server: LiveServer,
) -> None:
    seen = {"calls": 0}

    @given(field=st.sampled_from([*FIELDS, "<record>", "<extra>"]), value=hostile_value())
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def attack(field: str, value: bytes) -> None:
        seen["calls"] += 1
        good = session(5000 + seen["calls"])
        if field == "<record>":
            bad = value
        elif field == "<extra>":
            bad = with_field("x", value)
        else:
            bad = with_field(field, value)
        body = (b'{"records":[' + json.dumps(good.to_json_dict()).encode() + b"," + bad + b"]}")
        r = post_raw(live_server, body, gz=True)
        assert r.status_code < 500, r.text[:300]
        if r.status_code in (200, 422):
            assert r.json()["results"][0]["status"] == "created", r.text[:300]
            assert live_server.db.payload(good.key, kiosk="k1") is not None
        else:  # the whole body was over a size bound: refused whole, nothing stored
            assert r.status_code == 413, r.text[:300]

    attack()
    assert seen["calls"] >= 40


def test_a_huge_batch_gets_a_small_answer(live_server: LiveServer) -> None:
    """Far over the batch limit (here 500): 413 without a result per item, so the answer
    cannot be made large by sending many tiny items."""
    r = post_raw(live_server, b'{"records":[' + b",".join([b"0"] * 150_000) + b"]}", gz=True)
    assert r.status_code == 413 and r.json()["results"] == []
    assert "150000 records" in r.json()["detail"] and len(r.content) < 1000


def test_an_unsupported_encoding_is_refused_before_the_body(live_server: LiveServer) -> None:
    r = post_raw(live_server, b"x" * 1000, headers={"Content-Encoding": "br"})
    assert r.status_code == 415 and r.headers.get("connection") == "close"
