"""Bench: the community feed and the ingest rules, on SQLite, in-process and over HTTP.

- Seeds two communities (east: kiosks a1, a2; west: b1) with ``--records`` exercise
  sessions spread over the last 60 days, through ``Database.upsert`` (the real ingest
  transaction: records, aggregates, community rules), in batches of 500, into two
  databases taken in turn: one where east runs 3 challenges, 2 polls and 2 events,
  one without any (the cost of the challenge tallies on ingest).
- One resident in ten (of the sessions' 500) has a profile with a nickname, so the
  feed carries each challenge's leaderboard (``sync.server.community.feed.leaders``).
- Starts the real app (uvicorn, 127.0.0.1) on the seeded database and times, over
  HTTP with a kiosk token, the feed (200 with body), the feed again with its ETag
  (304) and one resident's inbox: median of 30 after 5 warm-ups.
- The plain alternative: the challenges' progress computed per request by reading
  every session of the community and applying ``sync.community.counts_toward``.

Last line: ``{"records", "leaders", "feed_ms", "feed_304_ms", "inbox_ms", "scan_ms",
"ingest_records_per_s", "ingest_records_per_s_no_challenges"}``.

Run: .venv/bin/python bench/community_bench.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from bench._common import machine, median, table  # noqa: E402
from sync.community import FEED_PATH, INBOX_PATH, Challenge, Event, Poll, Text, counts_toward  # noqa: E402
from sync.records import ResidentProfile, parse_record  # noqa: E402
from sync.server.community import ingest, items  # noqa: E402
from sync.server.db import Database  # noqa: E402
from sync.server.tables import records  # noqa: E402

KIOSKS = {"a1": "east", "a2": "east", "b1": "west"}
REQUESTS = 30


def publish(db: Database, now: datetime) -> None:
    t = Text(en="bench", zh_CN="基准")
    start, end = now - timedelta(days=45), now + timedelta(days=15)
    models = [
        Challenge(id="ch-reps", title=t, metric="repetitions", activities=["squat"], goal=1e6,
                  starts_at=start, ends_at=end),
        Challenge(id="ch-min", title=t, metric="active_minutes", goal=1e5, starts_at=start,
                  ends_at=end),
        Challenge(id="ch-a2", title=t, metric="sessions", goal=1e4, scope="kiosks", kiosks=["a2"],
                  starts_at=start, ends_at=end),
        Poll(id="po-1", title=t, choices=[t, t, t], starts_at=start, ends_at=end),
        Poll(id="po-2", title=t, choices=[t, t], starts_at=start, ends_at=end),
        Event(id="ev-1", title=t, place=t, capacity=50, starts_at=end - timedelta(days=1), ends_at=end),
        Event(id="ev-2", title=t, place=t, starts_at=end - timedelta(days=2), ends_at=end),
    ]
    with db.engine.begin() as conn:
        for m in models:
            if isinstance(m, Challenge):
                ingest.recount(conn, m, "east")
                items.save(conn, "east", m, kind="challenge", by="bench", now=now)
            elif isinstance(m, Poll):
                items.save(conn, "east", m, kind="poll", by="bench", now=now)
            else:
                items.save(conn, "east", m, kind="event", by="bench", now=now)


def seed(dbs: list[Database], n: int, now: datetime) -> list[float]:
    """Ingest ``n`` sessions into each database (batches taken in turn); records/s each."""
    from bench._common import sample_session

    spent = [0.0] * len(dbs)
    t0 = now - timedelta(days=60)
    per_kiosk = n // len(KIOSKS)
    every = max(1, int(60 * 24 * 60 / max(per_kiosk, 1)))  # each kiosk's over 60 days (minutes)
    for kiosk in KIOSKS:
        for start in range(0, per_kiosk, 500):
            batch = [sample_session(i, kiosk, t0, every_min=every) for i in range(start, min(per_kiosk, start + 500))]
            for j, db in enumerate(dbs):
                t = time.perf_counter()
                db.upsert(kiosk, batch)
                spent[j] += time.perf_counter() - t
    nicknamed = [
        ResidentProfile(kiosk_id="a1", resident=f"r-{i:05x}", nickname=f"nick{i}",
                        updated_at=now - timedelta(days=61), utc_offset_min=480)
        for i in range(0, 500, 10)
    ]
    for db in dbs:
        db.upsert("a1", nicknamed)
    return [per_kiosk * len(KIOSKS) / s for s in spent]


def scan_ms(db: Database, now: datetime) -> float:
    """The plain alternative: progress of east's challenges from every session, per request."""
    with db.engine.connect() as conn:
        chs = [i.model for i in items.listing(conn, ["east"], "challenge", ending_after=now)]
        t = time.perf_counter()
        totals = dict.fromkeys((c.id for c in chs), 0.0)
        q = records.select().where(records.c.kind == "exercise_session", records.c.kiosk_id.in_(["a1", "a2"]))
        for row in conn.execute(q):
            rec = parse_record(json.loads(row.payload))
            for c in chs:
                assert isinstance(c, Challenge)
                totals[c.id] += counts_toward(c, rec)
        return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=60_000)
    args = ap.parse_args()
    now = datetime.now(UTC)
    from sync.server.app import create_app
    from tests.sync.helpers import start_thread_server

    with tempfile.TemporaryDirectory() as tmp:
        dbs = [Database(f"sqlite:///{Path(tmp) / name}.db") for name in ("with", "without")]
        tokens = [{k: db.add_kiosk(k, community=c) for k, c in KIOSKS.items()} for db in dbs][0]
        publish(dbs[0], now)
        rates = seed(dbs, args.records, now)
        handle = start_thread_server(create_app(dbs[0]))
        try:
            auth = {"Authorization": f"Bearer {tokens['a1']}"}
            s = requests.Session()
            feed = s.get(handle.url + FEED_PATH, headers=auth, timeout=30)
            tag = feed.headers["ETag"]
            progress = {c["id"]: c["progress"] for c in feed.json()["challenges"]}
            leaders = {c["id"]: len(c["leaders"]) for c in feed.json()["challenges"]}
            resident = "r-00001"

            def timed(path: str, extra: dict[str, str], status: int) -> list[float]:
                out = []
                for i in range(REQUESTS + 5):
                    t = time.perf_counter()
                    r = s.get(handle.url + path, headers={**auth, **extra}, timeout=30)
                    if i >= 5:
                        out.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == status, r.text[:200]
                return out

            feed_ms = median(timed(FEED_PATH, {}, 200))
            not_modified_ms = median(timed(FEED_PATH, {"If-None-Match": tag}, 304))
            inbox_ms = median(timed(f"{INBOX_PATH}/{resident}", {}, 200))
        finally:
            handle.stop()
        scan = median([scan_ms(dbs[0], now) for _ in range(3)])
        for db in dbs:
            db.dispose()
    print(f"community bench · {machine()} · SQLite · {args.records:,} sessions in 3 kiosks")
    print(table(
        ["what", "median"],
        [
            ["GET feed (200, body)", f"{feed_ms:.1f} ms"],
            ["GET feed with ETag (304)", f"{not_modified_ms:.1f} ms"],
            ["GET inbox", f"{inbox_ms:.1f} ms"],
            ["plain alternative: scan every session, counts_toward", f"{scan:.1f} ms"],
            ["ingest with 3 challenges (records/s)", f"{rates[0]:,.0f}"],
            ["ingest without challenges (records/s)", f"{rates[1]:,.0f}"],
        ],
    ))
    print("progress from the feed:", progress)
    print("leaderboard lines in the feed:", leaders)
    print(json.dumps({
        "records": args.records,
        "leaders": sum(leaders.values()),
        "feed_ms": round(feed_ms, 2),
        "feed_304_ms": round(not_modified_ms, 2),
        "inbox_ms": round(inbox_ms, 2),
        "scan_ms": round(scan, 1),
        "ingest_records_per_s": round(rates[0]),
        "ingest_records_per_s_no_challenges": round(rates[1]),
    }))


if __name__ == "__main__":
    main()
