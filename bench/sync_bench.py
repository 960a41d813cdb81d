"""Bench: sync throughput to a local ingest server (SQLite), one kiosk and 50 at once.

- One kiosk, 10,000 sessions in its store: wall time of sync passes until
  nothing waits (batches of 200, gzip), median of several runs.
- 50 simulated kiosks syncing at the same time (threads in one process, each
  with its own store and token): server ingest rate in records/s, median.
- In the same run, the plain alternatives: the same client on a plain TinyDB
  store (stock JSONStorage, the whole file rewritten to mark each batch), and
  a naive client that POSTs one record per request without gzip.

The server is ``kiosk-server run`` in its own process on 127.0.0.1.
Targets (issue 5): 10,000 sessions in under 10 s; ingest at least 2,000
records/s on SQLite. Last line: one JSON object
``{"sync_10k_s", "server_records_per_s", "kiosks", "lost", "duplicated"}``.

Run: .venv/bin/python bench/sync_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from tinydb import Query, TinyDB  # noqa: E402
from tinydb.storages import JSONStorage  # noqa: E402

from bench._common import sample_session  # noqa: E402
from sync.client import SyncClient, SyncSettings  # noqa: E402
from sync.records import ExerciseSession  # noqa: E402
from sync.server.db import Database, records  # noqa: E402
from sync.store import Store  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KIOSKS = 50


def make_session(i: int, kiosk: str) -> ExerciseSession:
    return sample_session(i, kiosk, T0, every_min=3, residents=300)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PlainTinyStore:
    """The plain alternative: stock TinyDB (one JSON file, rewritten in place, no fsync)."""

    def __init__(self, path: Path) -> None:
        self.db = TinyDB(str(path), storage=JSONStorage)
        self.q = Query()

    def save_many(self, recs: list[ExerciseSession]) -> None:
        self.db.insert_multiple(
            {"uuid": r.key, "synced": False, "data": r.to_json_dict()} for r in recs
        )

    def unsynced_json(self, limit: int) -> list[dict[str, Any]]:
        return [d["data"] for d in self.db.search(self.q.synced == False)[:limit]]  # noqa: E712

    def mark_synced(self, uuids: list[str]) -> int:
        return len(self.db.update({"synced": True}, self.q.uuid.one_of(list(uuids))))

    def mark_rejected(self, reasons: dict[str, str]) -> int:
        return 0

    def waiting(self) -> int:
        return self.db.count(self.q.synced == False)  # noqa: E712

    def rejected(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        self.db.close()


def settings(url: str, token: str, kiosk: str) -> SyncSettings:
    return SyncSettings(
        server_url=url,
        token=token,
        kiosk_id=kiosk,
        batch_size=200,
        connect_timeout_s=5,
        read_timeout_s=60,
        backoff_base_s=0.1,
    )


def sync_until_empty(store: Any, s: SyncSettings) -> float:
    client = SyncClient(store, s)
    t = time.perf_counter()
    for _ in range(20):
        report = client.sync_once()
        if store.waiting() == 0:
            break
        print(f"    pass ended early: {report.error}", flush=True)
    elapsed = time.perf_counter() - t
    client.close()
    return elapsed


def run_kiosk(
    name: str, st: Store, barrier: threading.Barrier, done: dict[str, float], url: str, token: str
) -> None:
    barrier.wait()
    done[name] = sync_until_empty(st, settings(url, token, name))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    runs = 2 if args.quick else 3
    n_one = 2_000 if args.quick else 10_000
    per_kiosk = 100 if args.quick else 400
    base = Path(tempfile.mkdtemp(prefix="sync-bench-", dir=Path.home()))
    db_url = f"sqlite:///{base / 'server.db'}"
    db = Database(db_url)
    names = ["one", "plain", "naive"] + [f"k{i:02d}" for i in range(KIOSKS)]
    tokens = {n: db.add_kiosk(n) for n in names}
    expected: dict[str, set[str]] = {n: set() for n in names}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(base / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sync.server.cli",
            "run",
            "--db",
            db_url,
            "--port",
            str(port),
            "--log-level",
            "WARNING",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        for _ in range(200):
            try:
                if requests.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        one_times, rates = [], []
        for r in range(runs):
            d = base / f"one-{r}"
            with Store(d, retention_days=None) as st:
                recs = [make_session(i, "one") for i in range(n_one)]
                st.save_many(recs)
                expected["one"].update(x.key for x in recs)
                one_times.append(sync_until_empty(st, settings(url, tokens["one"], "one")))
            shutil.rmtree(d, ignore_errors=True)
            print(f"run {r + 1}: one kiosk, {n_one:,} sessions: {one_times[-1]:.2f} s", flush=True)

            stores = {}
            for k in range(KIOSKS):
                name = f"k{k:02d}"
                st = Store(base / f"multi-{r}" / name, retention_days=None)
                recs = [make_session(i, name) for i in range(per_kiosk)]
                st.save_many(recs)
                expected[name].update(x.key for x in recs)
                stores[name] = st
            barrier = threading.Barrier(KIOSKS + 1)
            done: dict[str, float] = {}

            threads = [
                threading.Thread(target=run_kiosk, args=(n, s, barrier, done, url, tokens[n]))
                for n, s in stores.items()
            ]
            for t in threads:
                t.start()
            barrier.wait()
            t0 = time.perf_counter()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            for st in stores.values():
                assert st.waiting() == 0
                st.close()
            shutil.rmtree(base / f"multi-{r}", ignore_errors=True)
            rates.append(KIOSKS * per_kiosk / wall)
            print(
                f"run {r + 1}: {KIOSKS} kiosks x {per_kiosk} sessions at once: {wall:.2f} s, "
                f"{rates[-1]:,.0f} records/s",
                flush=True,
            )

        # plain TinyDB store, same client and server
        plain = PlainTinyStore(base / "plain.json")
        recs = [make_session(i, "plain") for i in range(n_one)]
        plain.save_many(recs)
        expected["plain"].update(x.key for x in recs)
        plain_s = sync_until_empty(plain, settings(url, tokens["plain"], "plain"))
        plain.close()
        print(f"plain TinyDB store, {n_one:,} sessions: {plain_s:.2f} s", flush=True)

        # naive client: one uncompressed POST per record
        naive_n = 300 if args.quick else 1_000
        sess = requests.Session()
        sess.headers["Authorization"] = f"Bearer {tokens['naive']}"
        recs = [make_session(i, "naive") for i in range(naive_n)]
        t = time.perf_counter()
        for rec in recs:
            resp = sess.post(
                url + "/api/v1/records", json={"records": [rec.to_json_dict()]}, timeout=(5, 30)
            )
            resp.raise_for_status()
        naive_s = time.perf_counter() - t
        expected["naive"].update(x.key for x in recs)
        naive_rate = naive_n / naive_s
        print(
            f"naive per-record POST, {naive_n:,} sessions: {naive_s:.2f} s "
            f"({naive_rate:,.0f} records/s)",
            flush=True,
        )
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()

    lost = duplicated = 0
    with db.engine.connect() as conn:
        total_rows = conn.execute(select(func.count()).select_from(records)).scalar_one()
        distinct = conn.execute(select(func.count(records.c.uuid.distinct()))).scalar_one()
    duplicated += total_rows - distinct
    for name, want in expected.items():
        have = set(db.uuids(name))
        lost += len(want - have)
        duplicated += len(have - want)
    db.dispose()
    shutil.rmtree(base, ignore_errors=True)

    sync_10k = statistics.median(one_times) * (10_000 / n_one)
    rate = statistics.median(rates)
    print()
    print("Sync to a local server (SQLite, WAL, synchronous=FULL); machine: 2 cores, shared")
    print(f"{'scenario':<52}{'figure':>16}")
    print(f"{'one kiosk, 10,000 sessions (ours), median':<52}{sync_10k:>14.2f} s")
    print(
        f"{'one kiosk, 10,000 sessions, plain TinyDB store':<52}{plain_s * 10_000 / n_one:>14.2f} s"
    )
    print(
        f"{'one kiosk, 10,000 sessions, naive per-record POST*':<52}{10_000 / naive_rate:>14.2f} s"
    )
    print(f"{f'{KIOSKS} kiosks at once, server ingest, median':<52}{rate:>10,.0f} rec/s")
    print(f"{'records lost / duplicated on the server':<52}{lost:>9} / {duplicated}")
    print(
        f"  per-run: one kiosk {[round(x, 2) for x in one_times]} s; "
        f"{KIOSKS} kiosks {[round(x) for x in rates]} rec/s"
    )
    print(f"  * naive measured on {naive_n:,} records and scaled")
    print(
        f"  ours vs plain TinyDB store: {plain_s / statistics.median(one_times):.1f}x faster; "
        f"vs naive client: {(10_000 / naive_rate) / sync_10k:.1f}x faster"
    )
    print(
        f"  target 10,000 in < 10 s: {'MET' if sync_10k < 10 else 'NOT MET'}; "
        f"ingest >= 2,000 records/s: {'MET' if rate >= 2000 else 'NOT MET'}"
    )
    print(
        json.dumps(
            {
                "sync_10k_s": round(sync_10k, 3),
                "server_records_per_s": round(rate),
                "kiosks": KIOSKS,
                "lost": lost,
                "duplicated": duplicated,
            }
        )
    )
    return 0 if lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
