"""Bench: manager pages at scale, on SQLite and PostgreSQL, with ingest running.

- Seeds 1,000,000 exercise sessions from 200 kiosks in 20 communities over the
  last 365 days (plus 100,000 lesson records and 33,000 fitness tests), and a
  second database with a tenth of that, in bulk (records straight into the
  records table, their aggregates summed in memory and written once), on
  SQLite and on a private PostgreSQL cluster.
- Starts ``kiosk-server run`` on each database (own processes, 127.0.0.1) and,
  logged in as a district manager, times the overview (all communities) and the
  monthly report (one community, last full month): median of 20 requests after
  10 warm-ups, each over HTTP, requests to the two sizes taken in turn so both
  see the same machine load.
- The page time at 1,000,000 is compared with the time at 100,000 (target: no
  more than 1.5x), and with the plain alternative: the overview's session
  figures counted from the records table.
- Ingest while pages load: 4 kiosks post batches of 500 new sessions through
  the real API while 2 clients request pages without pause; the rate of
  acknowledged records (target: at least 2,000 records/s), the server run as
  deployed for the engine (one worker on SQLite, two on PostgreSQL); and, in-process,
  ``Database.upsert`` with and without the aggregates (their cost).

Targets (issue 14): pages under 300 ms at 1,000,000 sessions on both engines.
Last line: ``{"sessions", "overview_ms_sqlite", "overview_ms_postgres",
"report_ms_postgres", "ingest_records_per_s_during_pages"}``; the ingest rate is
the lower of the two engines'.

Run: .venv/bin/python bench/dashboard_bench.py [--sessions N] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from bench._common import machine, median, table  # noqa: E402
from sync.server.db import Database  # noqa: E402
from sync.server.web import auth  # noqa: E402
from sync.server.web.aggregates import Delta, load_fresh  # noqa: E402
from sync.server.web.norms import load_norms  # noqa: E402
from sync.server.web.record_facts import AGE_GROUPS, Facts  # noqa: E402
from tests.pg_cluster import running_cluster  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
KIOSKS, COMMUNITIES, RESIDENTS_PER_COMMUNITY, DAYS = 200, 20, 300, 365
EXERCISES = ["squat", "sit_to_stand", "bicep_curl", "lunge", "jumping_jack", "knee_raise"]
LESSONS = [f"lesson-{i:02d}" for i in range(12)]
PASSWORD = "bench-password-2026"
REQUESTS = 20


def community_of(k: int) -> str:
    return f"community-{k % COMMUNITIES:02d}"


def kiosk_name(k: int) -> str:
    return f"kiosk-{k:03d}"


@dataclass(frozen=True)
class Resident:
    rid: str
    age_group: str
    sex: str


def residents_of(c: int) -> list[Resident]:
    rng = random.Random(c)
    groups = AGE_GROUPS[1:8]
    return [
        Resident(f"c{c:02d}-r{i:04d}", rng.choice(groups), rng.choice(("female", "male")))
        for i in range(RESIDENTS_PER_COMMUNITY)
    ]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def generate(
    sessions: int, today: date, seed: int = 14
) -> Iterator[tuple[str, str, list[dict[str, object]], list[Facts]]]:
    """Per kiosk: (community, kiosk, record rows, facts), for the whole year."""
    norms = load_norms()
    per_kiosk = sessions // KIOSKS
    now = _iso(datetime.now(UTC))
    for k in sorted(range(KIOSKS), key=lambda k: (k % COMMUNITIES, k)):
        rng = random.Random(seed * 1000 + k)
        c = k % COMMUNITIES
        people = residents_of(c)
        kiosk, community = kiosk_name(k), community_of(k)
        rows: list[dict[str, object]] = []
        facts: list[Facts] = []
        n_lessons, n_tests = per_kiosk // 10, per_kiosk // 30
        kinds = ["s"] * per_kiosk + ["l"] * n_lessons + ["t"] * n_tests
        for kind in kinds:
            back = int(rng.triangular(0, DAYS - 1, 0))  # more recent days busier
            day = today - timedelta(days=back)
            minute = rng.randrange(6 * 60, 21 * 60)
            local = datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(minutes=minute)
            t = local.astimezone(UTC)
            guest = rng.random() < 0.15
            p = rng.choice(people)
            resident = "guest" if guest else p.rid
            age, sex = ("unknown", "unknown") if guest else (p.age_group, p.sex)
            uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if kind == "s":
                ex = rng.choice(EXERCISES)
                reps = rng.randrange(3, 30)
                dur = float(rng.randrange(30, 600))
                completed = rng.random() < 0.85
                payload = {
                    "schema_version": 3,
                    "uuid": uid,
                    "kiosk_id": kiosk,
                    "resident": resident,
                    "kind": "exercise_session",
                    "exercise": ex,
                    "activity": "reps",
                    "target": {"value": 10.0, "unit": "reps"},
                    "value": float(reps),
                    "unit": "reps",
                    "repetitions": reps,
                    "good_repetitions": reps // 2,
                    "rep_flags": [],
                    "duration_s": dur,
                    "heart_rate": None,
                    "started_at": _iso(t - timedelta(seconds=dur)),
                    "ended_at": _iso(t),
                    "utc_offset_min": 480,
                    "completed": completed,
                }
                rows.append(
                    _row(
                        payload,
                        kiosk,
                        uid,
                        "exercise_session",
                        resident,
                        t,
                        day,
                        float(reps),
                        "reps",
                        now,
                    )
                )
                facts.append(
                    Facts(
                        "exercise_session",
                        ex,
                        day,
                        local.hour,
                        None if guest else resident,
                        age,
                        sex,
                        completed,
                        reps,
                        int(dur * 1000),
                        float(reps),
                        None,
                        None,
                    )
                )
            elif kind == "l":
                lesson = rng.choice(LESSONS)
                done = rng.random() < 0.6
                progress = 1.0 if done else round(rng.random(), 2)
                payload = {
                    "schema_version": 3,
                    "uuid": uid,
                    "kiosk_id": kiosk,
                    "resident": resident,
                    "kind": "lesson_progress",
                    "lesson_id": lesson,
                    "progress": progress,
                    "position_s": 0.0,
                    "completed": done,
                    "updated_at": _iso(t),
                    "utc_offset_min": 480,
                }
                rows.append(
                    _row(
                        payload,
                        kiosk,
                        uid,
                        "lesson_progress",
                        resident,
                        t,
                        day,
                        progress,
                        "ratio",
                        now,
                    )
                )
                facts.append(
                    Facts(
                        "lesson_progress",
                        lesson,
                        day,
                        local.hour,
                        None if guest else resident,
                        age,
                        sex,
                        done,
                        0,
                        0,
                        progress,
                        None,
                        None,
                    )
                )
            else:
                value = float(rng.randrange(4, 24))
                payload = {
                    "schema_version": 3,
                    "uuid": uid,
                    "kiosk_id": kiosk,
                    "resident": resident,
                    "kind": "fitness_test",
                    "test": "chair_stand_30s",
                    "value": value,
                    "unit": "reps",
                    "measured_at": _iso(t),
                    "utc_offset_min": 480,
                    "device": "",
                }
                rows.append(
                    _row(payload, kiosk, uid, "fitness_test", resident, t, day, value, "reps", now)
                )
                band = norms.band("chair_stand_30s", age, sex, value)
                facts.append(
                    Facts(
                        "fitness_test",
                        "chair_stand_30s",
                        day,
                        local.hour,
                        None if guest else resident,
                        age,
                        sex,
                        True,
                        0,
                        0,
                        value,
                        None,
                        band,
                    )
                )
        yield community, kiosk, rows, facts


def _row(
    payload: dict[str, object],
    kiosk: str,
    uid: str,
    kind: str,
    resident: str,
    t: datetime,
    day: date,
    value: float,
    unit: str,
    now: str,
) -> dict[str, object]:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return {
        "kiosk_id": kiosk,
        "uuid": uid,
        "kind": kind,
        "schema_version": 3,
        "resident": resident,
        "occurred_at": _iso(t),
        "local_day": day,
        "value": value,
        "unit": unit,
        "payload": text,
        "payload_hash": hashlib.sha256(text.encode()).hexdigest(),
        "received_at": now,
        "updated_at": now,
    }


COLUMNS = [
    "kiosk_id",
    "uuid",
    "kind",
    "schema_version",
    "resident",
    "occurred_at",
    "local_day",
    "value",
    "unit",
    "payload",
    "payload_hash",
    "received_at",
    "updated_at",
]


def seed(db_url: str, sessions: int, today: date) -> tuple[dict[str, str], float, int]:
    """Kiosks, a district manager, the records and their aggregates; returns tokens, seconds, records.

    One transaction on one connection: per community, its records go into the
    records table (COPY on PostgreSQL) and their aggregates are summed in
    memory, then written with ``aggregates.load_fresh`` (plain inserts).
    """
    t0 = time.perf_counter()
    db = Database(db_url)
    tokens = {
        kiosk_name(k): db.add_kiosk(kiosk_name(k), community=community_of(k)) for k in range(KIOSKS)
    }
    auth.add_manager(db.engine, "district", PASSWORD, None, language="en")
    total = 0
    with db.engine.begin() as conn:

        def deltas() -> Iterator[Delta]:
            nonlocal total
            current, delta = "", Delta()
            for community, kiosk, rows, facts in generate(sessions, today):
                if community != current and current:
                    yield delta
                    delta = Delta()
                current = community
                if db.is_sqlite:
                    sql = (
                        f"INSERT INTO records ({', '.join(COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(COLUMNS))})"
                    )
                    conn.exec_driver_sql(sql, [tuple(_sqlite(r[c]) for c in COLUMNS) for r in rows])
                else:
                    raw = conn.connection.driver_connection
                    assert raw is not None
                    with raw.cursor() as cur:
                        with cur.copy(f"COPY records ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                            for r in rows:
                                cp.write_row([r[c] for c in COLUMNS])
                delta.add(community, kiosk, facts)
                total += len(rows)
            yield delta

        load_fresh(conn, deltas())
    if not db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    db.dispose()
    return tokens, time.perf_counter() - t0, total


def _sqlite(v: object) -> object:
    return v.isoformat() if isinstance(v, date) else v


WORKERS = {"sqlite": 1, "postgres": 2}
"""Server worker processes: SQLite is the embedded single-process default (its writers
queue on one file lock anyway); PostgreSQL as deploy/server/server.toml installs a fleet
server (about one worker per core)."""
WARMUPS = 10
"""Requests before timing a page: every worker process compiles its queries and templates."""


class Server:
    def __init__(self, db_url: str, log: Path, workers: int) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.out = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync.server.cli",
                "run",
                "--db",
                db_url,
                "--port",
                str(self.port),
                "--log-level",
                "WARNING",
                "--workers",
                str(workers),
            ],
            stdout=self.out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {log}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start; see {log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.out.close()


def login(url: str) -> requests.Session:
    s = requests.Session()
    page = s.get(url + "/login", timeout=30)
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = s.post(
        url + "/login",
        data={"name": "district", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    assert r.status_code == 303, r.text[:300]
    return s


def time_pages(targets: list[tuple[requests.Session, str]], n: int = REQUESTS) -> list[float]:
    """Median time of each target page; requests alternate between the targets, so pages of
    the small and the large database are timed under the same machine load."""
    for s, url in targets:
        for _ in range(WARMUPS):
            assert s.get(url, timeout=60).status_code == 200
    times: list[list[float]] = [[] for _ in targets]
    for _ in range(n):
        for i, (s, url) in enumerate(targets):
            t = time.perf_counter()
            r = s.get(url, timeout=60)
            times[i].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
    return [median(t) for t in times]


def _session_json(kiosk: str, resident: str, i: int, t: datetime) -> dict[str, object]:
    """A new exercise session as a kiosk posts it."""
    return {
        "schema_version": 3,
        "uuid": str(uuid.uuid4()),
        "kiosk_id": kiosk,
        "resident": resident,
        "kind": "exercise_session",
        "exercise": EXERCISES[i % len(EXERCISES)],
        "activity": "reps",
        "target": {"value": 10.0, "unit": "reps"},
        "value": 12.0,
        "unit": "reps",
        "repetitions": 12,
        "good_repetitions": 6,
        "rep_flags": [],
        "duration_s": 60.0,
        "heart_rate": None,
        "started_at": _iso(t - timedelta(seconds=60)),
        "ended_at": _iso(t),
        "utc_offset_min": 480,
        "completed": True,
    }


def ingest_during_pages(
    server: Server, tokens: dict[str, str], today: date, seconds: float
) -> tuple[float, float, float]:
    """Records/s acknowledged while pages load; and the pages' median time meanwhile."""
    kiosks = list(tokens)[:4]
    bodies: dict[str, list[bytes]] = {}
    for k in kiosks:
        bodies[k] = []
        for b in range(80):
            recs = []
            for i in range(500):
                t = datetime.now(UTC) - timedelta(minutes=i)
                recs.append(_session_json(k, f"c00-r{(b * 500 + i) % 300:04d}", i, t))
            bodies[k].append(json.dumps({"records": recs}).encode())
    stop = threading.Event()
    acked = [0]
    page_times: list[float] = []
    lock = threading.Lock()
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    pages = [
        f"{server.url}/overview",
        f"{server.url}/report?community={community_of(0)}&month={month}",
    ]

    def ingest(k: str) -> None:
        s = requests.Session()
        for body in bodies[k]:
            if stop.is_set():
                return
            r = s.post(
                server.url + "/api/v1/records",
                data=body,
                timeout=120,
                headers={
                    "Authorization": f"Bearer {tokens[k]}",
                    "Content-Type": "application/json",
                },
            )
            if r.status_code == 200:
                with lock:
                    acked[0] += r.json()["accepted"]

    def browse(i: int) -> None:
        s = login(server.url)
        j = i
        while not stop.is_set():
            t = time.perf_counter()
            r = s.get(pages[j % 2], timeout=60)
            if r.status_code == 200:
                with lock:
                    page_times.append((time.perf_counter() - t) * 1000)
            j += 1

    browsers = [threading.Thread(target=browse, args=(i,)) for i in range(2)]
    for browser in browsers:
        browser.start()
    time.sleep(1.0)
    t0 = time.perf_counter()
    writers = [threading.Thread(target=ingest, args=(k,)) for k in kiosks]
    for w in writers:
        w.start()
    time.sleep(seconds)
    stop.set()
    for w in writers:
        w.join()
    elapsed = time.perf_counter() - t0
    for browser in browsers:
        browser.join()
    return acked[0] / elapsed, median(page_times), float(len(page_times))


def scan_overview_ms(db_url: str, today: date) -> float:
    """The plain alternative: the overview's session figures straight from the records table
    (this month's sessions and distinct residents, sessions per day over 90 days)."""
    from sqlalchemy import func, select

    from sync.server.tables import records

    db = Database(db_url)
    month = today.replace(day=1)
    sessions = records.c.kind == "exercise_session"
    q1 = select(func.count(), func.count(func.distinct(records.c.resident))).where(
        sessions, records.c.local_day.between(month, today)
    )
    q2 = (
        select(records.c.local_day, func.count())
        .where(sessions, records.c.local_day.between(today - timedelta(days=89), today))
        .group_by(records.c.local_day)
    )
    times = []
    with db.engine.connect() as conn:
        for i in range(8):
            t = time.perf_counter()
            conn.execute(q1).all()
            conn.execute(q2).all()
            if i >= 3:
                times.append((time.perf_counter() - t) * 1000)
    db.dispose()
    return median(times)


def upsert_rates(db_url: str, today: date) -> tuple[float, float]:
    """In-process ``Database.upsert`` of 500-session batches: records/s with the aggregates
    counted in the transaction, and with the counting switched off (the plain ingest)."""
    from sync.records import Record, parse_record

    db = Database(db_url)
    kiosk = kiosk_name(0)

    def batches(n: int) -> list[list[Record]]:
        out = []
        for b in range(n):
            batch = []
            for i in range(500):
                t = datetime.now(UTC) - timedelta(minutes=i)
                batch.append(
                    parse_record(_session_json(kiosk, f"c00-r{(b * 7 + i) % 300:04d}", i, t))
                )
            out.append(batch)
        return out

    rates = []
    for counting in (True, False):
        todo = batches(6)
        db.count_aggregates = counting
        t = time.perf_counter()
        for batch in todo:
            db.upsert(kiosk, batch)
        rates.append(3000 / (time.perf_counter() - t))
    db.dispose()
    return rates[0], rates[1]


PAGES = {
    "overview_ms": "/overview",
    "overview_one_ms": "/overview?community={c}",
    "report_ms": "/report?community={c}&month={m}",
    "report_all_ms": "/report?month={m}",
    "fleet_ms": "/fleet",
    "lessons_ms": "/lessons?month={m}",
}


def measure_engine(
    urls: dict[int, str], today: date, work: Path, ingest_s: float
) -> dict[int, dict[str, float]]:
    """Seed one database per size, serve them all at once, time their pages interleaved;
    then the ingest rate during page loads and the upsert rates on the largest."""
    out: dict[int, dict[str, float]] = {}
    tokens: dict[int, dict[str, str]] = {}
    for n, url in urls.items():
        print(f"    seeding {n:,} sessions ...", flush=True)
        tokens[n], seed_s, records = seed(url, n, today)
        out[n] = {
            "records": float(records),
            "seed_s": seed_s,
            "scan_ms": scan_overview_ms(url, today),
        }
        print(f"    seeded {records:,} records in {seed_s:.0f} s", flush=True)
    big = max(urls)
    engine = "sqlite" if urls[big].startswith("sqlite") else "postgres"
    # Page times: one worker per server, so a page's requests always meet the same
    # process (with several, a keep-alive connection sticks to one of them at random).
    servers = {n: Server(url, work / f"server-{n}.log", 1) for n, url in urls.items()}
    try:
        sessions = {n: login(srv.url) for n, srv in servers.items()}
        month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        for key, path in PAGES.items():
            page = path.format(c=community_of(0), m=month)
            order = sorted(servers)
            medians = time_pages([(sessions[n], servers[n].url + page) for n in order])
            for n, ms in zip(order, medians, strict=True):
                out[n][key] = ms
    finally:
        for srv in servers.values():
            srv.stop()
    if ingest_s > 0:
        # Ingest while pages load: the server as deployed for this engine.
        server = Server(urls[big], work / f"server-{big}-ingest.log", WORKERS[engine])
        try:
            rate, page_ms, pages = ingest_during_pages(server, tokens[big], today, ingest_s)
        finally:
            server.stop()
        out[big].update(
            ingest_per_s=rate, pages_during_ingest_ms=page_ms, pages_during_ingest=pages
        )
    if ingest_s > 0:
        counted, plain = upsert_rates(urls[big], today)
        out[big].update(upsert_counted_per_s=counted, upsert_plain_per_s=plain)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 vs 10,000 sessions, short ingest")
    ap.add_argument("--ingest-seconds", type=float, default=15.0)
    args = ap.parse_args()
    big = 100_000 if args.quick else args.sessions
    small = big // 10
    ingest_s = 5.0 if args.quick else args.ingest_seconds
    today = datetime.now(TZ).date()
    auth.set_hash_cost(time_cost=1, memory_kib=8 * 1024)  # the bench's manager only
    work = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    results: dict[tuple[str, int], dict[str, float]] = {}
    print(
        f"dashboard bench on {machine()}, load {os.getloadavg()[0]:.1f}; "
        f"{KIOSKS} kiosks, {COMMUNITIES} communities, {DAYS} days; "
        f"server worker processes: SQLite {WORKERS['sqlite']}, PostgreSQL {WORKERS['postgres']}",
        flush=True,
    )
    try:
        with running_cluster("-c shared_buffers=256MB -c synchronous_commit=on") as cluster:
            for engine in ("sqlite", "postgres"):
                print(f"  {engine}:", flush=True)
                urls = {
                    n: (
                        f"sqlite:///{work / f'server-{n}.db'}"
                        if engine == "sqlite"
                        else cluster.new_database(f"dash_{n}")
                    )
                    for n in (small, big)
                }
                for n, r in measure_engine(urls, today, work, ingest_s).items():
                    results[(engine, n)] = r
                    print(
                        f"    {n:,}: overview {r['overview_ms']:.1f} ms, "
                        f"report {r['report_ms']:.1f} ms",
                        flush=True,
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for (engine, n), r in sorted(results.items()):
        rows.append(
            [
                engine,
                f"{n:,}",
                f"{r['records']:,.0f}",
                f"{r['seed_s']:.0f}",
                f"{r['overview_ms']:.1f}",
                f"{r['overview_one_ms']:.1f}",
                f"{r['report_ms']:.1f}",
                f"{r['report_all_ms']:.1f}",
                f"{r['fleet_ms']:.1f}",
                f"{r['lessons_ms']:.1f}",
            ]
        )
    print()
    print(
        f"Page times, median of {REQUESTS} HTTP requests (ms), the two sizes served at once and "
        f"requested in turn; load {os.getloadavg()[0]:.1f}"
    )
    print(
        table(
            [
                "engine",
                "sessions",
                "records",
                "seed s",
                "overview all",
                "overview one",
                "report one",
                "report all",
                "fleet",
                "lessons",
            ],
            rows,
        )
    )
    print()
    ratio_rows = []
    for engine in ("sqlite", "postgres"):
        b, s = results[(engine, big)], results[(engine, small)]
        for key in ("overview_ms", "report_ms"):
            ratio_rows.append(
                [
                    engine,
                    key.replace("_ms", ""),
                    f"{s[key]:.1f}",
                    f"{b[key]:.1f}",
                    f"{b[key] / s[key]:.2f}x",
                    "yes" if b[key] / s[key] <= 1.5 else "NO",
                ]
            )
    for engine in ("sqlite", "postgres"):
        b, s = results[(engine, big)], results[(engine, small)]
        ratio_rows.append(
            [
                engine,
                "plain: scan records",
                f"{s['scan_ms']:.1f}",
                f"{b['scan_ms']:.1f}",
                f"{b['scan_ms'] / s['scan_ms']:.2f}x",
                "(no aggregates)",
            ]
        )
    print(f"Page time at {big:,} vs {small:,} sessions (target <= 1.5x); the plain alternative")
    print("computes the overview's session figures from the records table instead")
    print(table(["engine", "page", f"{small:,} ms", f"{big:,} ms", "ratio", "ok"], ratio_rows))
    print()
    ing = [
        [
            e,
            f"{results[(e, big)]['ingest_per_s']:,.0f}",
            f"{results[(e, big)]['pages_during_ingest_ms']:.1f}",
            f"{results[(e, big)]['pages_during_ingest']:.0f}",
        ]
        for e in ("sqlite", "postgres")
    ]
    print(
        f"Ingest during page loads ({ingest_s:.0f} s, 4 kiosks x 500-record batches, 2 page clients; target >= 2,000/s)"
    )
    print(table(["engine", "records/s", "page median ms", "pages served"], ing))
    print()
    ups = [
        [
            e,
            f"{results[(e, big)]['upsert_counted_per_s']:,.0f}",
            f"{results[(e, big)]['upsert_plain_per_s']:,.0f}",
        ]
        for e in ("sqlite", "postgres")
    ]
    print(
        "Database.upsert in-process, 500-session batches: with the aggregates vs the plain ingest"
    )
    print(table(["engine", "with aggregates rec/s", "plain rec/s"], ups))
    out = {
        "sessions": big,
        "overview_ms_sqlite": round(results[("sqlite", big)]["overview_ms"], 1),
        "overview_ms_postgres": round(results[("postgres", big)]["overview_ms"], 1),
        "report_ms_postgres": round(results[("postgres", big)]["report_ms"], 1),
        "ingest_records_per_s_during_pages": round(
            min(results[(e, big)]["ingest_per_s"] for e in ("sqlite", "postgres"))
        ),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
