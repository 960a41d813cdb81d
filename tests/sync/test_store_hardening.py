"""The store opens whatever a segment file holds: bad records quarantined, the rest kept.

Issue 10, item 6: a segment file that is valid JSON but holds one bad record
(a missing ``uuid``, ``kind`` a list, ``ts`` a number, a year-9999 date, a huge
integer, deep nesting) once stopped the store from opening. Each case here,
then hypothesis writing hostile records into segment files; then the
read-only inspection behind ``kiosk doctor``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import jsonlimits
from sync.records import SCHEMA_VERSION, ExerciseSession
from sync.segment import make_doc
from sync.store import Store, inspect_store
from tests.sync.helpers import REPO, session

SEG = "seg-2026-11-000001.json"


def fixed(i: int) -> ExerciseSession:
    """Session ``i`` with a uuid of its own that stays the same (``session`` draws one)."""
    return session(i, uuid=uuid.UUID(int=0x5AFE_0000_0000_4000_8000_0000_0000_0000 + i))


def doc_text(i: int, **data_over: Any) -> bytes:
    """The JSON text of a stored document for session ``i`` (data fields overridden)."""
    doc = make_doc(fixed(i), synced=False)
    doc["data"].update(data_over)
    return json.dumps(doc).encode()


def write_segment(store_dir: Path, docs: list[bytes], name: str = SEG) -> Path:
    seg = store_dir / "segments"
    seg.mkdir(parents=True, exist_ok=True)
    body = b",".join(json.dumps(str(n)).encode() + b":" + d for n, d in enumerate(docs, 1))
    path = seg / name
    path.write_bytes(b'{"records":{' + body + b'},"_meta":{"1":{"format":1}}}')
    return path


def raw_with(i: int, field: str, raw_value: bytes) -> bytes:
    doc = make_doc(fixed(i), synced=False)
    doc["data"][field] = "@@"
    return json.dumps(doc).encode().replace(b'"@@"', raw_value)


def quarantine(store_dir: Path) -> dict[str, Any]:
    """The quarantined documents (parsed back where Python can)."""
    out: dict[str, Any] = {}
    for p in (store_dir / "corrupt").glob("*.records.json"):
        try:
            out.update(jsonlimits.loads(p.read_bytes()))
        except RecursionError:
            out[p.name] = "too deep to read back"
    return out


BAD_CASES: dict[str, Callable[[], bytes]] = {
    "missing uuid": lambda: json.dumps(
        {k: v for k, v in json.loads(doc_text(2)).items()}
        | {"data": {k: v for k, v in fixed(2).to_json_dict().items() if k != "uuid"}}
    ).encode(),
    "kind a list": lambda: raw_with(2, "kind", b"[]"),
    "kind an object": lambda: raw_with(2, "kind", b"{}"),
    "year 9999": lambda: raw_with(2, "ended_at", b'"9999-12-31T23:00:00-05:00"'),
    "year 1": lambda: raw_with(2, "started_at", b'"0001-01-01T00:00:00+05:00"'),
    "huge integer": lambda: raw_with(2, "repetitions", b"9" * 5000),
    "deep nesting": lambda: raw_with(2, "rep_flags", b"[" * 100_000 + b"]" * 100_000),
    "deep objects": lambda: raw_with(2, "heart_rate", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    "not an object": lambda: b"[1, 2, 3]",
    "no data": lambda: b'{"uuid": "x"}',
    "string for an int": lambda: raw_with(2, "repetitions", b'"3"'),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_one_bad_record_is_quarantined_and_the_rest_opens(tmp_path: Path, case: str) -> None:
    path = write_segment(tmp_path, [doc_text(1), BAD_CASES[case](), doc_text(3)])
    before = path.read_bytes()
    seen = inspect_store(tmp_path)  # read-only: reports, changes nothing
    assert [(f, d) for f, d, _r in seen.bad_records] == [(SEG, "2")], seen.bad_records
    assert seen.records == 2 and path.read_bytes() == before
    with Store(tmp_path, retention_days=None) as s:
        assert s.count() == 2 and s.waiting() == 2
        assert s.get(fixed(1).key) == fixed(1) and s.get(fixed(3).key) == fixed(3)
        st = s.stats()
        assert st.quarantined == 1 and any("quarantined" in w.message for w in st.warnings)
        s.save(fixed(4))  # and the store works
    kept = quarantine(tmp_path)
    assert len(kept) == 1  # the bad record, kept aside with its reason
    entry = next(iter(kept.values()))
    if isinstance(entry, dict):
        assert entry["reason"] and "document" in entry
    with Store(tmp_path, retention_days=None) as s:  # the file was repaired: nothing new
        assert s.count() == 3 and s.warnings() == [] and s.stats().quarantined == 0
    after = inspect_store(tmp_path)
    assert after.bad_records == [] and after.quarantined_records == 1
    assert not after.healthy and "quarantined" in after.summary()


def test_damaged_bookkeeping_is_rebuilt_not_lost(tmp_path: Path) -> None:
    """``ts`` a number, ``uuid`` missing at the document level, ``synced`` a string: the record
    itself is fine, so it is kept and its bookkeeping rebuilt from it."""
    docs = []
    damages: list[dict[str, Any]] = [
        {"ts": 12345}, {"uuid": None}, {"synced": "yes"}, {"kind": ["x"]}, {"rejected": 7}
    ]
    for i, damage in enumerate(damages, start=1):
        doc = make_doc(fixed(i), synced=False) | damage
        docs.append(json.dumps(doc).encode())
    write_segment(tmp_path, docs)
    with Store(tmp_path, retention_days=None) as s:
        assert s.count() == 5 and s.waiting() == 5 and s.stats().quarantined == 0
        assert s.rejected() == {}
    on_disk = json.loads((tmp_path / "segments" / SEG).read_text())
    for doc in on_disk["records"].values():
        assert isinstance(doc["ts"], str) and doc["uuid"] == doc["data"]["uuid"]
        assert doc["synced"] is False


def test_kiosk_sync_status_with_a_bad_record_is_no_traceback(tmp_path: Path) -> None:
    write_segment(tmp_path / "store", [doc_text(1), BAD_CASES["deep nesting"]()])
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\nid = "k1"\ndata_dir = "{tmp_path}"\n[sync]\ntoken = "x"\n')
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--status", "--config", str(cfg)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "quarantined" in out.stderr
    assert "1 records stored" in out.stdout


def test_doctor_reports_the_store(tmp_path: Path) -> None:
    from kiosk.config import Config, KioskSection
    from kiosk.startup.doctor import check_store

    cfg = Config(kiosk=KioskSection(id="k1", data_dir=str(tmp_path)))
    assert check_store(cfg).status == "ok"  # no store yet
    write_segment(tmp_path / "store", [doc_text(1), BAD_CASES["huge integer"]()])
    (tmp_path / "store" / "segments" / "seg-2026-11-000002.json").write_text("{torn")
    check = check_store(cfg)
    assert check.status == "warn"
    assert "1 corrupt file" in check.detail and "1 bad record" in check.detail
    with Store(tmp_path / "store", retention_days=None):
        pass
    check = check_store(cfg)
    assert check.status == "warn" and "corrupt/" in check.detail and "1 records" in check.detail
    env = dict(os.environ, PYTHONPATH=str(REPO), KIOSK_CACHE_DIR=str(tmp_path / "cache"))
    toml = tmp_path / "k.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{tmp_path}"\n[sync]\nenabled = false\n')
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "doctor", "--json", "--config", str(toml)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["store"]["status"] == "warn" and "quarantined" in report["store"]["detail"]


# --- hypothesis: hostile records written into segment files ---------------------------

_text = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


def _wrong_type_for(value: Any) -> st.SearchStrategy[Any]:
    """JSON values of a type the field never takes (strict: "3" is not an int, 1 not a bool)."""
    text, nums = st.text(max_size=8), st.integers() | st.floats(allow_nan=False)
    if isinstance(value, bool):
        return nums | text | st.lists(st.booleans(), max_size=2)
    if isinstance(value, int | float):
        return text | st.booleans() | st.lists(nums, max_size=2) | st.none()
    if isinstance(value, str):
        return nums | st.booleans() | st.lists(text, max_size=2) | st.dictionaries(text, nums)
    if isinstance(value, list):
        return nums | text | st.dictionaries(text, nums, max_size=2)
    return nums | text | st.lists(nums, max_size=2)  # objects (target, heart_rate)


@st.composite
def hostile_doc(draw: st.DrawFn, i: int) -> bytes:
    """A stored document that is certainly bad: a wrong type, depth, a huge number, a
    missing field, a lone surrogate, or not a stored document at all."""
    kind = draw(st.sampled_from(["type", "deep", "number", "drop", "surrogate", "junk"]))
    data = fixed(i).to_json_dict()
    fields = sorted(data)
    field = draw(st.sampled_from(fields))
    if kind == "type":
        return raw_with(i, field, json.dumps(draw(_wrong_type_for(data[field]))).encode())
    if kind == "deep":
        n = draw(st.integers(9, 3000))
        return raw_with(i, field, b"[" * n + b"]" * n)
    if kind == "number":
        return raw_with(i, field, b"9" * draw(st.integers(17, 6000)))
    if kind == "drop":
        doc = make_doc(fixed(i), synced=False)
        del doc["data"][draw(st.sampled_from(["uuid", "kind", "kiosk_id", "started_at"]))]
        return json.dumps(doc).encode()
    if kind == "surrogate":
        return raw_with(i, draw(st.sampled_from(["resident", "exercise"])), b'"a\\udc80b"')
    junk = draw(_json.filter(lambda v: not (isinstance(v, dict) and isinstance(v.get("data"), dict))))
    return json.dumps(junk).encode()


@st.composite
def segment_plan(draw: st.DrawFn) -> list[tuple[bool, bytes]]:
    plan = []
    for i in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            plan.append((True, doc_text(100 + i)))
        else:
            plan.append((False, draw(hostile_doc(200 + i))))
    return plan


def test_store_fuzz_always_opens_keeps_the_good_and_quarantines_the_bad(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    @given(plan=segment_plan())
    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(plan: list[tuple[bool, bytes]]) -> None:
        d = tmp_path_factory.mktemp("fuzz")
        write_segment(d, [text for _good, text in plan])
        good = [json.loads(text)["data"] for ok, text in plan if ok]
        bad = sum(1 for ok, _t in plan if not ok)
        seen = inspect_store(d)
        with Store(d, retention_days=None) as s:
            for data in good:
                assert s.get(data["uuid"]) is not None
            assert s.count() == len(good)
            assert s.stats().quarantined == bad
        assert inspect_store(d).quarantined_records == bad  # each one kept aside
        assert seen.records == len(good) and len(seen.bad_records) == bad
        with Store(d, retention_days=None) as s:  # reopened: stable, nothing more set aside
            assert s.count() == len(good) and s.stats().quarantined == 0
            assert all(r.schema_version == SCHEMA_VERSION for r in s.unsynced(100))

    run()
