"""10,000 sessions through a fault-injecting proxy and a server restart: exactly once.

The server runs as a child process (``kiosk-server run``) behind
:class:`tests.sync.faultproxy.FaultProxy` on 127.0.0.1. About 40% of requests
go wrong (resets, timeouts before and after the server committed, 500s, 503s
with Retry-After, responses lost or cut off after the commit), and the server
process is SIGKILLed and restarted mid-run. The kiosk keeps running passes
until nothing waits; the server must then hold exactly the kiosk's 10,000
records, none missing, none duplicated.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sync.client import SyncClient, SyncSettings
from sync.server.db import Database
from sync.store import Store
from tests.sync.faultproxy import FAULTS, FaultProxy
from tests.sync.helpers import ProcessServer, session

N = 10_000


@pytest.mark.slow
def test_ten_thousand_sessions_exactly_once_through_faults(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    token = db.add_kiosk("k1")
    store = Store(tmp_path / "kiosk", retention_days=None)
    recs = [session(i) for i in range(N)]
    store.save_many(recs)
    assert store.waiting() == N

    server = ProcessServer(db_url, log=tmp_path / "server.log")
    server.start()
    restarted = threading.Event()
    with FaultProxy(server.port, fault_rate=0.4, seed=5, hold_s=0.9) as proxy:

        def restart_mid_run() -> None:
            while proxy.forwarded < 25 and not restarted.is_set():
                time.sleep(0.01)
            server.kill()  # a crash, not a polite stop
            time.sleep(0.3)
            server.start()
            restarted.set()

        restarter = threading.Thread(target=restart_mid_run, daemon=True)
        restarter.start()
        settings = SyncSettings(
            server_url=proxy.url,
            token=token,
            kiosk_id="k1",
            batch_size=100,
            connect_timeout_s=1.0,
            read_timeout_s=0.6,
            max_attempts=8,
            backoff_base_s=0.01,
            backoff_max_s=0.1,
            max_retry_after_s=1.5,
        )
        client = SyncClient(store, settings)
        passes = []
        deadline = time.monotonic() + 240
        try:
            while time.monotonic() < deadline:
                report = client.sync_once()
                passes.append(report)
                if store.waiting() == 0 and restarted.is_set():
                    break
            restarter.join(30)
        finally:
            client.close()
            server.stop()
        counts = dict(proxy.counts)

    try:
        assert restarted.is_set(), "the server was not restarted mid-run"
        assert store.waiting() == 0, (
            f"still waiting: {store.waiting()}; last: {passes[-1].summary()}"
        )
        assert store.rejected() == {}
        server_uuids = db.uuids()
        assert len(server_uuids) == N, f"server holds {len(server_uuids)}"
        assert len(set(server_uuids)) == N, "duplicates on the server"
        assert set(server_uuids) == {r.key for r in recs}
        assert db.count_records("k1") == N
        for r in recs[:: N // 20]:
            assert db.payload(r.key) == r.to_json_dict()
        for fault in FAULTS:
            assert counts.get(fault, 0) > 0, f"fault {fault} never injected: {counts}"
        total_unchanged = sum(p.unchanged for p in passes)
        assert total_unchanged > 0, "no retry of an already-committed batch happened"
        # each record was acknowledged exactly once to the kiosk, then never sent again
        assert sum(p.acknowledged for p in passes) == N
        assert sum(p.created for p in passes) < N  # some "created" answers were lost
    finally:
        store.close()
        db.dispose()
    print(
        f"\nfaults injected: {counts}; passes: {len(passes)}; "
        f"retries: {sum(p.retries for p in passes)}; resent-but-already-there: {total_unchanged}"
    )
