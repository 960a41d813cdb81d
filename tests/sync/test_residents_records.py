"""Residents' records (schema 4): profiles, consent, erasure; the store's resident index and
deletion; the server carrying out "Delete my data" and sending profiles back (real server)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from sync.api import PROFILES_PATH
from sync.records import (
    SCHEMA_VERSION,
    Consent,
    ErasureRequest,
    FitnessTestResult,
    RecordError,
    ResidentProfile,
    parse_record,
)
from sync.store import Store
from tests.sync.conftest import LiveServer
from tests.sync.helpers import session

RECORDS = "/api/v1/records"
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
ANNA = "card-" + "a" * 32
BEN = "card-" + "b" * 32


def profile(resident: str = ANNA, kiosk: str = "k1", at: datetime = T0,
            **over: object) -> ResidentProfile:
    fields: dict[str, object] = dict(kiosk_id=kiosk, resident=resident, age_group="70-74",
                                     sex="female", language="en", large_text=True,
                                     consent_version="1", updated_at=at, utc_offset_min=480)
    fields.update(over)
    return ResidentProfile(**fields)  # type: ignore[arg-type]


def stand_result(resident: str, i: int, kiosk: str = "k1", at: datetime = T0) -> FitnessTestResult:
    return FitnessTestResult(kiosk_id=kiosk, resident=resident, test="chair_stand_30s",
                             value=10 + i % 8, unit="reps",
                             measured_at=at + timedelta(days=i), utc_offset_min=480,
                             device="camera", age_group="70-74", sex="female")


def test_resident_kinds_round_trip_and_refuse_guests() -> None:
    recs = [profile(pin_hash="scrypt$16384$8$1$" + "0" * 32 + "$" + "f" * 64),
            Consent(kiosk_id="k1", resident=ANNA, version="1", decided_at=T0,
                    utc_offset_min=480),
            ErasureRequest(kiosk_id="k1", resident=ANNA, requested_at=T0, utc_offset_min=480),
            stand_result(ANNA, 0)]
    for rec in recs:
        wire = json.loads(json.dumps(rec.to_json_dict()))
        assert wire["schema_version"] == SCHEMA_VERSION == 4
        assert parse_record(wire) == rec
    for bad in ({"resident": "guest"}, {"pin_hash": "1234"}, {"age_group": "71"},
                {"sex": "other"}):
        with pytest.raises(RecordError):
            parse_record(profile().to_json_dict() | bad)
    with pytest.raises(RecordError):
        parse_record(recs[1].to_json_dict() | {"accepted": False})  # a refusal is not stored


def test_a_version_3_fitness_test_reads_as_version_4() -> None:
    v3 = {"schema_version": 3, "uuid": str(uuid.uuid4()), "kind": "fitness_test",
          "kiosk_id": "k1", "resident": ANNA, "test": "grip_strength", "value": 31.5,
          "unit": "kg", "measured_at": "2026-01-01T08:00:00Z", "utc_offset_min": 480,
          "device": "station"}
    rec = parse_record(v3)
    assert isinstance(rec, FitnessTestResult)
    assert rec.schema_version == 4 and rec.age_group is None and rec.side is None


def test_store_index_follows_saves_deletes_and_reopen(tmp_path: Path) -> None:
    with Store(tmp_path, segment_size=16) as st:
        st.save_many([stand_result(ANNA, i) for i in range(30)] + [stand_result(BEN, i) for i in range(20)]
                     + [session(i, resident=ANNA) for i in range(5)] + [profile()])
        anna = st.entries(ANNA)
        assert len(anna) == 36 and [e.ts for e in anna] == sorted(e.ts for e in anna)
        assert {e.kind for e in anna} == {"fitness_test", "exercise_session", "resident_profile"}
        assert len(st.entries(ANNA, kinds=["fitness_test"])) == 30
        assert [e.resident for e in st.entries_of_kind("resident_profile")] == [ANNA]
        first = next(e for e in anna if e.kind == "fitness_test")
        assert first.name == "chair_stand_30s" and first.unit == "reps"
        st.mark_synced([e.uuid for e in anna[:10]])
        waiting = st.waiting()
        # "Delete my data": every record of Anna goes, synced or not, Ben's stay
        assert st.delete_resident(ANNA, keep_kinds=["erasure_request"]) == 36
        assert st.entries(ANNA) == [] and st.count() == 20
        assert st.waiting() == waiting - 26
        assert all(r.resident != ANNA for r in st.unsynced(1000))
    with Store(tmp_path, segment_size=16) as st:  # nothing of hers comes back from the disk
        assert st.entries(ANNA) == [] and len(st.entries(BEN)) == 20 and st.count() == 20
        raw = " ".join(p.read_text() for p in (tmp_path / "segments").iterdir())
        assert ANNA not in raw


def post(srv: LiveServer, recs: list, kiosk: str) -> requests.Response:
    body = {"records": [r.to_json_dict() for r in recs]}
    return requests.post(srv.url + RECORDS, json=body, headers=srv.auth(kiosk), timeout=30)


def test_the_server_erases_a_resident_across_the_community_and_keeps_the_request(
        live_server: LiveServer) -> None:
    db = live_server.db
    live_server.tokens["k3"] = db.add_kiosk("k3", community="elsewhere")
    assert post(live_server, [stand_result(ANNA, i) for i in range(5)] + [stand_result(BEN, i) for i in range(3)]
                + [profile()], "k1").status_code == 200
    assert post(live_server, [stand_result(ANNA, i, kiosk="k2") for i in range(2)], "k2").status_code == 200
    assert post(live_server, [stand_result(ANNA, 0, kiosk="k3")], "k3").status_code == 200
    assert db.count_resident_records(ANNA) == 9
    asked = T0 + timedelta(days=30)
    erase = ErasureRequest(kiosk_id="k1", resident=ANNA, requested_at=asked, utc_offset_min=480)
    r = post(live_server, [erase], "k1")
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "created"
    # every record of hers in the community is gone (k1's and k2's), the request stays;
    # another community's kiosk is not touched; Ben keeps his
    assert db.count_resident_records(ANNA) == 2
    assert db.count_resident_records(ANNA, "erasure_request") == 1
    assert db.count_resident_records(ANNA, "fitness_test") == 1  # k3, another community
    assert db.count_resident_records(BEN) == 3
    # a kiosk that was offline sends an older record later: acknowledged, then deleted
    late = stand_result(ANNA, 3, kiosk="k2")
    r = post(live_server, [late], "k2")
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert db.payload(late.key) is None
    # she comes back after the deletion: her new records are kept
    new = stand_result(ANNA, 40, kiosk="k2")
    assert post(live_server, [new], "k2").status_code == 200
    assert db.payload(new.key) is not None


def test_profiles_go_back_to_every_kiosk_of_the_community_only(live_server: LiveServer) -> None:
    db = live_server.db
    live_server.tokens["k3"] = db.add_kiosk("k3", community="elsewhere")
    old = profile(at=T0, large_text=False)
    new = profile(kiosk="k2", at=T0 + timedelta(hours=1), age_group="75-79")
    assert post(live_server, [old], "k1").status_code == 200
    assert post(live_server, [new], "k2").status_code == 200
    assert post(live_server, [profile(BEN, kiosk="k1")], "k1").status_code == 200
    got = requests.get(live_server.url + PROFILES_PATH, headers=live_server.auth("k1"),
                       timeout=10)
    assert got.status_code == 200
    by_resident = {p["resident"]: parse_record(p) for p in got.json()["profiles"]}
    assert set(by_resident) == {ANNA, BEN}
    assert by_resident[ANNA] == new  # the newest wins, whichever kiosk made it
    one = requests.get(f"{live_server.url}{PROFILES_PATH}/{ANNA}",
                       headers=live_server.auth("k2"), timeout=10)
    assert one.status_code == 200 and parse_record(one.json()["profiles"][0]) == new
    other = requests.get(live_server.url + PROFILES_PATH, headers=live_server.auth("k3"),
                         timeout=10)
    assert other.status_code == 200 and other.json()["profiles"] == []
    missing = requests.get(f"{live_server.url}{PROFILES_PATH}/{ANNA}",
                           headers=live_server.auth("k3"), timeout=10)
    assert missing.status_code == 404 and "detail" in missing.json()
    assert requests.get(live_server.url + PROFILES_PATH, timeout=10).status_code == 401
    bad = requests.get(f"{live_server.url}{PROFILES_PATH}/a%20b", headers=live_server.auth(),
                       timeout=10)
    assert bad.status_code == 422
