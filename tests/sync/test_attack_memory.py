"""Floods against a real ``kiosk-server`` process: memory stays bounded, ``/health`` answers.

Measured, not assumed: the server runs as its own process; a sampler reads
its resident set size (``/proc/<pid>/status``) every few milliseconds and
another thread times ``GET /api/v1/health`` while

- a 1 GB body is sent without a token (declared and chunked, to both write
  endpoints), and with a token (refused at the cap);
- three decompression bombs are posted at once, again and again: 32 KB of
  gzip inflating to 32 MiB of ``[]`` items, and bodies at the size limit
  full of long strings.

Bounds (issue 10): RSS within 200 MB of the idle server; ``/health``
answers every time, its median under 100 ms (or, on a machine so loaded that
even the idle server is slow, under four times the idle median), none slower
than 1 s (generous for a shared 2-core machine; the issue's failure was
2.28 s).
"""

from __future__ import annotations

import gzip
import json
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from sync.server.db import Database
from tests.sync.helpers import ProcessServer, session

MB = 1024 * 1024
GB = 1024 * MB
RSS_BOUND = 200 * MB


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@dataclass
class Watch:
    """Samples the server's RSS and /health latency until stopped."""

    pid: int
    url: str
    peak: int = 0
    health_ms: list[float] = field(default_factory=list)
    health_codes: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Watch:
        def sample() -> None:
            while not self._stop.is_set():
                self.peak = max(self.peak, rss(self.pid))
                time.sleep(0.005)

        def health() -> None:
            s = requests.Session()
            while not self._stop.is_set():
                t = time.perf_counter()
                try:
                    code = s.get(self.url + "/api/v1/health", timeout=10).status_code
                except requests.RequestException:
                    code = 0
                self.health_ms.append((time.perf_counter() - t) * 1000)
                self.health_codes.append(code)
                time.sleep(0.02)

        self._threads = [threading.Thread(target=f, daemon=True) for f in (sample, health)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ProcessServer, str]]:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    db = Database(url)
    token = db.add_kiosk("k1")
    db.dispose()
    srv = ProcessServer(url, log=tmp_path / "server.log")
    srv.start()
    try:
        # warm up: every code path the attacks reach is imported and used once
        h = {"Authorization": f"Bearer {token}"}
        body = {"records": [session(i).to_json_dict() for i in range(50)]}
        assert requests.post(srv.url + "/api/v1/records", json=body, headers=h,
                             timeout=30).status_code == 200
        requests.post(srv.url + "/api/v1/records", data=gzip.compress(b"[]"),
                      headers=h | {"Content-Encoding": "gzip"}, timeout=30)
        requests.post(srv.url + "/api/v1/heartbeat", json={"kiosk_id": "k1"}, headers=h,
                      timeout=30)
        yield srv, token
    finally:
        srv.stop()


def send_huge(port: int, path: str, headers: dict[str, str], total: int, chunked: bool) -> str:
    """Send ``total`` bytes of spaces as a body; returns the status line the server answered."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n"
    sock.sendall(head.encode() + b"\r\n")
    piece = b" " * MB
    frame = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if chunked else piece
    sent = 0
    try:
        while sent < total:
            sock.sendall(frame)
            sent += len(piece)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server refused early and closed: that is the point
    try:
        sock.settimeout(30)
        answer = sock.recv(4096).decode(errors="replace")
    except OSError as exc:
        answer = f"closed: {exc}"
    finally:
        sock.close()
    return answer.split("\r\n", 1)[0]


def idle_health_ms(url: str, n: int = 20) -> float:
    s = requests.Session()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        assert s.get(url + "/api/v1/health", timeout=10).status_code == 200
        times.append((time.perf_counter() - t) * 1000)
        time.sleep(0.01)
    return statistics.median(times)


def check(watch: Watch, idle: int, idle_ms: float, what: str) -> None:
    grew = watch.peak - idle
    med = statistics.median(watch.health_ms)
    bound = max(100.0, 4 * idle_ms)
    print(
        f"\n{what}: idle {idle / MB:.0f} MB, peak {watch.peak / MB:.0f} MB (+{grew / MB:.0f} MB); "
        f"/health n={len(watch.health_ms)} median {med:.1f} ms (idle {idle_ms:.1f} ms), "
        f"max {max(watch.health_ms):.1f} ms"
    )
    assert grew < RSS_BOUND, f"{what}: RSS grew by {grew / MB:.0f} MB"
    assert len(watch.health_codes) >= 3 and set(watch.health_codes) == {200}, watch.health_codes
    assert med < bound, f"{what}: /health median {med:.0f} ms (bound {bound:.0f} ms)"
    assert max(watch.health_ms) < 1000, f"{what}: /health took {max(watch.health_ms):.0f} ms"


def test_a_1gb_body_without_a_token_is_refused_before_it_is_read(
    server: tuple[ProcessServer, str],
) -> None:
    srv, token = server
    assert srv.proc is not None
    pid = srv.proc.pid
    idle, idle_ms = rss(pid), idle_health_ms(srv.url)
    answers = []
    auth = {"Authorization": f"Bearer {token}"}
    rounds = 0
    deadline = time.monotonic() + 2.0
    with Watch(pid, srv.url) as watch:
        while rounds == 0 or time.monotonic() < deadline:  # keep at it for 2 s at least
            rounds += 1
            for path in ("/api/v1/heartbeat", "/api/v1/records"):
                for chunked in (False, True):
                    answers.append((401, send_huge(srv.port, path, {}, GB, chunked)))
            answers.append((404, send_huge(srv.port, "/nowhere", {}, GB, False)))
            answers.append((405, send_huge(srv.port, "/api/v1/health", {}, GB, True)))
            for chunked in (False, True):  # with a token: refused at the body cap
                answers.append((413, send_huge(srv.port, "/api/v1/records", auth, GB, chunked)))
    assert all(f" {code} " in a for code, a in answers), answers
    check(watch, idle, idle_ms, f"1 GB bodies ({len(answers)} sent)")


def bombs() -> dict[str, bytes]:
    empty_lists = b'{"records":[' + b"[]," * (32 * MB // 3) + b"[]]}"
    record = session(1).to_json_dict() | {"exercise": "x" * 60_000}
    many = b'{"records":[' + b",".join([json.dumps(record).encode()] * 130) + b"]}"
    assert len(many) < 8 * MB
    return {
        "32 MiB of [] items": gzip.compress(empty_lists, 9),
        "8 MiB of long strings": gzip.compress(many, 9),
    }


@pytest.mark.parametrize("name", ["32 MiB of [] items", "8 MiB of long strings"])
def test_three_parallel_decompression_bombs(server: tuple[ProcessServer, str], name: str) -> None:
    srv, token = server
    assert srv.proc is not None
    pid = srv.proc.pid
    body = bombs()[name]
    assert len(body) < 200_000
    idle, idle_ms = rss(pid), idle_health_ms(srv.url)
    codes: list[int] = []
    deadline = time.monotonic() + 4.0

    def attacker() -> None:
        s = requests.Session()
        h = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"}
        while time.monotonic() < deadline:
            r = s.post(srv.url + "/api/v1/records", data=body, headers=h, timeout=60)
            codes.append(r.status_code)

    run: Callable[[], None] = attacker
    with Watch(pid, srv.url) as watch:
        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert codes and all(400 <= c < 500 for c in codes), codes
    check(watch, idle, idle_ms, f"3 parallel bombs ({name}, {len(codes)} posts)")
