"""Tell systemd (or :mod:`kiosk.system.supervisor`) that the app is ready and alive.

Why this module exists: ``kiosk.service`` is ``Type=notify`` with a
watchdog. The app says ``READY=1`` once the attract screen has been drawn
and ``WATCHDOG=1`` from its main loop; if the UI freezes, the pings stop and
the service manager kills and restarts it. The protocol is one datagram per
message to the unix socket named in ``$NOTIFY_SOCKET`` (``@`` = abstract
namespace), as in sd_notify(3); it is a few lines, so no library.

``WATCHDOG_PID`` is deliberately not honoured: under cage (or xinit) the
unit's main process is the compositor, which passes the variable on to the
app; the unit sets ``NotifyAccess=all`` so the app's pings count.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages; does nothing when no service manager is listening."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        raw = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = None
        if raw.startswith("@"):
            self.address = "\0" + raw[1:]
        elif raw.startswith("/"):
            self.address = raw
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_s: float | None = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None
        self._sock: socket.socket | None = None
        self._failed = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send ``KEY=VALUE`` fields in one datagram; False when not sent (never raises)."""
        if self.address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)  # called from the UI loop: never wait on it
            self._sock.sendto("\n".join(fields).encode("utf-8"), self.address)
        except OSError as exc:
            if not self._failed:  # say it once, not at every ping
                log.warning("cannot notify the service manager at %s: %s", self.address, exc)
                self._failed = True
            return False
        return True

    def ready(self, status: str = "") -> bool:
        fields = ["READY=1"]
        if status:
            fields.append(f"STATUS={status}")
        return self.send(*fields)

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def ping_interval_s(self) -> float | None:
        """How often to ping: a third of the watchdog timeout (None: no watchdog)."""
        return None if self.watchdog_s is None else max(0.05, self.watchdog_s / 3)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
