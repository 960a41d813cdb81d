"""A pseudo-terminal that behaves like a USB serial device for the host side.

Why this module exists: tests and simulators need a real serial port that
can be unplugged and replugged. ``PtyPort`` owns a pty pair; the host opens
``path`` with pyserial like any tty. With a ``link`` it keeps a stable
symlink to the current pty (like ``/dev/serial/by-id``): ``unplug`` removes
the link and closes the pty (the host's reads fail with EIO, as on a real
unplug), ``plug`` creates a fresh pty (a new ``/dev/pts/N``) and points the
link at it again.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import struct
import termios
import threading
import time
import tty
from pathlib import Path

log = logging.getLogger(__name__)


class PtyPort:
    def __init__(self, link: str | os.PathLike[str] | None = None, *, plugged: bool = True) -> None:
        self.link = Path(link) if link else None
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()
        self.pts = ""
        self.dropped = 0
        """Bytes dropped because the host did not read them (its buffer was full)."""
        if plugged:
            self.plug()

    @property
    def path(self) -> str:
        """What the host opens: the stable link if there is one, else the pty."""
        return str(self.link) if self.link else self.pts

    @property
    def present(self) -> bool:
        return self._master is not None

    def plug(self) -> None:
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)  # no echo, no line editing: a plain byte pipe
            os.set_blocking(master, False)
            self._master, self._slave = master, slave
            self.pts = os.ttyname(slave)
            if self.link:
                tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
                if tmp.is_symlink():
                    tmp.unlink()
                os.symlink(self.pts, tmp)
                os.replace(tmp, self.link)
        log.debug("pty plugged: %s -> %s", self.link, self.pts)

    def unplug(self) -> None:
        """Remove the link and close the pty: the host sees the device vanish."""
        with self._lock:
            if self._master is None:
                return
            if self.link and self.link.is_symlink():
                self.link.unlink()
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
        log.debug("pty unplugged: %s", self.link or self.pts)

    close = unplug

    def write(self, data: bytes, timeout: float = 0.05) -> int:
        """Write like a UART: bytes the host has no room for are dropped, not queued forever."""
        off = 0
        deadline = time.monotonic() + timeout
        while off < len(data):
            with self._lock:
                fd = self._master
                if fd is None:
                    self.dropped += len(data) - off
                    return off
                try:
                    off += os.write(fd, data[off:])
                    continue
                except BlockingIOError:
                    pass
                except OSError as exc:  # pragma: no cover - host side gone
                    if exc.errno != errno.EIO:
                        raise
                    self.dropped += len(data) - off
                    return off
            if time.monotonic() > deadline:
                self.dropped += len(data) - off
                return off
            time.sleep(0.001)
        return off

    def pending(self) -> int:
        """Bytes written that wait in the host's input queue.

        Bytes still in the kernel's pty flip buffer (for a few milliseconds after a
        write) are not counted yet; ``drain`` allows for that.
        """
        with self._lock:
            if self._slave is None:
                return 0
            buf = fcntl.ioctl(self._slave, termios.TIOCINQ, b"\0\0\0\0")
            return int(struct.unpack("i", buf)[0])

    def drain(self, timeout: float = 2.0, settle: float = 0.03) -> bool:
        """Wait until the host has read everything written (the queue stays empty for
        ``settle`` seconds); False on timeout."""
        deadline = time.monotonic() + timeout
        empty_since: float | None = None
        while time.monotonic() < deadline:
            if self.pending():
                empty_since = None
            elif empty_since is None:
                empty_since = time.monotonic()
            elif time.monotonic() - empty_since >= settle:
                return True
            time.sleep(0.002)
        return False

    def __enter__(self) -> PtyPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
