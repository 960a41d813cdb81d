"""Notice USB sticks that carry content: udev events where available, polling otherwise.

Why this module exists: in maintainer mode the kiosk shows what is on a stick
as soon as it is mounted. ``UsbWatcher`` is Kivy-free: it calls
``on_change(sticks)`` (on its own thread; the app posts it to the UI thread)
with every mounted folder that holds a content repository
(``<mount>/community-kiosk-content/metadata/``). With pyudev and a running
udev it wakes on block-device events (and then looks at the mount roots,
since mounting follows the event); without them it polls the configured
mount roots (``/media``, ``/run/media``, ``/mnt`` by default) every few
seconds. Tests point it at a temporary folder, which is exactly a simulated
stick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from content.repository import STICK_DIR
from content.trust import StickSource

log = logging.getLogger(__name__)

MAX_DEPTH = 3
"""How deep under a mount root a stick's folder may be (``/media/<user>/<label>/``)."""


@dataclass(frozen=True)
class Stick:
    mount: Path
    """The folder holding ``community-kiosk-content``."""
    repository: Path

    @property
    def source(self) -> StickSource:
        return StickSource(self.repository)


def find_sticks(roots: Iterable[Path]) -> list[Stick]:
    """Content repositories under the mount roots (sorted, no duplicates)."""
    found: dict[Path, Stick] = {}

    def walk(d: Path, depth: int) -> None:
        try:
            repo = d / STICK_DIR
            if (repo / "metadata").is_dir():
                found[repo.resolve()] = Stick(d, repo)
                return
            if depth >= MAX_DEPTH:
                return
            for sub in sorted(d.iterdir()):
                if sub.is_dir() and not sub.name.startswith("."):
                    walk(sub, depth + 1)
        except OSError:
            return  # unreadable or vanished while we looked: a stick being pulled out

    for r in roots:
        walk(Path(r), 0)
    return sorted(found.values(), key=lambda s: str(s.repository))


class UsbWatcher:
    def __init__(self, roots: Iterable[str | Path], on_change: Callable[[list[Stick]], None],
                 poll_s: float = 2.0, use_udev: bool = True):
        self.roots = [Path(r) for r in roots]
        self.on_change = on_change
        self.poll_s = poll_s
        self.use_udev = use_udev
        self.sticks: list[Stick] = []
        self.mode = "stopped"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        self.mode = "polling"
        if self.use_udev and self._start_udev():
            self.mode = "udev"
        t = threading.Thread(target=self._loop, name="usb-watch", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()
        self.mode = "stopped"

    def scan(self) -> list[Stick]:
        """Look now; call ``on_change`` if the set of sticks changed."""
        sticks = find_sticks(self.roots)
        if [s.repository for s in sticks] != [s.repository for s in self.sticks]:
            self.sticks = sticks
            try:
                self.on_change(sticks)
            except Exception as exc:  # a callback bug must not stop the watcher
                log.error("usb: on_change failed: %s", exc)
        return sticks

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.scan()
            # with udev: wait for an event (or a slow safety poll); without: poll
            timeout = self.poll_s * 5 if self.mode == "udev" else self.poll_s
            self._wake.wait(timeout)
            if self._wake.is_set() and not self._stop.is_set():
                self._wake.clear()
                # mounting follows the udev event by a moment: look a few times
                for _ in range(5):
                    if self._stop.wait(0.5):
                        return
                    self.scan()

    def _start_udev(self) -> bool:
        try:
            import pyudev
        except ImportError:
            return False
        try:
            context = pyudev.Context()
            monitor = pyudev.Monitor.from_netlink(context)
            monitor.filter_by("block")
            monitor.start()
        except Exception as exc:  # no udev in containers and CI: poll instead
            log.info("usb: udev not available (%s); polling %s", exc,
                     ", ".join(str(r) for r in self.roots))
            return False

        def listen() -> None:
            while not self._stop.is_set():
                try:
                    device = monitor.poll(timeout=1.0)
                except Exception as exc:
                    log.warning("usb: udev monitor failed (%s); polling from now on", exc)
                    self.mode = "polling"
                    return
                if device is not None:
                    log.info("usb: %s %s", device.action, device.device_node)
                    self._wake.set()

        t = threading.Thread(target=listen, name="usb-udev", daemon=True)
        t.start()
        self._threads.append(t)
        return True
