"""The kiosk's sync service sends its parts' states with the heartbeat; the fleet page shows them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from kiosk.config import Config, KioskSection, SyncSection
from kiosk.services.base import StatusRow
from kiosk.services.store import StoreService
from kiosk.services.sync import SyncService, heartbeat_facts_from
from sync.client import HeartbeatFacts
from sync.server.app import create_app
from sync.server.db import Database
from sync.server.tables import kiosks
from tests.sync.helpers import session, start_thread_server


@dataclass
class Camera:
    """A service reporting a failed camera, as the vision service's status rows do."""

    name: str = "vision"
    rows: list[StatusRow] = field(default_factory=list)

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> list[StatusRow]:
        return self.rows


@dataclass
class Content(Camera):
    name: str = "content"

    def installed_versions(self) -> dict[str, int]:
        return {"sample-lessons": 4}


def test_a_sync_pass_sends_the_parts_states_and_content(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    token = db.add_kiosk("k1", community="东城")
    handle = start_thread_server(create_app(db))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sync-token").write_text(token + "\n")
    cfg = Config(
        kiosk=KioskSection(id="k1", data_dir=str(tmp_path / "data")),
        sync=SyncSection(server_url=handle.url, max_attempts=2, connect_timeout_s=2),
    )
    store = StoreService(cfg, post=lambda fn: fn())
    camera = Camera(rows=[StatusRow("camera", "/dev/video0", "error", "no frames " + "x" * 400)])
    content = Content(rows=[StatusRow("content", "sample-lessons", "ok", "version 4")])
    try:
        store.start()
        store.save(session(1, "k1"))
        sync = SyncService(
            cfg,
            store,
            post=lambda fn: fn(),
            first_pass_delay_s=0.0,
            heartbeat_facts=heartbeat_facts_from(lambda: [store, camera, content]),
        )
        assert sync.run_pass().ok
        with db.engine.connect() as conn:
            hb = json.loads(
                conn.execute(
                    select(kiosks.c.last_heartbeat).where(kiosks.c.name == "k1")
                ).scalar_one()
            )
        areas = {(p["area"], p["state"]) for p in hb["parts"]}
        assert (
            ("camera", "error") in areas and ("store", "ok") in areas and ("content", "ok") in areas
        )
        cam = next(p for p in hb["parts"] if p["area"] == "camera")
        assert cam["detail"].startswith("no frames") and len(cam["detail"]) == 200  # cut to fit
        assert hb["content"] == {"sample-lessons": 4} and hb["last_sync_at"]

        # a facts source that fails still lets the heartbeat through, without facts
        def broken_facts() -> HeartbeatFacts:
            raise RuntimeError("the sensors service is gone")

        broken = SyncService(cfg, store, post=lambda fn: fn(), heartbeat_facts=broken_facts)
        assert broken.run_pass().ok
        broken.stop()
        sync.stop()
    finally:
        store.stop()
        handle.stop()
        db.dispose()
