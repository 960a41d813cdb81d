"""A fault-injecting HTTP proxy on 127.0.0.1 for the sync tests and bench.

It understands just enough HTTP/1.1 (Content-Length bodies, keep-alive) to
decide per request what goes wrong: the connection is reset before the
server sees the request; the proxy holds the request until the client times
out (before or after forwarding it); the proxy answers 500, or 503 with
``Retry-After``; or the request reaches the server, the server commits, and
the response is lost (connection reset, or cut off half-way). Everything else
is passed through unchanged. Upstream down (a server restart) becomes a reset.
"""

from __future__ import annotations

import random
import socket
import socketserver
import struct
import threading
import time
from collections import Counter

FAULTS = (
    "reset",
    "timeout_before",
    "timeout_after",
    "http500",
    "http503",
    "lost_after_commit",
    "truncated_response",
)


def _rst_close(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _read_message(sock: socket.socket, buf: bytes) -> tuple[bytes | None, bytes]:
    """Read one HTTP message (headers + Content-Length body); returns (message, leftover)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        fault_rate: float = 0.4,
        seed: int = 1,
        weights: dict[str, float] | None = None,
        hold_s: float = 1.2,
    ) -> None:
        self.upstream_port = upstream_port
        self.fault_rate = fault_rate
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.weights = weights or {
            "reset": 3,
            "timeout_before": 0.6,
            "timeout_after": 0.6,
            "http500": 3,
            "http503": 3,
            "lost_after_commit": 4,
            "truncated_response": 1.5,
        }
        self.hold_s = hold_s
        self.forced = list(FAULTS)
        """Every fault once early on (every third request), then at random."""
        self._n = 0
        self.counts: Counter[str] = Counter()
        self.forwarded = 0
        self.enabled = True
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _choose(self) -> str:
        with self.rng_lock:
            if not self.enabled:
                return "pass"
            self._n += 1
            if self.forced and self._n % 3 == 0:
                return self.forced.pop(0)
            if self.rng.random() >= self.fault_rate:
                return "pass"
            names = list(self.weights)
            return self.rng.choices(names, [self.weights[n] for n in names])[0]

    def _retry_after(self) -> str:
        with self.rng_lock:
            x = self.rng.random()
        if x < 0.8:
            return "0"
        if x < 0.95:
            return "1"
        return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 1))

    def _forward(self, request: bytes) -> bytes | None:
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            return None
        try:
            up.sendall(request)
            response, _ = _read_message(up, b"")
            return response
        except OSError:
            return None
        finally:
            up.close()

    def _serve(self, client: socket.socket) -> None:
        buf = b""
        try:
            while True:
                request, buf = _read_message(client, buf)
                if request is None:
                    client.close()
                    return
                fault = self._choose()
                with self.rng_lock:
                    self.counts[fault] += 1
                if fault == "reset":
                    _rst_close(client)
                    return
                if fault == "timeout_before":
                    time.sleep(self.hold_s)
                    _rst_close(client)
                    return
                if fault in ("http500", "http503"):
                    code = (
                        b"500 Internal Server Error"
                        if fault == "http500"
                        else (b"503 Service Unavailable")
                    )
                    extra = (
                        b""
                        if fault == "http500"
                        else (b"Retry-After: " + self._retry_after().encode() + b"\r\n")
                    )
                    body = b'{"detail":"injected fault"}'
                    client.sendall(
                        b"HTTP/1.1 "
                        + code
                        + b"\r\nContent-Type: application/json\r\n"
                        + extra
                        + b"Content-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                    continue
                response = self._forward(request)
                if response is None:  # upstream down (restarting)
                    with self.rng_lock:
                        self.counts["upstream_down"] += 1
                    _rst_close(client)
                    return
                with self.rng_lock:
                    self.forwarded += 1
                if fault == "lost_after_commit":
                    _rst_close(client)
                    return
                if fault == "timeout_after":
                    time.sleep(self.hold_s)
                    _rst_close(client)
                    return
                if fault == "truncated_response":
                    client.sendall(response[: max(1, len(response) // 2)])
                    _rst_close(client)
                    return
                client.sendall(response)
        except OSError:
            try:
                client.close()
            except OSError:
                pass
