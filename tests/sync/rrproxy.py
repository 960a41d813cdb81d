"""A round-robin TCP load balancer on 127.0.0.1 for the scale-out tests.

Each new client connection goes to the next upstream in turn, as a plain
L4 balancer (HAProxy ``balance roundrobin`` in TCP mode, nginx ``stream``)
does; an upstream that refuses the connection is skipped for this
connection (the next one is tried), so a dead server stops getting traffic
without a health checker. Bytes are copied both ways until either side
closes. A connection that was open to a server when it died is reset: the
client sees it fail and must retry.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import Counter


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class RoundRobinProxy:
    def __init__(self, upstream_ports: list[int]) -> None:
        self.upstreams = list(upstream_ports)
        self._next = 0
        self._lock = threading.Lock()
        self.connections: Counter[int] = Counter()
        """Connections handed to each upstream port."""
        self.refused: Counter[int] = Counter()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _order(self) -> list[int]:
        with self._lock:
            start = self._next
            self._next = (self._next + 1) % len(self.upstreams)
        return self.upstreams[start:] + self.upstreams[:start]

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        for port in self._order():
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                with self._lock:
                    self.refused[port] += 1
                continue
            with self._lock:
                self.connections[port] += 1
            break
        if upstream is None:
            client.close()
            return
        upstream.settimeout(None)
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()
        client.close()
        upstream.close()

    def __enter__(self) -> RoundRobinProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
