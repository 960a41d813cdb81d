"""Kiosk-side glue: the store and sync services built from a config, and ``kiosk sync``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.config import Config, DataLayout, KioskSection, SyncSection
from kiosk.services.store import StoreService
from kiosk.services.sync import SyncService
from sync.client import HeartbeatFacts, SyncReport
from sync.records import RecordError
from sync.server.tables import kiosks
from sync.store import Store
from tests.sync.conftest import LiveServer
from tests.sync.helpers import REPO, free_port, session

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def make_config(data: Path, url: str, **sync: object) -> Config:
    return Config(
        kiosk=KioskSection(id="k1", data_dir=str(data)),
        sync=SyncSection(
            server_url=url,
            max_attempts=2,
            backoff_base_s=0.01,
            backoff_max_s=0.05,
            connect_timeout_s=1,
            **sync,
        ),
    )


@sqlite_only
def test_services_save_sync_and_report_the_true_state(
    live_server: LiveServer, tmp_path: Path
) -> None:
    DataLayout(tmp_path).sync_token.write_text(live_server.tokens["k1"] + "\n")
    cfg = make_config(tmp_path, live_server.url)
    posted: list = []
    stores = StoreService(cfg, post=lambda fn: posted.append(fn) or fn())
    stores.start()
    done = threading.Event()
    results: list = []
    stores.save_async(session(1), on_done=lambda err: (results.append(err), done.set()))
    assert done.wait(10) and results == [None]
    stores.save(session(2))
    with pytest.raises(RecordError):
        stores.save(session(3).to_json_dict() | {"duration_s": -5})
    row = stores.status()[0]
    assert row.area == "store" and row.state == "ok" and row.extra["waiting"] == "2"

    reports: list[SyncReport] = []
    syncs = SyncService(
        cfg, stores, post=lambda fn: fn(), on_pass=reports.append, first_pass_delay_s=0.0,
        heartbeat_facts=lambda: HeartbeatFacts(content={"sample-lessons": 2}),
    )
    syncs.start()
    try:
        for _ in range(600):  # generous: the machine may be busy
            if reports:
                break
            threading.Event().wait(0.05)
        assert reports and reports[0].ok, reports
        row = syncs.status()[0]
        assert row.state == "ok" and row.extra["waiting"] == "0"
        assert row.extra["last_success"] != "never" and row.extra["last_error"] == ""
        assert live_server.db.count_records() == 2
        # the heartbeat after the pass told the server which content is installed
        with live_server.db.engine.connect() as conn:
            beat = conn.execute(
                select(kiosks.c.last_heartbeat).where(kiosks.c.name == "k1")
            ).scalar_one()
        assert json.loads(beat)["content"] == {"sample-lessons": 2}
    finally:
        syncs.stop()

    # the server goes away: the status says so, with the time, and the record waits
    stores.save(session(4))
    down = SyncService(make_config(tmp_path, f"http://127.0.0.1:{free_port()}"), stores)
    report = down.run_pass()
    assert not report.ok
    row = down.status()[0]
    assert row.state == "error" and row.extra["waiting"] == "1"
    assert row.extra["last_error_at"] and "ConnectionError" in row.extra["last_error"]
    down.stop()
    stores.stop()
    # a restarted kiosk still knows the last error (persisted state)
    fresh = SyncService(make_config(tmp_path, "http://127.0.0.1:9"), StoreService(cfg))
    assert "ConnectionError" in fresh.status()[0].extra["last_error"]


def test_store_service_shows_corrupt_file_warnings(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, "http://127.0.0.1:9")
    seg = DataLayout(tmp_path).store / "segments"
    seg.mkdir(parents=True)
    (seg / "seg-2026-01-000001.json").write_text("{broken")
    svc = StoreService(cfg)
    svc.start()
    try:
        rows = svc.status()
        assert rows[0].state == "warning"
        assert any("moved aside" in r.detail for r in rows[1:])
    finally:
        svc.stop()


def test_no_token_is_an_error_row(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, "http://127.0.0.1:9")
    svc = SyncService(cfg, StoreService(cfg))
    assert svc.status()[0].state == "error" and "token" in svc.status()[0].detail
    off = SyncService(make_config(tmp_path, "http://127.0.0.1:9", enabled=False), StoreService(cfg))
    assert off.status()[0].state == "unavailable"


def _kiosk(args: list[str], cfg: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args, "--config", str(cfg)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


@sqlite_only
def test_kiosk_sync_command(live_server: LiveServer, tmp_path: Path) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\nid = "k1"\ndata_dir = "{tmp_path}"\n'
        f'[sync]\nserver_url = "{live_server.url}"\ntoken = "{live_server.tokens["k1"]}"\n'
    )
    with Store(DataLayout(tmp_path).store) as s:
        s.save_many(session(i) for i in range(7))
        busy = _kiosk(["sync"], cfg)  # the kiosk holds the store
        assert busy.returncode == 1 and "in use" in busy.stderr
    out = _kiosk(["sync"], cfg)
    assert out.returncode == 0, out.stderr
    assert "syncing 7 waiting" in out.stdout and "7 acknowledged (7 new" in out.stdout
    assert "0 waiting" in out.stdout
    assert live_server.db.count_records() == 7
    status = _kiosk(["sync", "--status", "--json"], cfg)
    assert status.returncode == 0 and '"waiting": 0' in status.stdout


def test_kiosk_sync_command_reports_a_dead_server(tmp_path: Path) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\nid = "k1"\ndata_dir = "{tmp_path}"\n'
        f'[sync]\nserver_url = "http://127.0.0.1:{free_port()}"\ntoken = "x"\n'
        "max_attempts = 1\n"
    )
    with Store(DataLayout(tmp_path).store) as s:
        s.save(session(1))
    out = _kiosk(["sync", "--json"], cfg)
    assert out.returncode == 1
    assert '"error": "ConnectionError' in out.stdout and '"waiting": 1' in out.stdout


def test_a_record_refused_as_invalid_is_kept_shown_and_never_resent(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Issue 10, item 2: one record the server cannot store (a NUL: PostgreSQL refuses it)
    once blocked a kiosk's sync forever. Now it is refused alone, marked invalid on the
    kiosk, shown on the status page, never sent again, never dropped; the rest sync."""
    (tmp_path / "sync-token").write_text(live_server.tokens["k1"])
    cfg = make_config(tmp_path, live_server.url)
    stores = StoreService(cfg)
    stores.start()
    try:
        good = [session(i) for i in range(6)]
        nul = session(50, resident="a\x00b")
        foreign = session(51, kiosk="k2")  # the kiosk id changed in the config: retryable
        stores.store.save_many([*good[:3], nul, foreign, *good[3:]])
        syncs = SyncService(cfg, stores)
        first = syncs.run_pass()
        assert first.ok and first.created == 6 and first.rejected == 2, first.summary()
        assert live_server.db.count_records() == 6
        assert stores.store.waiting() == 0 and stores.store.count() == 8  # nothing dropped
        assert set(stores.store.invalid()) == {nul.key}
        assert "NUL" in stores.store.invalid()[nul.key]
        rows = syncs.status()
        flagged = [r for r in rows if r.name == "rejected records"]
        assert len(flagged) == 1 and flagged[0].state == "warning"
        assert flagged[0].extra["records"] == "1" and nul.key in flagged[0].detail
        store_row = stores.status()[0]
        assert store_row.extra["rejected"] == "2"
        # later passes send nothing: the invalid record is not resent
        stores.store.save(session(60))
        second = syncs.run_pass()
        assert second.ok and second.sent == 1 and second.created == 1
        assert syncs.run_pass().sent == 0
        # a retry after fixing the cause re-queues the kiosk-id refusal, not the invalid one
        assert stores.store.retry_rejected() == 1
        assert nul.key in stores.store.invalid() and stores.store.waiting() == 1
        syncs.stop()
    finally:
        stores.stop()
    with Store(tmp_path / "store") as s:  # and it survives a restart
        assert set(s.invalid()) == {nul.key} and s.get(nul.key) == nul
