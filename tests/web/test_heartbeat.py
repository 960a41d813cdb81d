"""The heartbeat grew content versions, last sync and parts' states, backwards compatibly.

Old kiosks' heartbeats are still accepted; a new kiosk talking to an old
server (which refuses unknown fields) falls back to the old fields; the fleet
page reads what arrives. Real servers on 127.0.0.1, the real sync client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pytest
import requests
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from sync.api import HEARTBEAT_PATH, PartStatus
from sync.client import HeartbeatFacts, SyncClient, SyncSettings
from sync.server.app import create_app
from sync.server.db import Database
from sync.server.web.routes.fleet import kiosk_status, parse_heartbeat
from sync.store import Store
from tests.sync.helpers import ThreadServer, session, start_thread_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ThreadServer, Database, str]]:
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    token = db.add_kiosk("k1", community="东城")
    handle = start_thread_server(create_app(db))
    try:
        yield handle, db, token
    finally:
        handle.stop()
        db.dispose()


def stored_heartbeat(db: Database) -> dict[str, object]:
    from sqlalchemy import select

    from sync.server.tables import kiosks

    with db.engine.connect() as conn:
        raw = conn.execute(
            select(kiosks.c.last_heartbeat).where(kiosks.c.name == "k1")
        ).scalar_one()
    return json.loads(raw)


def test_an_old_kiosks_heartbeat_is_still_accepted(
    server: tuple[ThreadServer, Database, str],
) -> None:
    handle, db, token = server
    body = {
        "kiosk_id": "k1",
        "waiting": 4,
        "rejected": 0,
        "app_version": "0.1.0",
        "sent_at": "2026-11-30T08:00:00Z",
    }
    r = requests.post(
        handle.url + HEARTBEAT_PATH,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    hb = parse_heartbeat(json.dumps(stored_heartbeat(db)))
    status = kiosk_status(
        "k1",
        "东城",
        "2026-11-30T08:00:00Z",
        hb,
        datetime.fromisoformat("2026-11-30T08:10:00+00:00"),
        1800,
    )
    assert status.waiting == 4 and status.parts == [] and status.content == {}
    assert not status.stale and not status.problem


def test_the_client_sends_content_last_sync_and_parts(
    server: tuple[ThreadServer, Database, str], tmp_path: Path
) -> None:
    handle, db, token = server
    with Store(tmp_path / "kiosk") as store:
        store.save(session(1, "k1"))
        client = SyncClient(
            store,
            SyncSettings(server_url=handle.url, token=token, kiosk_id="k1", app_version="0.3.1"),
        )
        assert client.sync_once().ok
        facts = HeartbeatFacts(
            content={"sample-lessons": 3},
            parts=[
                PartStatus(area="camera", name="/dev/video0", state="error", detail="unplugged")
            ],
        )
        assert client.heartbeat(facts)
        client.close()
    hb = stored_heartbeat(db)
    assert hb["content"] == {"sample-lessons": 3} and hb["app_version"] == "0.3.1"
    assert hb["parts"] == [
        {"area": "camera", "name": "/dev/video0", "state": "error", "detail": "unplugged"}
    ]
    assert isinstance(hb["last_sync_at"], str) and hb["waiting"] == 0


def test_bad_new_fields_are_refused_with_the_field_named(
    server: tuple[ThreadServer, Database, str],
) -> None:
    handle, _db, token = server
    for extra, field in (
        ({"parts": [{"area": "camera", "state": "on fire"}]}, "parts"),
        ({"content": {"x": -1}}, "content"),
        ({"content": {"x": "3"}}, "content"),
        ({"parts": [{"area": "c", "state": "ok", "detail": "x" * 201}]}, "parts"),
    ):
        body = {"kiosk_id": "k1", **extra}
        r = requests.post(
            handle.url + HEARTBEAT_PATH,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert r.status_code == 422, (extra, r.text)
        assert any(field in e["field"] for e in r.json()["errors"])


class OldHeartbeat(BaseModel):
    """The heartbeat as servers before the fleet page knew it."""

    model_config = ConfigDict(extra="forbid")
    kiosk_id: Annotated[str, Field(min_length=1, max_length=64)]
    waiting: int = 0
    rejected: int = 0
    app_version: str = ""
    sent_at: datetime | None = None


def test_a_new_kiosk_falls_back_for_an_old_server(tmp_path: Path) -> None:
    received: list[dict[str, object]] = []
    old = FastAPI()

    @old.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @old.post(HEARTBEAT_PATH)
    def heartbeat(hb: OldHeartbeat) -> dict[str, str]:
        received.append(hb.model_dump(mode="json"))
        return {"status": "ok"}

    handle = start_thread_server(old)
    try:
        with Store(tmp_path / "kiosk") as store:
            client = SyncClient(
                store, SyncSettings(server_url=handle.url, token="t", kiosk_id="k1")
            )
            facts = HeartbeatFacts(content={"a": 1}, parts=[PartStatus(area="camera", state="ok")])
            assert client.heartbeat(facts)
            client.close()
    finally:
        handle.stop()
    assert len(received) == 1 and set(received[0]) == {
        "kiosk_id",
        "waiting",
        "rejected",
        "app_version",
        "sent_at",
    }
