"""The ingest API on a real server (SQLite and PostgreSQL): idempotent upserts, auth, bad input."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import requests

from sync.records import SCHEMA_VERSION
from sync.server.db import Database, hash_token
from tests.sync.conftest import LiveServer
from tests.sync.helpers import REPO, one_of_each, session

RECORDS = "/api/v1/records"


def post(
    srv: LiveServer,
    body: object = None,
    kiosk: str = "k1",
    gz: bool = False,
    raw: bytes | None = None,
    headers: dict | None = None,
) -> requests.Response:
    data = raw if raw is not None else json.dumps(body).encode()
    h = {"Content-Type": "application/json", **srv.auth(kiosk), **(headers or {})}
    if gz:
        data = gzip.compress(data)
        h["Content-Encoding"] = "gzip"
    return requests.post(srv.url + RECORDS, data=data, headers=h, timeout=30)


def wire(recs: list) -> dict:
    return {"records": [r.to_json_dict() for r in recs]}


def test_batch_is_stored_once_and_retries_are_idempotent(live_server: LiveServer) -> None:
    recs = one_of_each() + [session(i) for i in range(10, 60)]
    r = post(live_server, wire(recs), gz=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == len(recs) and body["rejected"] == 0
    assert [x["uuid"] for x in body["results"]] == [x.key for x in recs]
    assert {x["status"] for x in body["results"]} == {"created"}
    for _ in range(2):  # a retried POST (e.g. the first response was lost)
        r = post(live_server, wire(recs))
        assert r.status_code == 200
        assert {x["status"] for x in r.json()["results"]} == {"unchanged"}
    assert live_server.db.count_records() == len(recs)
    assert sorted(live_server.db.uuids()) == sorted(x.key for x in recs)
    stored = live_server.db.payload(recs[1].key)
    assert stored == recs[1].to_json_dict()


def test_changed_record_is_updated_not_duplicated(live_server: LiveServer) -> None:
    partial = session(5, completed=False)
    assert post(live_server, wire([partial])).json()["results"][0]["status"] == "created"
    final = partial.model_copy(update={"completed": True})
    assert post(live_server, wire([final, final])).json()["results"][0]["status"] == "updated"
    assert live_server.db.count_records() == 1
    assert live_server.db.payload(partial.key)["completed"] is True


def test_per_record_errors_and_the_valid_rest_is_kept(live_server: LiveServer) -> None:
    good = session(1)
    wrong_type = session(2).to_json_dict() | {"repetitions": "many"}
    missing = {"kind": "feedback", "kiosk_id": "k1", "uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}
    items = [good.to_json_dict(), wrong_type, missing, 42, {"kind": "alien"}]
    r = post(live_server, {"records": items})
    assert r.status_code == 422
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"] == 4
    res = body["results"]
    assert res[0]["status"] == "created"
    assert res[1]["status"] == "rejected" and res[1]["uuid"] == wrong_type["uuid"]
    assert res[1]["errors"][0]["field"] == "repetitions"
    assert {e["field"] for e in res[2]["errors"]} >= {"rating", "created_at"}
    assert "JSON object" in res[3]["errors"][0]["message"]
    assert res[4]["errors"][0]["field"] == "kind"
    assert live_server.db.count_records() == 1


def test_a_kiosk_can_only_write_its_own_records(live_server: LiveServer) -> None:
    theirs = session(1, kiosk="k2")
    r = post(live_server, wire([theirs]), kiosk="k1")
    assert r.status_code == 403
    assert r.json()["results"][0]["errors"][0]["field"] == "kiosk_id"
    assert post(live_server, wire([theirs]), kiosk="k2").status_code == 200
    # The same uuid sent by another kiosk is that kiosk's own record: k2's is untouched and
    # k1's answer is exactly the one for a uuid nobody used (nothing tells k1 it exists).
    stolen = theirs.model_copy(update={"kiosk_id": "k1", "completed": not theirs.completed})
    fresh = session(2, kiosk="k1")
    r = post(live_server, wire([stolen, fresh]), kiosk="k1")
    assert r.status_code == 200
    assert [x["status"] for x in r.json()["results"]] == ["created", "created"]
    assert live_server.db.payload(theirs.key, kiosk="k2") == theirs.to_json_dict()
    assert live_server.db.payload(theirs.key, kiosk="k1") == stolen.to_json_dict()
    assert live_server.db.count_records("k2") == 1


def test_every_write_endpoint_needs_a_valid_token(live_server: LiveServer) -> None:
    url = live_server.url
    body = json.dumps(wire([session(1)]))
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ):
        r = requests.post(url + RECORDS, data=body, headers=headers, timeout=10)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["detail"]
        r = requests.post(
            url + "/api/v1/heartbeat", json={"kiosk_id": "k1"}, headers=headers, timeout=10
        )
        assert r.status_code == 401
    assert live_server.db.count_records() == 0


def test_unreadable_bodies_get_a_clear_4xx(live_server: LiveServer) -> None:
    cases = [
        (dict(raw=b"{not json"), 400, "not valid JSON"),
        (dict(raw=b"\xff\xfe\x00"), 400, "not valid JSON"),
        (dict(raw=b"[1,2]"), 422, "records"),
        (dict(body={"records": "x"}), 422, "records"),
        (dict(body={"records": [], "extra": 1}), 422, "extra"),
        (dict(raw=b"not gzip", headers={"Content-Encoding": "gzip"}), 400, "gzip"),
        (dict(raw=b"{}", headers={"Content-Encoding": "br"}), 415, "br"),
        (dict(raw=b"x" * 2_100_000), 413, "limit"),
        (
            dict(
                raw=gzip.compress(b'{"records":[' + (b'"' + b"a" * 1000 + b'",') * 5000 + b"1]}"),
                headers={"Content-Encoding": "gzip"},
            ),
            413,
            "inflates",
        ),
        (
            dict(raw=gzip.compress(b" " * 5_000_000), headers={"Content-Encoding": "gzip"}),
            413,
            "without a quote or bracket",
        ),
        (dict(body={"records": [session(i).to_json_dict() for i in range(501)]}), 413, "501"),
    ]
    for kwargs, code, words in cases:
        r = post(live_server, **kwargs)
        assert r.status_code == code, (kwargs.get("headers"), r.status_code, r.text[:200])
        assert words in r.json()["detail"], r.json()
    over = post(live_server, {"records": [session(i).to_json_dict() for i in range(501)]}).json()
    assert len(over["results"]) == 501 and over["results"][7]["status"] == "rejected"
    assert "over the limit of 500" in over["results"][7]["errors"][0]["message"]
    assert live_server.db.count_records() == 0


def test_heartbeat_health_and_openapi(live_server: LiveServer) -> None:
    url = live_server.url
    r = requests.post(
        url + "/api/v1/heartbeat",
        json={"kiosk_id": "k1", "waiting": 3},
        headers=live_server.auth(),
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["kiosk_id"] == "k1"
    r = requests.post(
        url + "/api/v1/heartbeat", json={"kiosk_id": "k2"}, headers=live_server.auth(), timeout=10
    )
    assert r.status_code == 403
    r = requests.post(
        url + "/api/v1/heartbeat",
        json={"kiosk_id": "k1", "waiting": -1},
        headers=live_server.auth(),
        timeout=10,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("waiting")
    seen = {k["name"]: k["last_seen_at"] for k in live_server.db.list_kiosks()}
    assert seen["k1"] and not seen["k2"]
    assert requests.get(url + "/api/v1/health", timeout=10).json()["status"] == "ok"
    spec = requests.get(url + "/openapi.json", timeout=10).json()
    assert {"/api/v1/records", "/api/v1/heartbeat", "/api/v1/health"} <= set(spec["paths"])
    assert "ExerciseSession" in spec["components"]["schemas"]


def test_add_kiosk_prints_a_token_once_and_stores_only_its_hash(db_url: str) -> None:
    cmd = [sys.executable, "-m", "sync.server.cli", "add-kiosk", "hall-3", "--db", db_url]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=True).stdout
    token = out.splitlines()[1].strip()
    assert len(token) >= 40
    db = Database(db_url)
    try:
        assert db.kiosk_for_token(token) == "hall-3"
        with db.engine.connect() as conn:
            rows = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM kiosks")]
        assert token not in repr(rows) and hash_token(token) in repr(rows)
    finally:
        db.dispose()
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert again.returncode == 1 and "already exists" in again.stderr
    for name in ("bad name!", "ｋｉｏｓｋ", "社区1号", "_x", "k" * 65, ""):
        bad = subprocess.run(
            cmd[:4] + [name, "--db", db_url], capture_output=True, text=True, cwd=REPO
        )
        assert bad.returncode == 2, (name, bad.stderr)
        assert bad.stderr.startswith("error: kiosk id"), bad.stderr
        assert "Traceback" not in bad.stderr
    assert [k["name"] for k in Database(db_url).list_kiosks()] == ["hall-3"]
    north = subprocess.run(
        cmd[:4] + ["hall-4", "--community", "north-park", "--db", db_url],
        capture_output=True, text=True, cwd=REPO,
    )
    assert north.returncode == 0 and "north-park" in north.stdout, north.stderr
    listed = subprocess.run(
        cmd[:3] + ["list-kiosks", "--db", db_url], capture_output=True, text=True, cwd=REPO
    )
    assert "north-park" in listed.stdout and "default" in listed.stdout
    assert {k["name"]: k["community"] for k in Database(db_url).list_kiosks()} == {
        "hall-3": "default",
        "hall-4": "north-park",
    }


def test_dev_server_enrols_the_local_kiosk(tmp_path: Path) -> None:
    from sync.server.dev import start_local_server
    from tests.sync.helpers import free_port

    srv = start_local_server(tmp_path, port=free_port())
    try:
        assert (tmp_path / "sync-token").read_text().strip() == srv.token
        r = requests.post(
            srv.url + RECORDS,
            json=wire([session(1, kiosk="kiosk-local")]),
            headers={"Authorization": f"Bearer {srv.token}"},
            timeout=10,
        )
        assert r.status_code == 200
    finally:
        srv.stop()
    srv2 = start_local_server(tmp_path, port=free_port())  # restarts reuse the token
    try:
        assert srv2.token == srv.token
    finally:
        srv2.stop()


def test_version_2_records_from_an_old_kiosk_are_stored_at_the_current_version(
    live_server: LiveServer,
) -> None:
    from sqlalchemy import select

    from sync.server.tables import records
    from tests.sync.helpers import v2_session_dict

    old = [v2_session_dict(i, hold=i % 2 == 0) for i in range(1, 5)]
    r = post(live_server, {"records": old}, gz=True)
    assert r.status_code == 200, r.text
    with live_server.db.engine.connect() as conn:
        rows = {
            row.uuid: row
            for row in conn.execute(
                select(records.c.uuid, records.c.schema_version, records.c.value,
                       records.c.unit, records.c.local_day, records.c.payload)
            )
        }
    assert len(rows) == 4
    for d in old:
        row = rows[str(d["uuid"])]
        hold = d["target"] == {"kind": "seconds", "value": 30}
        assert row.schema_version == SCHEMA_VERSION
        assert (row.value, row.unit) == ((25.0, "s") if hold else (float(d["repetitions"]), "reps"))
        assert str(row.local_day) == "2026-10-01"
        payload = json.loads(row.payload)
        assert payload["activity"] == ("hold" if hold else "reps")
    # the kiosk, once upgraded, re-sends the same records at the current version: recognised,
    # not duplicated
    from sync.records import parse_record

    again = post(live_server, {"records": [parse_record(d).to_json_dict() for d in old]})
    assert {x["status"] for x in again.json()["results"]} == {"unchanged"}


def test_version_3_lesson_progress_and_sessions_are_stored_at_the_current_version(
    live_server: LiveServer,
) -> None:
    """A kiosk still on version 3 keeps syncing; its records get today's typed columns,
    and a version-4 record with the new lesson fields lands next to them."""
    from sqlalchemy import select

    from sync.records import LessonProgress, parse_record
    from sync.server.tables import records
    from tests.sync.helpers import v3_lesson_progress_dict, v3_session_dict

    old = [v3_lesson_progress_dict(i) for i in range(1, 4)] + [v3_session_dict(1)]
    new = next(r for r in one_of_each() if isinstance(r, LessonProgress))
    r = post(live_server, {"records": [*old, new.to_json_dict()]}, gz=True)
    assert r.status_code == 200, r.text
    assert {x["status"] for x in r.json()["results"]} == {"created"}
    with live_server.db.engine.connect() as conn:
        rows = {
            row.uuid: row
            for row in conn.execute(
                select(records.c.uuid, records.c.kind, records.c.schema_version,
                       records.c.value, records.c.unit, records.c.local_day, records.c.payload)
            )
        }
    for d in old:
        row = rows[str(d["uuid"])]
        assert row.schema_version == SCHEMA_VERSION
        rec = parse_record(json.loads(row.payload))
        assert (row.value, row.unit) == rec.measure()
        if d["kind"] == "lesson_progress":
            assert (row.value, row.unit) == (d["progress"], "ratio")
            assert str(row.local_day) == "2026-11-05"
            assert isinstance(rec, LessonProgress) and rec.step is None and rec.answers == []
    stored = parse_record(json.loads(rows[new.key].payload))
    assert stored == new
    assert isinstance(stored, LessonProgress) and stored.score == 1 and stored.practice[0].completed
