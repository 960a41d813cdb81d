"""Network installs: the repository served by the server's router (uvicorn on 127.0.0.1) or a
plain static file server, a connection cut mid-file and the download resumed with Range."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from content.download import DownloadError, download_resumable
from tests.content.droproxy import DropProxy
from tests.content.helpers import Setup, TreeSpec, make_bundle, make_setup
from tests.sync.helpers import ThreadServer, start_thread_server


def big_spec() -> TreeSpec:
    return TreeSpec(extra={f"lessons/l1/pic{i}.png": os.urandom(200_000) for i in range(10)})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Setup, ThreadServer]]:
    """The real central server app (``create_app``) serving the repository under /content."""
    from sync.server.app import create_app
    from sync.server.db import Database

    s = make_setup(tmp_path)
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    handle = start_thread_server(create_app(db, content_repo=s.repo.repo_dir))
    yield s, handle
    handle.server.should_exit = True
    handle.thread.join(timeout=10)
    db.dispose()


def test_router_serves_with_range_and_refuses_escapes(served: tuple[Setup, ThreadServer]) -> None:
    s, server = served
    s.publish(make_bundle(s.tmp, "demo", 1, big_spec()))
    url = server.url + "/content/targets/bundles/demo/demo-1.zip"
    full = requests.get(url, timeout=10)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    part = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == full.content[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(full.content)}"
    assert requests.get(server.url + "/content/metadata/timestamp.json", timeout=10).status_code == 200
    for bad in ("/content/../keys", "/content/metadata/../../keys", "/content/keys/x.pem",
                "/content/targets/%2e%2e/%2e%2e/keys", "/content/metadata/.hidden"):
        assert requests.get(server.url + bad, timeout=10).status_code == 404, bad


def test_network_install_resumes_after_a_cut(served: tuple[Setup, ThreadServer]) -> None:
    s, server = served
    s.publish(make_bundle(s.tmp, "demo", 1, big_spec()))
    size = (s.repo.targets_dir / "bundles/demo/demo-1.zip").stat().st_size
    with DropProxy(server.port, after_bytes=size // 3, drops=1) as proxy:
        s.kiosk.repository_url = proxy.url + "/content"
        result = s.kiosk.check_network()
        assert result.ok, result.errors
    assert [r.version for r in result.reports] == [1]
    zips = [(line, rng) for line, rng in proxy.requests if line.split()[1].endswith(".zip")]
    assert len(zips) == 2, proxy.requests
    assert zips[0][1] == "" and zips[1][1].startswith("bytes=") and zips[1][1] != "bytes=0-"
    resumed_from = int(zips[1][1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_from <= size // 3
    assert not list(s.kiosk.store.downloads_dir.glob("*.partial"))
    assert s.kiosk.status().last_check is not None and s.kiosk.status().last_check.ok


def test_partial_kept_between_checks_then_resumed(served: tuple[Setup, ThreadServer]) -> None:
    s, server = served
    bundle = make_bundle(s.tmp, "demo", 1, big_spec())
    s.publish(bundle)
    size = bundle.stat().st_size
    url_path = "/content/targets/bundles/demo/demo-1.zip"
    partial = s.tmp / "dl" / "demo-1.zip.partial"
    with DropProxy(server.port, after_bytes=size // 2, drops=1) as proxy:
        with pytest.raises(DownloadError, match="kept for resuming"):
            download_resumable(proxy.url + url_path, partial, size, attempts=1)
        have = partial.stat().st_size
        assert 0 < have < size
        download_resumable(proxy.url + url_path, partial, size, attempts=1)
    assert partial.read_bytes() == bundle.read_bytes()
    assert proxy.requests[-1][1] == f"bytes={have}-"


def test_bare_router(tmp_path: Path) -> None:
    """The router alone in any FastAPI app (e.g. a separate content server)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from content.server_routes import content_router

    s = make_setup(tmp_path)
    app = FastAPI()
    app.include_router(content_router(s.repo.repo_dir, prefix="/repo"))
    client = TestClient(app)
    r = client.get("/repo/metadata/1.root.json")
    assert r.status_code == 200 and r.json()["signed"]["_type"] == "root"
    assert client.get("/repo/../keys").status_code == 404


def test_any_static_file_server_works(tmp_path: Path) -> None:
    """The repository folder served by Python's plain http.server (no Range support needed)."""
    s = make_setup(tmp_path)
    s.publish(make_bundle(tmp_path, "demo", 1))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(s.repo.repo_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        s.kiosk.repository_url = f"http://127.0.0.1:{httpd.server_address[1]}"
        result = s.kiosk.check_network()
        assert result.ok, result.errors
        assert {k: b.version for k, b in s.kiosk.store.state().bundles.items()} == {"demo": 1}
        # nothing new: the next check says so
        again = s.kiosk.check_network()
        assert again.ok and not again.reports
        assert s.kiosk.status().last_check.message == "up to date"  # type: ignore[union-attr]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_unreachable_repository_is_reported(tmp_path: Path) -> None:
    s = make_setup(tmp_path, repository_url="http://127.0.0.1:9")
    result = s.kiosk.check_network()
    assert not result.ok and "cannot download" in result.errors[0]
    st = s.kiosk.status()
    assert st.last_check is not None and not st.last_check.ok
    assert any(line.state == "error" for line in st.lines())
