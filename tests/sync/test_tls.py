"""TLS verification is on: an unknown certificate stops the pass; the configured CA works."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import requests

from sync.client import SyncClient, SyncSettings
from sync.server.app import create_app
from sync.server.db import Database
from sync.store import Store
from tests.sync.helpers import free_port, self_signed_cert, session


@pytest.fixture
def tls_server(tmp_path: Path):
    if not shutil.which("openssl"):
        pytest.skip("openssl command not found (Debian package 'openssl')")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    self_signed_cert(cert, key)
    import uvicorn

    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    token = db.add_kiosk("k1")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(db),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    url = f"https://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/api/v1/health", verify=str(cert), timeout=1)
            break
        except requests.RequestException:
            threading.Event().wait(0.05)
    yield url, token, cert, db
    server.should_exit = True
    t.join(10)
    db.dispose()


def test_unknown_certificate_is_refused_and_ca_bundle_accepted(tls_server, tmp_path: Path) -> None:
    url, token, cert, db = tls_server
    with Store(tmp_path / "kiosk") as store:
        store.save(session(1))
        base = dict(
            server_url=url,
            token=token,
            kiosk_id="k1",
            max_attempts=2,
            backoff_base_s=0.01,
            connect_timeout_s=2,
            read_timeout_s=5,
        )
        refused = SyncClient(store, SyncSettings(**base)).sync_once()  # type: ignore[arg-type]
        assert not refused.ok and "TLS verification failed" in (refused.error or "")
        assert refused.requests == 1 and store.waiting() == 1 and db.count_records() == 0
        ok = SyncClient(store, SyncSettings(**base, verify=str(cert))).sync_once()  # type: ignore[arg-type]
        assert ok.ok and store.waiting() == 0 and db.count_records() == 1
