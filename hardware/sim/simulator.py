"""A simulated device: a scenario written into a ``PtyPort`` by a thread, with faults.

Why this module exists: ``kiosk sim-sensors``, ``make run`` without hardware,
and the tests all need devices that stream on their own and can be told to
misbehave. ``start_simulators`` makes one per driver with stable links in a
directory, which is what config then points at.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from hardware.drivers import get_driver
from hardware.sim.faults import Faults, apply_faults
from hardware.sim.pty_port import PtyPort
from hardware.sim.scenarios import STREAMS, Step

log = logging.getLogger(__name__)

NO_FAULTS = Faults()


class DeviceSimulator:
    """Streams a driver's scenario into a pty until stopped."""

    def __init__(
        self,
        driver: str,
        *,
        link: str | os.PathLike[str] | None = None,
        faults: Faults = NO_FAULTS,
        seed: int | None = None,
        steps: Iterator[Step] | None = None,
        speed: float = 1.0,
    ) -> None:
        self.driver = driver
        self.baudrate = get_driver(driver).default_baudrate
        self.faults = faults
        self.rng = random.Random(seed)
        self.steps = steps if steps is not None else STREAMS[driver](self.rng)
        self.speed = speed
        self.port = PtyPort(link)
        self.stats: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim:{driver}", daemon=True)

    @property
    def path(self) -> str:
        return self.port.path

    def start(self) -> DeviceSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2.0)
        self.port.close()

    def _run(self) -> None:
        f = self.faults
        next_unplug = time.monotonic() + f.disconnect_every_s if f.disconnect_every_s else None
        due = time.monotonic()
        try:
            for delay, frame in self.steps:
                due += delay / self.speed
                wait = due - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    return
                if self._stop.is_set():
                    return
                if next_unplug is not None and time.monotonic() >= next_unplug:
                    self.port.unplug()
                    self.stats["disconnects"] += 1
                    if self._stop.wait(f.disconnect_for_s):
                        return
                    self.port.plug()
                    due = time.monotonic()
                    next_unplug = time.monotonic() + f.disconnect_every_s
                if not frame:
                    continue
                data, fault = apply_faults(self.driver, frame, f, self.rng, self.baudrate)
                self.stats["frames"] += 1
                if fault:
                    self.stats[fault] += 1
                self.port.write(data)
        except Exception:  # pragma: no cover - keep the demo alive, but say why it stopped
            log.exception("simulator %s stopped", self.driver)

    def describe(self) -> dict[str, str]:
        return {"driver": self.driver, "path": self.path, "pty": self.port.pts}


def start_simulators(
    drivers: Iterable[str],
    directory: str | os.PathLike[str],
    *,
    faults: Faults = NO_FAULTS,
    seed: int | None = None,
) -> list[DeviceSimulator]:
    """Start one simulator per driver, each with a stable link ``directory/<driver>``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    sims = []
    for i, name in enumerate(drivers):
        get_driver(name)
        s = DeviceSimulator(
            name, link=d / name, faults=faults, seed=None if seed is None else seed + i
        )
        sims.append(s.start())
    return sims
