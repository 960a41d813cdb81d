"""The sync client against a real server and against a misbehaving one on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import random
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sync.client import SyncClient, SyncSettings, parse_retry_after
from sync.store import Store
from tests.sync.conftest import LiveServer
from tests.sync.helpers import free_port, session

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def fast(url: str, token: str, **over: object) -> SyncSettings:
    base = dict(
        server_url=url,
        token=token,
        kiosk_id="k1",
        batch_size=20,
        connect_timeout_s=1,
        read_timeout_s=5,
        max_attempts=3,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
    )
    base.update(over)
    return SyncSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "kiosk", retention_days=None)
    yield s
    s.close()


@sqlite_only
def test_a_pass_sends_everything_once(
    live_server: LiveServer, store: Store, tmp_path: Path
) -> None:
    recs = [session(i) for i in range(55)]
    store.save_many(recs)
    client = SyncClient(
        store, fast(live_server.url, live_server.tokens["k1"]), state_file=tmp_path / "state.json"
    )
    report = client.sync_once()
    assert report.ok and report.created == 55 and report.batches == 3 and report.waiting == 0
    assert "55 acknowledged" in report.summary()
    assert live_server.db.count_records() == 55
    again = client.sync_once()
    assert again.ok and again.sent == 0
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["last_success_at"] and state["last_error"] is None
    assert client.heartbeat()
    client.close()


@sqlite_only
def test_rejected_records_are_kept_aside_not_resent(live_server: LiveServer, store: Store) -> None:
    ours = [session(i) for i in range(5)]
    foreign = session(99, kiosk="k2")  # e.g. the kiosk id was changed in the config
    store.save_many([*ours, foreign])
    client = SyncClient(store, fast(live_server.url, live_server.tokens["k1"]))
    report = client.sync_once()
    assert report.ok and report.created == 5 and report.rejected == 1
    assert store.waiting() == 0
    assert "kiosk_id" in store.rejected()[foreign.key]
    assert client.sync_once().sent == 0  # not resent forever
    assert store.retry_rejected() == 1 and store.waiting() == 1
    client.close()


@sqlite_only
def test_wrong_token_marks_nothing(live_server: LiveServer, store: Store) -> None:
    store.save(session(1))
    client = SyncClient(store, fast(live_server.url, "not-a-token"))
    report = client.sync_once()
    assert not report.ok and "401" in (report.error or "")
    assert report.requests == 1  # not retried
    assert store.waiting() == 1 and client.state.last_error_at
    client.close()


@sqlite_only
def test_oversize_batch_is_split(live_server: LiveServer, store: Store) -> None:
    big = [
        session(
            i,
            repetitions=9000,
            good_repetitions=0,
            rep_flags=[[f"flag-{random.random():.12f}"] for _ in range(9000)],
        )
        for i in range(24)
    ]
    store.save_many(big)  # about 5 MB of JSON: over the server's 4 MB limit in one batch
    client = SyncClient(store, fast(live_server.url, live_server.tokens["k1"], batch_size=24))
    report = client.sync_once()
    assert report.ok, report.summary()
    assert report.batches > 1 and report.sent == 24
    assert live_server.db.count_records() == 24 and store.waiting() == 0
    client.close()


def test_server_down_is_reported_with_time(store: Store) -> None:
    store.save(session(1))
    client = SyncClient(store, fast(f"http://127.0.0.1:{free_port()}", "t", max_attempts=2))
    report = client.sync_once()
    assert not report.ok and "ConnectionError" in (report.error or "")
    assert report.retries == 1 and store.waiting() == 1
    assert client.state.last_error and client.state.last_error_at
    assert client.state.last_success_at is None
    client.close()


def test_no_token_means_no_request(store: Store) -> None:
    store.save(session(1))
    client = SyncClient(store, fast("http://127.0.0.1:9", ""))
    report = client.sync_once()
    assert report.requests == 0 and "no sync token" in (report.error or "")


class Quirky(BaseHTTPRequestHandler):
    """A server that acknowledges only some records, mentions strangers, and says 503 first."""

    seen: list[str] = []
    calls = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        recs = json.loads(body)["records"]
        results = []
        for i, r in enumerate(recs):
            type(self).seen.append(r["uuid"])
            if i % 2 == 0:  # acknowledge only every other record
                results.append({"index": i, "uuid": r["uuid"], "status": "created", "errors": []})
        results.append(
            {
                "index": 99,
                "uuid": "00000000-0000-4000-8000-000000000000",
                "status": "created",
                "errors": [],
            }
        )
        out = json.dumps({"results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def test_partial_acknowledgements(store: Store) -> None:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Quirky)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        recs = [session(i) for i in range(16)]
        store.save_many(recs)
        client = SyncClient(
            store, fast(f"http://127.0.0.1:{srv.server_address[1]}", "tok", batch_size=8)
        )
        report = client.sync_once(max_batches=1)
        assert report.retries == 1  # the 503 with Retry-After: 0
        assert report.created == 4 and store.waiting() == 12
        acked = {r.key for r in recs[:8:2]}
        assert all(store.is_synced(k) for k in acked)
        assert not any(store.is_synced(r.key) for r in recs[1:8:2])
        assert store.count() == 16  # the stranger uuid in the answer changed nothing
        report = client.sync_once()
        assert report.ok and store.waiting() == 0
        # an unacknowledged record was sent again; an acknowledged one never was
        assert Quirky.seen.count(recs[1].key) >= 2 and Quirky.seen.count(recs[0].key) == 1
        client.close()
    finally:
        srv.shutdown()
        srv.server_close()


def test_retry_after_and_backoff() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = time.time()
    assert 9 <= parse_retry_after(formatdate(now + 10, usegmt=True), now=now) <= 10  # type: ignore[operator]
    assert parse_retry_after(formatdate(now - 10, usegmt=True), now=now) == 0
    client = SyncClient.__new__(SyncClient)
    client.settings = fast("http://x", "t", backoff_base_s=1.0, backoff_max_s=30.0)
    client._rng = random.Random(1)
    for attempt in range(1, 10):
        cap = min(30.0, 2 ** (attempt - 1))
        d = client.backoff_delay(attempt)
        assert cap / 2 <= d <= cap
    assert client.backoff_delay(1, retry_after=20) >= 20
    assert client.backoff_delay(1, retry_after=10_000) <= 600  # a silly Retry-After is capped


def test_heartbeat_carries_content_and_an_older_server_still_hears_it(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real server stores the installed content versions; a server from before that
    field (the heartbeat route with the old request shape) answers 422, and the client
    says the rest again without it."""
    from datetime import datetime

    from pydantic import BaseModel, ConfigDict

    import sync.server.routes.heartbeat as route
    from sync.client import HeartbeatFacts
    from sync.server.app import create_app
    from sync.server.db import Database
    from sync.server.tables import kiosks
    from tests.sync.helpers import start_thread_server

    class OldHeartbeatRequest(BaseModel):  # the wire shape before ``content``
        model_config = ConfigDict(extra="forbid")
        kiosk_id: str
        waiting: int = 0
        rejected: int = 0
        app_version: str = ""
        sent_at: datetime | None = None

    def last_beat(db: Database) -> dict:
        from sqlalchemy import select

        with db.engine.connect() as conn:
            raw = conn.execute(select(kiosks.c.last_heartbeat).where(kiosks.c.name == "k1"))
            return json.loads(raw.scalar_one())

    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    srv = start_thread_server(create_app(db))
    try:
        client = SyncClient(store, fast(srv.url, db.add_kiosk("k1")))
        facts = HeartbeatFacts(content={"sample-lessons": 3, "city-exercises": 1})
        assert client.heartbeat(facts)
        assert last_beat(db)["content"] == {"sample-lessons": 3, "city-exercises": 1}
        monkeypatch.setattr(route, "HeartbeatRequest", OldHeartbeatRequest)
        assert client.heartbeat(facts)
        assert "content" not in last_beat(db) and last_beat(db)["kiosk_id"] == "k1"
        client.close()
    finally:
        srv.stop()
        db.dispose()
