"""The local store: durable saves, idempotence, validation, corrupt files, migrations, growth."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.records import SCHEMA_VERSION, ExerciseSession, RecordError
from sync.store import Store, StoreBusyError
from tests.sync.helpers import one_of_each, session


def seg_files(d: Path) -> list[Path]:
    return sorted((d / "segments").glob("seg-*.json"))


def test_save_get_count_recent_and_reopen(tmp_path: Path) -> None:
    recs = one_of_each()
    with Store(tmp_path) as s:
        for r in recs:
            s.save(r)
        assert s.count() == 4 and s.waiting() == 4
        assert s.get(recs[0].key) == recs[0]
        assert s.get("00000000-0000-0000-0000-000000000000") is None
        assert [r.kind for r in s.recent("feedback")] == ["feedback"]
        assert s.recent(limit=2) == [recs[3], recs[2]]
    with Store(tmp_path) as s:
        assert s.count() == 4
        assert {r.key for r in s.unsynced(10)} == {r.key for r in recs}
        for r in recs:
            assert s.get(r.key) == r


def test_same_uuid_twice_is_one_record(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        partial = session(4, completed=False, repetitions=3, good_repetitions=1, rep_flags=[])
        s.save(partial)
        s.save(partial)
        assert s.count() == 1
        s.mark_synced([partial.key])
        s.save(partial)  # identical re-save: stays synced
        assert s.waiting() == 0
        final = partial.model_copy(update={"completed": True, "repetitions": 10,
                                              "value": 10.0})
        s.save(final)  # changed: replaced in place, queued again
        assert s.count() == 1 and s.waiting() == 1
        assert s.get(partial.key) == final
    with Store(tmp_path) as s:
        assert s.count() == 1 and s.get(partial.key) == final


def test_invalid_record_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        s.save(session(1))
        before = [p.read_bytes() for p in seg_files(tmp_path)]
        bad = session(2).to_json_dict() | {"repetitions": -1}
        with pytest.raises(RecordError, match="repetitions"):
            s.save(bad)
        with pytest.raises(RecordError):
            s.save_many([session(3), bad, session(4)])  # all or nothing
        with pytest.raises(RecordError, match="not a record"):
            s.save("hello")  # type: ignore[arg-type]
        assert s.count() == 1
        assert [p.read_bytes() for p in seg_files(tmp_path)] == before


def test_writes_go_to_small_files(tmp_path: Path) -> None:
    with Store(tmp_path, segment_size=50) as s:
        s.save_many(session(i) for i in range(120))
        for i in range(120, 130):
            s.save(session(i))
        assert s.count() == 130
        sizes = [len(json.loads(p.read_text())["records"]) for p in seg_files(tmp_path)]
        assert sizes == [50, 50, 30]


def test_mark_synced_and_partial_marks_survive_reopen(tmp_path: Path) -> None:
    recs = [session(i) for i in range(30)]
    with Store(tmp_path, segment_size=8) as s:
        s.save_many(recs)
        assert s.mark_synced([r.key for r in recs[:13]] + ["unknown", recs[0].key]) == 13
        assert s.mark_rejected({recs[20].key: "kiosk_id: mismatch"}) == 1
        assert s.waiting() == 16
    with Store(tmp_path, segment_size=8) as s:
        assert s.waiting() == 16
        assert s.rejected() == {recs[20].key: "kiosk_id: mismatch"}
        keys = [r.key for r in s.unsynced(100)]
        assert keys == [r.key for r in recs[13:] if r.key != recs[20].key]  # oldest first
        assert s.retry_rejected() == 1 and s.waiting() == 17


def test_corrupt_file_is_moved_aside_and_the_rest_still_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Store(tmp_path, segment_size=10) as s:
        s.save_many(session(i) for i in range(25))
    files = seg_files(tmp_path)
    files[1].write_text('{"records": {"1": {"uuid": "trunc')  # a torn write
    with Store(tmp_path, segment_size=10) as s:
        assert s.count() == 15
        warnings = s.warnings()
        assert len(warnings) == 1 and "moved aside" in warnings[0].message
        assert files[1].name in warnings[0].message
        assert "STORE WARNING" in caplog.text
        s.save(session(99))
        assert s.count() == 16
    moved = list((tmp_path / "corrupt").iterdir())
    assert len(moved) == 1 and moved[0].read_text().startswith('{"records"')
    with Store(tmp_path, segment_size=10) as s:
        assert s.warnings() == [] and s.count() == 16


def test_empty_and_non_object_files_are_moved_aside(tmp_path: Path) -> None:
    (tmp_path / "segments").mkdir(parents=True)
    (tmp_path / "segments" / "seg-2026-01-000001.json").write_bytes(b"")
    (tmp_path / "segments" / "seg-2026-01-000002.json").write_text("[1, 2]")
    with Store(tmp_path) as s:
        assert s.count() == 0 and len(s.warnings()) == 2
        s.save(session(1))
        assert s.count() == 1


def test_invalid_record_inside_a_file_is_quarantined(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        s.save_many(session(i) for i in range(3))
    path = seg_files(tmp_path)[0]
    data = json.loads(path.read_text())
    data["records"]["2"]["data"]["repetitions"] = "lots"
    path.write_text(json.dumps(data))
    with Store(tmp_path) as s:
        assert s.count() == 2
        assert "quarantined" in s.warnings()[0].message
    assert list((tmp_path / "corrupt").glob("*.records.json"))


def test_older_schema_file_is_migrated(tmp_path: Path) -> None:
    """A store file written by the version-1 software is upgraded in place at open."""
    seg = tmp_path / "segments"
    seg.mkdir(parents=True)
    v1 = {
        "kind": "exercise_session",
        "uuid": "8d9d1d2e-2f7b-4b1e-9a43-0b7f0d8f1c11",
        "kiosk_id": "k1",
        "resident": None,
        "exercise": "squat",
        "target": 10,
        "repetitions": 10,
        "good_repetitions": 9,
        "duration_ms": 60000,
        "hr_avg": None,
        "hr_max": None,
        "started_at": "2025-06-01T01:00:00Z",
        "ended_at": "2025-06-01T01:01:00Z",
        "utc_offset_min": 480,
    }
    old = {
        "records": {
            "1": {
                "uuid": v1["uuid"],
                "kind": "exercise_session",
                "ts": "2025-06-01T01:01:00.000000Z",
                "synced": True,
                "data": v1,
            }
        }
    }
    (seg / "seg-2025-06-000001.json").write_text(json.dumps(old))
    with Store(tmp_path, retention_days=None) as s:
        rec = s.get(v1["uuid"])
        assert isinstance(rec, ExerciseSession)
        assert rec.duration_s == 60.0 and rec.resident == "guest" and rec.heart_rate is None
        assert s.waiting() == 0  # sync state kept
        assert s.warnings() == []
    on_disk = json.loads((seg / "seg-2025-06-000001.json").read_text())
    assert on_disk["records"]["1"]["data"]["schema_version"] == SCHEMA_VERSION
    assert "duration_ms" not in on_disk["records"]["1"]["data"]


def test_leftover_temp_file_from_a_crash_is_removed(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        s.save(session(1))
    tmp = tmp_path / "segments" / ".seg-2026-11-000001.json.1234.tmp"
    tmp.write_text('{"records": {')
    with Store(tmp_path) as s:
        assert s.count() == 1 and s.warnings() == []
    assert not tmp.exists()


def test_one_process_owns_the_store(tmp_path: Path) -> None:
    with Store(tmp_path):
        with pytest.raises(StoreBusyError, match="in use"):
            Store(tmp_path)
    Store(tmp_path).close()


def test_concurrent_writers_are_serialised(tmp_path: Path) -> None:
    with Store(tmp_path, segment_size=20) as s:
        errors: list[BaseException] = []

        def writer(base: int) -> None:
            try:
                for i in range(base, base + 40):
                    s.save(session(i))
                    if i % 7 == 0:
                        s.mark_synced([r.key for r in s.unsynced(5)])
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k * 1000,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert s.count() == 160
    with Store(tmp_path, segment_size=20) as s:
        assert s.count() == 160


def test_retention_prunes_only_old_synced_files(tmp_path: Path) -> None:
    old_end = datetime(2024, 1, 1, tzinfo=UTC)
    old = [
        session(i, ended_at=old_end, started_at=old_end - timedelta(minutes=1)) for i in range(20)
    ]
    with Store(tmp_path, segment_size=10, retention_days=30) as s:
        s.save_many(old)
        s.save_many(session(i) for i in range(100, 105))
        s.mark_synced([r.key for r in old[:10]])
        assert s.prune(now=datetime(2026, 11, 1, tzinfo=UTC)) == 10
        assert s.count() == 15  # unsynced old records are never pruned
        assert s.get(old[0].key) is None and s.get(old[15].key) is not None
    with Store(tmp_path, segment_size=10, retention_days=30) as s:
        assert s.count() == 15


def test_version_2_store_is_migrated_and_syncs(tmp_path: Path) -> None:
    """Segment files written by the version-2 software open, migrate to v3 and sync."""
    from sync.client import SyncClient, SyncSettings
    from sync.server.app import create_app
    from sync.server.db import Database
    from tests.sync.helpers import start_thread_server, v2_session_dict

    seg = tmp_path / "kiosk" / "segments"
    seg.mkdir(parents=True)
    v2 = [v2_session_dict(i, hold=i == 2) for i in range(1, 5)]
    docs = {
        str(n): {
            "uuid": d["uuid"],
            "kind": "exercise_session",
            "ts": str(d["ended_at"]).replace("Z", ".000000Z"),
            "saved_at": "2026-10-01T09:00:00.000000Z",
            "synced": n == 4,  # the last one was already sent by the old software
            "rejected": None,
            "data": d,
        }
        for n, d in enumerate(v2, start=1)
    }
    (seg / "seg-2026-10-000001.json").write_text(
        json.dumps({"records": docs, "_meta": {"1": {"format": 1}}})
    )
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    srv = start_thread_server(create_app(db))
    try:
        with Store(tmp_path / "kiosk", retention_days=None) as s:
            assert s.warnings() == [] and s.count() == 4 and s.waiting() == 3
            hold = s.get(str(v2[1]["uuid"]))
            assert isinstance(hold, ExerciseSession)
            assert (hold.activity, hold.value, hold.unit, hold.repetitions) == ("hold", 25, "s", 0)
            assert hold.target is not None and (hold.target.value, hold.target.unit) == (30, "s")
            reps = s.get(str(v2[0]["uuid"]))
            assert isinstance(reps, ExerciseSession)
            assert (reps.activity, reps.value, reps.unit, reps.repetitions) == ("reps", 1, "reps", 1)
            settings = SyncSettings(server_url=srv.url, token=db.add_kiosk("k1"), kiosk_id="k1")
            client = SyncClient(s, settings)
            report = client.sync_once()
            client.close()
            assert report.ok and report.created == 3 and s.waiting() == 0
        on_disk = json.loads((seg / "seg-2026-10-000001.json").read_text())
        assert {d["data"]["schema_version"] for d in on_disk["records"].values()} == {SCHEMA_VERSION}
        assert on_disk["records"]["4"]["synced"] is True  # sync state kept through the migration
        stored = db.payload(str(v2[1]["uuid"]), kiosk="k1")
        assert stored is not None and stored["activity"] == "hold" and stored["value"] == 25
    finally:
        srv.stop()
        db.dispose()


def test_version_3_store_is_migrated_and_syncs(tmp_path: Path) -> None:
    """Segment files written by the version-3 software (lesson progress without resume
    step, answers or practice) open at version 4, keep their sync state, and sync."""
    from sync.client import SyncClient, SyncSettings
    from sync.records import LessonProgress
    from sync.server.app import create_app
    from sync.server.db import Database
    from tests.sync.helpers import (
        start_thread_server,
        v3_lesson_progress_dict,
        v3_session_dict,
    )

    seg = tmp_path / "kiosk" / "segments"
    seg.mkdir(parents=True)
    v3 = [v3_lesson_progress_dict(i) for i in range(1, 4)] + [v3_session_dict(1)]
    docs = {
        str(n): {
            "uuid": d["uuid"],
            "kind": d["kind"],
            "ts": str(d.get("updated_at") or d["ended_at"]).replace("Z", ".000000Z"),
            "saved_at": "2026-11-05T09:00:00.000000Z",
            "synced": n == 1,  # the first one was already sent by the old software
            "rejected": None,
            "data": d,
        }
        for n, d in enumerate(v3, start=1)
    }
    (seg / "seg-2026-11-000001.json").write_text(
        json.dumps({"records": docs, "_meta": {"1": {"format": 1}}})
    )
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    srv = start_thread_server(create_app(db))
    try:
        with Store(tmp_path / "kiosk", retention_days=None) as s:
            assert s.warnings() == [] and s.count() == 4 and s.waiting() == 3
            lp = s.get(str(v3[1]["uuid"]))
            assert isinstance(lp, LessonProgress) and lp.schema_version == SCHEMA_VERSION
            assert (lp.progress, lp.completed, lp.step, lp.answers) == (1.0, True, None, [])
            mine = s.recent("lesson_progress", resident=str(v3[2]["resident"]))
            assert [r.key for r in mine] == [str(v3[2]["uuid"])]
            # the resident goes on with the lesson: the same record, now with v4 fields
            s.save(lp.model_copy(update={"step": 3, "steps": 8, "score": 0, "questions": 3}))
            settings = SyncSettings(server_url=srv.url, token=db.add_kiosk("k1"), kiosk_id="k1")
            client = SyncClient(s, settings)
            report = client.sync_once()
            client.close()
            assert report.ok and report.created == 3 and s.waiting() == 0
        on_disk = json.loads((seg / "seg-2026-11-000001.json").read_text())
        assert {d["data"]["schema_version"] for d in on_disk["records"].values()} == {SCHEMA_VERSION}
        assert on_disk["records"]["1"]["synced"] is True  # sync state kept through the migration
        stored = db.payload(str(v3[1]["uuid"]), kiosk="k1")
        assert stored is not None and stored["step"] == 3 and stored["questions"] == 3
        assert db.payload(str(v3[3]["uuid"]), kiosk="k1")["activity"] == "reps"
    finally:
        srv.stop()
        db.dispose()
