"""A TCP proxy on 127.0.0.1 that cuts the connection part-way through chosen responses.

Used to test resumed downloads: the first ``drops`` responses whose request
path ends with ``suffix`` are cut after ``after_bytes`` bytes of the response;
everything else passes through. It records every request line and Range header.
"""

from __future__ import annotations

import socket
import socketserver
import threading


class DropProxy:
    def __init__(self, upstream_port: int, suffix: str = ".zip", after_bytes: int = 100_000, drops: int = 1):
        self.upstream_port = upstream_port
        self.suffix = suffix.encode()
        self.after_bytes = after_bytes
        self.drops_left = drops
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> DropProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(10)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = client.recv(65536)
            if not chunk:
                return
            buf += chunk
        head = buf.split(b"\r\n\r\n", 1)[0]
        lines = head.split(b"\r\n")
        request_line = lines[0].decode()
        rng = ""
        new_lines = [lines[0]]
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"range":
                rng = value.strip().decode()
            if name.strip().lower() == b"connection":
                continue
            new_lines.append(line)
        new_lines.append(b"Connection: close")
        path = request_line.split(" ")[1].encode()
        with self._lock:
            self.requests.append((request_line, rng))
            drop = path.endswith(self.suffix) and self.drops_left > 0
            if drop:
                self.drops_left -= 1
        up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        try:
            up.sendall(b"\r\n".join(new_lines) + b"\r\n\r\n")
            sent = 0
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                if drop and sent + len(chunk) >= self.after_bytes:
                    client.sendall(chunk[: self.after_bytes - sent])
                    return  # cut: the client sees the connection close mid-body
                client.sendall(chunk)
                sent += len(chunk)
        finally:
            up.close()
            client.close()
