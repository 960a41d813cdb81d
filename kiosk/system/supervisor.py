"""A small supervisor that does what ``kiosk.service`` asks of systemd.

Why this module exists: the kiosk must come back by itself when the app
exits or its UI freezes. On an installed kiosk systemd does that
(``Restart=always``, ``Type=notify``, ``WatchdogSec``); where systemd cannot
run the unit (a container, a developer's machine, CI) this supervisor does
the same with the same protocol, so the app's readiness and watchdog code is
exercised for real: it starts the command with ``NOTIFY_SOCKET`` pointing at
its own datagram socket and ``WATCHDOG_USEC`` set, waits for ``READY=1``
(start timeout), expects ``WATCHDOG=1`` at least every ``watchdog_s`` once
ready, kills the whole process group on a timeout (``SIGABRT``, then
``SIGKILL``, as systemd's ``WatchdogSignal``/``TimeoutAbortSec``) and starts
the command again after ``restart_delay_s``, whatever the exit.

Every start, readiness, exit and kill is an :class:`Event` (also logged), so
callers and tests see what happened and when.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

EventKind = Literal["started", "ready", "exited", "watchdog_timeout", "start_timeout", "stopped"]


@dataclass(frozen=True)
class Policy:
    restart_delay_s: float = 1.0
    watchdog_s: float | None = 20.0
    """Kill and restart when no WATCHDOG=1 came for this long after READY (None: no watchdog)."""
    start_timeout_s: float = 90.0
    """Kill and restart when READY=1 did not come in this time."""
    abort_timeout_s: float = 5.0
    """After SIGABRT, wait this long before SIGKILL."""


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: float
    """time.monotonic() when it happened."""
    pid: int
    detail: str = ""


@dataclass
class _Child:
    proc: subprocess.Popen[bytes]
    started: float
    ready_at: float | None = None
    last_ping: float = 0.0
    messages: list[str] = field(default_factory=list)


class Supervisor:
    """Run ``argv`` forever (until :meth:`stop`), restarting it as the kiosk unit would."""

    def __init__(
        self,
        argv: Sequence[str],
        policy: Policy = Policy(),
        env: Mapping[str, str] | None = None,
        on_event: Callable[[Event], None] | None = None,
        stdout: int | None = None,
    ) -> None:
        self.argv = list(argv)
        self.policy = policy
        self.env = dict(os.environ if env is None else env)
        self.on_event = on_event
        self.stdout = stdout
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk-supervisor-"))
        self.socket_path = self._dir / "notify"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._sock.bind(str(self.socket_path))
        self._child: _Child | None = None
        self._thread: threading.Thread | None = None

    # ----- what happened --------------------------------------------------------------------
    def _emit(self, kind: EventKind, pid: int, detail: str = "") -> None:
        ev = Event(kind, time.monotonic(), pid, detail)
        with self._lock:
            self.events.append(ev)
        log.info("supervisor: %s pid %d %s", kind, pid, detail)
        if self.on_event is not None:
            self.on_event(ev)

    def count(self, kind: EventKind) -> int:
        with self._lock:
            return sum(1 for e in self.events if e.kind == kind)

    def wait_for(self, kind: EventKind, n: int = 1, timeout: float = 60.0) -> Event:
        """Block until the ``n``-th event of ``kind``; return it (TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [e for e in self.events if e.kind == kind]
            if len(found) >= n:
                return found[n - 1]
            time.sleep(0.02)
        raise TimeoutError(f"no {kind} event #{n} within {timeout} s; events: {self.events}")

    @property
    def pid(self) -> int | None:
        child = self._child
        return None if child is None else child.proc.pid

    # ----- running ------------------------------------------------------------------------------
    def _start_child(self) -> _Child:
        env = dict(self.env, NOTIFY_SOCKET=str(self.socket_path))
        if self.policy.watchdog_s:
            env["WATCHDOG_USEC"] = str(int(self.policy.watchdog_s * 1e6))
        else:
            env.pop("WATCHDOG_USEC", None)
        proc = subprocess.Popen(self.argv, env=env, stdin=subprocess.DEVNULL, stdout=self.stdout,
                                stderr=subprocess.STDOUT if self.stdout is not None else None,
                                start_new_session=True)
        child = _Child(proc, time.monotonic())
        self._emit("started", proc.pid)
        return child

    def _kill(self, child: _Child, reason: EventKind) -> None:
        self._emit(reason, child.proc.pid)
        for sig, wait in ((signal.SIGABRT, self.policy.abort_timeout_s), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(child.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                child.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def _read_messages(self, child: _Child, timeout: float) -> None:
        ready, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
        if not ready:
            return
        while True:
            try:
                data = self._sock.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            now = time.monotonic()
            for line in data.decode("utf-8", "replace").splitlines():
                child.messages.append(line)
                if line == "READY=1" and child.ready_at is None:
                    child.ready_at = now
                    child.last_ping = now
                    self._emit("ready", child.proc.pid, f"{now - child.started:.2f} s after start")
                elif line == "WATCHDOG=1":
                    child.last_ping = now

    def run(self) -> None:
        """The loop: start, watch, restart; returns after :meth:`stop`."""
        while not self._stop.is_set():
            child = self._child = self._start_child()
            while not self._stop.is_set():
                self._read_messages(child, 0.05)
                code = child.proc.poll()
                if code is not None:
                    self._emit("exited", child.proc.pid, f"status {code}")
                    break
                now = time.monotonic()
                if child.ready_at is None and now - child.started > self.policy.start_timeout_s:
                    self._kill(child, "start_timeout")
                    break
                wd = self.policy.watchdog_s
                if child.ready_at is not None and wd and now - child.last_ping > wd:
                    self._kill(child, "watchdog_timeout")
                    break
            if self._stop.is_set():
                if child.proc.poll() is None:
                    self._terminate(child)
                break
            self._stop.wait(self.policy.restart_delay_s)
        self._emit("stopped", self.pid or 0)

    def _terminate(self, child: _Child) -> None:
        try:
            os.killpg(child.proc.pid, signal.SIGTERM)
            child.proc.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(child.proc.pid, signal.SIGKILL)
            child.proc.wait(10)

    def start(self) -> Supervisor:
        """Run the loop in a background thread."""
        self._thread = threading.Thread(target=self.run, name="kiosk-supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self._sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
