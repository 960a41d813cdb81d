"""A real server for the community pages' tests: kiosks of two communities, three managers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from sync.server.app import create_app
from sync.server.db import Database
from sync.server.web import auth
from tests.community.server_fixture import KIOSKS, NOW, Server
from tests.sync.helpers import start_thread_server
from tests.web.conftest import PASSWORD

MANAGERS = {"east-m": "east", "west-m": "west", "district": None}


@pytest.fixture(name="srv")
def community_server(tmp_path: Path) -> Iterator[Server]:
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    tokens = {k: db.add_kiosk(k, community=c) for k, c in KIOSKS.items()}
    for name, community in MANAGERS.items():
        auth.add_manager(db.engine, name, PASSWORD, community, language="en")
    handle = start_thread_server(create_app(db))
    try:
        yield Server(handle.url, db, tokens, handle)
    finally:
        handle.stop()
        db.dispose()


def local_input(days: float) -> str:
    from zoneinfo import ZoneInfo

    return (NOW + timedelta(days=days)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def session_as(srv: Server, name: str) -> requests.Session:
    s = requests.Session()
    token = csrf_of(s, f"{srv.url}/login")
    r = s.post(f"{srv.url}/login", data={"name": name, "password": PASSWORD, "csrf_token": token,
                                          "next": "/community"}, allow_redirects=False, timeout=10)
    assert r.status_code == 303, r.text
    return s


def csrf_of(s: requests.Session, url: str) -> str:
    return s.get(url, timeout=10).text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
