"""Bench: time to save one session durably, with 1,000 and 100,000 sessions already stored.

Our store (TinyDB on atomic, fsync'd storage, records in capped segment files)
against plain TinyDB (stock JSONStorage, one file, rewritten in place, no
fsync) in the same run. Each figure is the median over several runs of the
median (and p99) of single ``save`` calls, each timed until it returned
(durable on disk for ours).

Targets (issue 5): the 100,000 median within 1.5x of the 1,000 median, and
under 20 ms. Last line: one JSON object
``{"write_ms_p50_1k", "write_ms_p50_100k", "write_ms_p99_100k", "plain_tinydb_ms_p50_100k"}``.

Run: .venv/bin/python bench/store_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinydb import TinyDB  # noqa: E402
from tinydb.storages import JSONStorage  # noqa: E402

from bench._common import sample_session  # noqa: E402
from sync.records import ExerciseSession  # noqa: E402
from sync.store import Store  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def make_session(i: int) -> ExerciseSession:
    return sample_session(i, "bench-kiosk", T0, every_min=7, residents=500)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def fill_ours(n: int, base: Path) -> tuple[Path, float]:
    d = base / f"ours-{n}"
    t = time.perf_counter()
    with Store(d, retention_days=None) as s:
        for i in range(0, n, 5000):
            s.save_many(make_session(j) for j in range(i, min(n, i + 5000)))
        s.mark_synced(s.uuids())  # a kiosk's history is mostly synced
    return d, time.perf_counter() - t


def time_saves(s: Store, saves: int, start: int) -> list[float]:
    times = []
    for k in range(start, start + saves):
        rec = make_session(k).model_copy(update={"uuid": uuid.uuid4()})
        t = time.perf_counter()
        s.save(rec)
        times.append((time.perf_counter() - t) * 1000)
    return times


def bench_ours(sizes: tuple[int, ...], saves: int, runs: int, base: Path) -> dict:
    """Both stores open side by side; runs alternate so both see the same machine load."""
    out: dict[int, dict] = {}
    stores: dict[int, Store] = {}
    for n in sizes:
        print(f"ours: filling {n:,} sessions ...", flush=True)
        d, fill_s = fill_ours(n, base)
        t = time.perf_counter()
        stores[n] = Store(d, retention_days=None)
        out[n] = {
            "fill_s": fill_s,
            "open_s": time.perf_counter() - t,
            "runs_p50": [],
            "runs_p99": [],
        }
    try:
        for r in range(runs):
            for n in sizes:
                times = time_saves(stores[n], saves, 10 * n + r * saves)
                out[n]["runs_p50"].append(statistics.median(times))
                out[n]["runs_p99"].append(pct(times, 99))
            print(
                f"  run {r + 1}/{runs}: "
                + ", ".join(f"{n:,}: p50 {out[n]['runs_p50'][-1]:.2f} ms" for n in sizes),
                flush=True,
            )
        for n in sizes:
            assert stores[n].count() == n + runs * saves
            out[n]["p50"] = statistics.median(out[n]["runs_p50"])
            out[n]["p99"] = statistics.median(out[n]["runs_p99"])
    finally:
        for s in stores.values():
            s.close()
    return out


def bench_plain(n: int, saves: int, runs: int, base: Path) -> dict[str, float]:
    path = base / f"plain-{n}.json"
    docs = [make_session(j).to_json_dict() for j in range(n)]
    with TinyDB(str(path), storage=JSONStorage) as db:
        db.insert_multiple(docs)
    del docs
    p50s, p99s = [], []
    k = n
    with TinyDB(str(path), storage=JSONStorage) as db:
        for _ in range(runs):
            times = []
            for _ in range(saves):
                doc = make_session(k).model_copy(update={"uuid": uuid.uuid4()}).to_json_dict()
                k += 1
                t = time.perf_counter()
                db.insert(doc)
                times.append((time.perf_counter() - t) * 1000)
            p50s.append(statistics.median(times))
            p99s.append(pct(times, 99))
    path.unlink()
    return {"p50": statistics.median(p50s), "p99": statistics.median(p99s), "runs_p50": p50s}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer saves (smoke test)")
    args = ap.parse_args()
    saves, runs = (50, 2) if args.quick else (200, 5)
    plain_saves = (
        {1_000: (50, 3), 100_000: (3, 3)} if not args.quick else {1_000: (10, 2), 100_000: (2, 1)}
    )
    base = Path(tempfile.mkdtemp(prefix="store-bench-", dir=Path.home()))
    results: dict[str, dict] = {"ours": {}, "plain": {}}
    try:
        results["ours"] = bench_ours((1_000, 100_000), saves, runs, base)
        for n in (1_000, 100_000):
            ps, pr = plain_saves[n]
            print(f"plain TinyDB: {n:,} sessions stored, {pr} runs x {ps} saves ...", flush=True)
            results["plain"][n] = bench_plain(n, ps, pr, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    o, p = results["ours"], results["plain"]
    print()
    print("Time to save one session (ms), median of runs; machine: 2 cores, shared")
    print(f"{'store':<36}{'stored':>9}{'p50 ms':>10}{'p99 ms':>10}")
    for n in (1_000, 100_000):
        print(
            f"{'ours (atomic+fsync, segments)':<36}{n:>9,}{o[n]['p50']:>10.2f}{o[n]['p99']:>10.2f}"
        )
        print(
            f"{'plain TinyDB (JSONStorage, no fsync)':<36}{n:>9,}{p[n]['p50']:>10.2f}"
            f"{p[n]['p99']:>10.2f}"
        )
    ratio = o[100_000]["p50"] / o[1_000]["p50"]
    print()
    print(
        f"ours, per-run medians 1k: {[round(x, 2) for x in o[1_000]['runs_p50']]}, "
        f"100k: {[round(x, 2) for x in o[100_000]['runs_p50']]}"
    )
    print(
        f"ours: open with 100,000 stored {o[100_000]['open_s']:.2f} s "
        f"(fill {o[100_000]['fill_s']:.1f} s)"
    )
    print(
        f"ours 100k / ours 1k = {ratio:.2f}x (target <= 1.5x): "
        f"{'MET' if ratio <= 1.5 else 'NOT MET'}"
    )
    print(
        f"ours 100k median {o[100_000]['p50']:.2f} ms (target < 20 ms): "
        f"{'MET' if o[100_000]['p50'] < 20 else 'NOT MET'}"
    )
    print(
        f"plain TinyDB 100k / ours 100k = {p[100_000]['p50'] / o[100_000]['p50']:.0f}x slower "
        f"(and not durable: no fsync, rewritten in place)"
    )
    print(
        json.dumps(
            {
                "write_ms_p50_1k": round(o[1_000]["p50"], 3),
                "write_ms_p50_100k": round(o[100_000]["p50"], 3),
                "write_ms_p99_100k": round(o[100_000]["p99"], 3),
                "plain_tinydb_ms_p50_100k": round(p[100_000]["p50"], 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
