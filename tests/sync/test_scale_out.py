"""Two server processes against one PostgreSQL behind a round-robin balancer, one killed.

20 kiosks (threads, each with its own durable store, token and sync client)
hold 500 sessions each. They sync through :class:`RoundRobinProxy` to two
``kiosk-server run`` processes that share one PostgreSQL database. When
about a third of the batches have been stored, one server is SIGKILLed: its
open connections die mid-request (some after the database committed, some
before), the balancer sends new connections to the survivor, and the kiosks
retry. Then the killed server is started again. In the end the database
holds exactly the 10,000 sessions the kiosks made, each once, and both
servers answer, each seeing what the other stored: the records API, the
community pull channel (same feed and ETag from either) and the manager pages
(a session made on one server is valid on the other).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from sync.client import SyncClient, SyncSettings
from sync.community import FEED_PATH
from sync.server.db import Database, records
from sync.server.web.auth import add_manager
from sync.store import Store
from tests.sync.conftest import PgCluster
from tests.sync.helpers import ProcessServer, session
from tests.sync.rrproxy import RoundRobinProxy

KIOSKS = 20
PER_KIOSK = 500
BATCH = 100


@pytest.mark.postgres
@pytest.mark.slow
def test_ten_thousand_sessions_from_20_kiosks_two_servers_one_killed(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    db_url = pg_cluster.new_database("kiosk_scale_out")
    db = Database(db_url)
    names = [f"kiosk-{k:02d}" for k in range(KIOSKS)]
    tokens = {n: db.add_kiosk(n) for n in names}
    stores: dict[str, Store] = {}
    made: set[tuple[str, str]] = set()
    for n in names:
        st = Store(tmp_path / n, retention_days=None)
        recs = [session(i, n) for i in range(PER_KIOSK)]
        st.save_many(recs)
        made.update((n, r.key) for r in recs)
        stores[n] = st
    assert len(made) == KIOSKS * PER_KIOSK

    a = ProcessServer(db_url, log=tmp_path / "a.log")
    b = ProcessServer(db_url, log=tmp_path / "b.log")
    a.start()
    b.start()
    killed = threading.Event()
    errors: list[str] = []
    try:
        with RoundRobinProxy([a.port, b.port]) as proxy:

            def kill_a_mid_run() -> None:
                while db.count_records() < KIOSKS * PER_KIOSK // 3:
                    time.sleep(0.02)
                a.kill()  # SIGKILL: requests in flight on it are cut off
                killed.set()

            killer = threading.Thread(target=kill_a_mid_run, daemon=True)

            def run_kiosk(name: str) -> None:
                client = SyncClient(stores[name], SyncSettings(
                    server_url=proxy.url, token=tokens[name], kiosk_id=name,
                    batch_size=BATCH, connect_timeout_s=2, read_timeout_s=30,
                    max_attempts=10, backoff_base_s=0.05, backoff_max_s=0.5,
                ))
                try:
                    deadline = time.monotonic() + 240
                    while time.monotonic() < deadline:
                        client.sync_once()
                        if stores[name].waiting() == 0 and killed.is_set():
                            return
                        time.sleep(0.05)
                    errors.append(f"{name}: {stores[name].waiting()} still waiting")
                finally:
                    client.close()

            threads = [threading.Thread(target=run_kiosk, args=(n,)) for n in names]
            killer.start()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            killer.join(10)
            assert killed.is_set(), "the server was never killed"
            assert not errors, errors
            assert proxy.connections[a.port] > 0 and proxy.connections[b.port] > 0
            assert proxy.refused[a.port] > 0, "no connection met the dead server"

            a.start()  # back after the crash
            with db.engine.connect() as conn:
                rows = conn.execute(select(records.c.kiosk_id, records.c.uuid)).all()
                total = conn.execute(select(func.count()).select_from(records)).scalar_one()
            stored = {(k, u) for k, u in rows}
            assert total == len(rows) == len(stored), "a record was stored twice"
            assert stored == made, (
                f"lost {len(made - stored)}, unexpected {len(stored - made)}"
            )
            for st in stores.values():
                assert st.waiting() == 0 and not st.rejected()

            # Both servers answer, and each sees what the other stored.
            sample = session(0, names[0])
            for server in (a, b):
                health = requests.get(f"{server.url}/api/v1/health", timeout=10)
                assert health.status_code == 200 and health.json()["database"] == "ok"
            first = requests.post(
                f"{a.url}/api/v1/records", json={"records": [sample.to_json_dict()]},
                headers={"Authorization": f"Bearer {tokens[names[0]]}"}, timeout=10,
            )
            again = requests.post(
                f"{b.url}/api/v1/records", json={"records": [sample.to_json_dict()]},
                headers={"Authorization": f"Bearer {tokens[names[0]]}"}, timeout=10,
            )
            assert first.json()["results"][0]["status"] == "created"
            assert again.json()["results"][0]["status"] == "unchanged"

            # The pull channel answers from either, with the same feed and ETag.
            auth = {"Authorization": f"Bearer {tokens[names[0]]}"}
            feeds = [requests.get(server.url + FEED_PATH, headers=auth, timeout=10)
                     for server in (a, b)]
            assert [f.status_code for f in feeds] == [200, 200]
            assert feeds[0].headers["etag"] == feeds[1].headers["etag"]
            assert feeds[0].json()["version"] == feeds[1].json()["version"]
            cached = requests.get(server_b_feed := b.url + FEED_PATH, timeout=10,
                                  headers={**auth, "If-None-Match": feeds[0].headers["etag"]})
            assert cached.status_code == 304, server_b_feed

            # A manager signs in on one server; the other accepts the session (one secret).
            add_manager(db.engine, "district", "scale-out-pass-1", None)
            s = requests.Session()
            page = s.get(a.url + "/login", timeout=10)
            csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed_in = s.post(a.url + "/login", timeout=10, allow_redirects=False, data={
                "name": "district", "password": "scale-out-pass-1", "csrf_token": csrf})
            assert signed_in.status_code == 303, signed_in.text[:300]
            for server in (a, b):
                overview = s.get(server.url + "/overview", timeout=30, allow_redirects=False)
                assert overview.status_code == 200, (server.url, overview.status_code)
                assert "kiosk-00" in s.get(server.url + "/fleet", timeout=30).text
    finally:
        a.stop()
        b.stop()
        for st in stores.values():
            st.close()
        db.dispose()
