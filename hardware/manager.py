"""The device manager: one reader thread per serial device, surviving unplug and replug.

Why this module exists: sensors on a kiosk get unplugged, replugged into
another USB socket, or start talking nonsense. The manager opens each
configured port exclusively with read and write timeouts, feeds what it reads
to the device's driver, and sends typed events to a sink. When a port fails
or vanishes it logs once, marks the device unavailable, retries with a short
backoff and reopens it when it comes back, also under a new name when the
device is matched by USB VID:PID and serial number. The sink is called on
the reader thread; the kiosk service hands events to the UI thread.

Raw traffic is logged at DEBUG level to ``hardware.raw.<device>`` (off by
default; route that logger to its own rotating file when hunting a fault).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import serial

try:
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - not a POSIX system
    _TermiosError = OSError  # type: ignore[assignment,misc]

from hardware.drivers import Driver, get_driver
from hardware.events import (
    DeviceStateChanged,
    FrameError,
    Reading,
    RejectedFrame,
    SensorEvent,
)
from hardware.ports import PortLister, is_url, list_serial_ports, resolve_port

log = logging.getLogger(__name__)

DeviceState = Literal["starting", "waiting", "open", "noisy", "unavailable", "error", "stopped"]
"""``waiting``: never seen yet; ``unavailable``: was there, now gone; ``noisy``: open
but mostly rejected frames lately (wrong driver or baud rate?); ``error``: present but
cannot be opened (busy, permission)."""

NOISY_WINDOW_S = 5.0
PATH_CHECK_S = 0.5

Sink = Callable[[SensorEvent], None]


@dataclass(frozen=True)
class DeviceSpec:
    """Which port a device is on and which driver speaks its protocol."""

    name: str
    driver: str
    port: str = ""
    """A ``/dev/serial/by-id/...`` path, a port name, or a pyserial URL."""
    vid_pid: str = ""
    """USB ``vvvv:pppp`` (hex); used when ``port`` is empty or absent."""
    serial_number: str = ""
    baudrate: int | None = None
    """None: the driver's default."""
    parity: str | None = None
    """``N``, ``E`` or ``O``; None: the driver's default."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments for the driver class (e.g. ``hold_gap_s`` for ``rdm6300``)."""

    def where(self) -> str:
        if self.port:
            return self.port
        ident = f"USB {self.vid_pid}"
        return f"{ident} serial {self.serial_number}" if self.serial_number else ident


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    driver: str
    port: str
    """The port open now (or last open), else what the config names."""
    state: DeviceState
    detail: str
    last_reading: Reading | None
    readings: int
    rejected: int
    errors: dict[str, int]
    reconnects: int
    since: float
    """When the current state began (``time.time()``)."""
    info: dict[str, str] = field(default_factory=dict)
    """Driver-specific facts: oximeter signal strength, station device identity, ..."""


def open_serial(path: str, drv: type[Driver], spec: DeviceSpec, timeout: float) -> serial.SerialBase:
    """Open a port the way every device is opened: exclusive, with both timeouts set."""
    parity = spec.parity or drv.parity
    if not is_url(path) and os.path.realpath(path).startswith("/dev/pts/"):
        # A pseudo-terminal has no parity bit (Linux clears PARENB on ptys, and some
        # kernels then refuse the next open with EINVAL): simulators speak 8N1.
        parity = "N"
    kwargs: dict[str, Any] = {
        "baudrate": spec.baudrate or drv.default_baudrate,
        "bytesize": drv.bytesize,
        "parity": parity,
        "stopbits": drv.stopbits,
        "timeout": timeout,
        "write_timeout": 1.0,
    }
    if os.name == "posix":
        kwargs["exclusive"] = True
    try:
        return serial.serial_for_url(path, **kwargs)
    except serial.SerialException:
        raise
    except (OSError, ValueError, _TermiosError) as exc:  # tcsetattr refusing the settings
        raise serial.SerialException(f"cannot configure {path}: {exc}") from exc


class _Worker:
    def __init__(
        self,
        spec: DeviceSpec,
        sink: Sink,
        lister: PortLister,
        read_timeout: float,
        backoff: tuple[float, float],
        clock: Callable[[], float],
    ) -> None:
        self.spec = spec
        self.drv_cls = get_driver(spec.driver)
        self.driver = self.drv_cls(**dict(spec.options))
        self._sink = sink
        self._lister = lister
        self._timeout = read_timeout
        self._backoff = backoff
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.state: DeviceState = "starting"
        self.detail = ""
        self.port = spec.where()
        self.since = clock()
        self.last_reading: Reading | None = None
        self.readings = 0
        self.reconnects = 0
        self._ever_open = False
        # accepted / rejected frames in the current and the previous window, for "noisy"
        self._win = [0, 0]
        self._prev = [0, 0]
        self._win_start = time.monotonic()
        self.thread = threading.Thread(target=self._run, name=f"sensor:{spec.name}", daemon=True)

    # -- state -----------------------------------------------------------------
    def _set_state(self, state: DeviceState, detail: str, level: int = logging.INFO) -> None:
        with self._lock:
            if state == self.state:
                self.detail = detail  # same state, new wording: not worth another log line
                return
            self.state, self.detail, self.since = state, detail, self._clock()
            port = self.port
        log.log(level, "sensor %s (%s): %s %s", self.spec.name, self.spec.driver, state, detail)
        self._send(DeviceStateChanged(self.spec.name, state, detail, port, self._clock()))

    def _send(self, ev: SensorEvent) -> None:
        try:
            self._sink(ev)
        except Exception:  # a broken listener must not kill the reader
            log.exception("sensor %s: event sink failed on %r", self.spec.name, ev)

    def status(self) -> DeviceStatus:
        p = self.driver.parser
        with self._lock:
            return DeviceStatus(
                name=self.spec.name,
                driver=self.spec.driver,
                port=self.port,
                state=self.state,
                detail=self.detail,
                last_reading=self.last_reading,
                readings=self.readings,
                rejected=p.rejected,
                errors=dict(p.errors),
                reconnects=self.reconnects,
                since=self.since,
                info=self.driver.info(),
            )

    # -- thread ----------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        delay = self._backoff[0]
        try:
            while not self._stop.is_set():
                try:
                    path = resolve_port(self.spec, self._lister)
                except Exception as exc:  # a failing port scan (sysfs, udev) is not fatal
                    log.debug("sensor %s: port scan failed", self.spec.name, exc_info=True)
                    self._set_state("error", f"cannot scan ports: {exc}", logging.WARNING)
                    self._stop.wait(self._backoff[1])
                    continue
                if path is None:
                    if self._ever_open:
                        self._set_state("unavailable", f"{self.spec.where()} not present")
                    else:
                        self._set_state("waiting", f"{self.spec.where()} not present")
                    self._stop.wait(delay)
                    delay = min(delay * 2, self._backoff[1])
                    continue
                try:
                    ser = open_serial(path, self.drv_cls, self.spec, self._timeout)
                except (serial.SerialException, OSError, ValueError) as exc:
                    self._set_state("error", f"cannot open {path}: {exc}", logging.WARNING)
                    self._stop.wait(delay)
                    delay = min(delay * 2, self._backoff[1])
                    continue
                delay = self._backoff[0]
                with self._lock:
                    self.port = path
                    if self._ever_open:
                        self.reconnects += 1
                    self._ever_open = True
                self._win, self._prev = [0, 0], [0, 0]
                self._set_state("open", path)
                try:
                    self._read_loop(ser, path)
                except (serial.SerialException, OSError) as exc:
                    self._set_state("unavailable", f"lost {path}: {exc}", logging.WARNING)
                    self._dispatch(self.driver.reset(), self._clock())
                except Exception as exc:  # a bug must not end the device for good
                    log.exception("sensor %s: unexpected error reading %s", self.spec.name, path)
                    self._set_state("error", f"internal error: {exc!r}", logging.ERROR)
                    self._dispatch(self.driver.reset(), self._clock())
                    self._stop.wait(self._backoff[1])
                finally:
                    try:
                        ser.close()
                    except Exception:  # pragma: no cover - closing a dead port
                        log.debug("closing %s failed", path, exc_info=True)
        finally:
            self._set_state("stopped", "")

    def _read_loop(self, ser: serial.SerialBase, path: str) -> None:
        check_path = not is_url(path)
        next_check = time.monotonic() + PATH_CHECK_S
        stop = self._stop
        feed = self.driver.feed
        raw = logging.getLogger(f"hardware.raw.{self.spec.name}")
        while not stop.is_set():
            data = ser.read(ser.in_waiting or 1)
            if data:
                more = ser.in_waiting
                if more:
                    data += ser.read(more)
                now = self._clock()
                if raw.isEnabledFor(logging.DEBUG):
                    raw.debug("%s", data.hex(" "))
                frames = self.driver.parser.frames
                self._dispatch(feed(data, now), now)
                self._win[0] += self.driver.parser.frames - frames
            self._update_noisy()
            if check_path and time.monotonic() >= next_check:
                next_check = time.monotonic() + PATH_CHECK_S
                if not os.path.exists(path):
                    raise serial.SerialException(f"{path} vanished")

    def _update_noisy(self) -> None:
        """``noisy`` when most frames of the last few seconds were rejected."""
        t = time.monotonic()
        if t - self._win_start >= NOISY_WINDOW_S:
            self._prev, self._win, self._win_start = self._win, [0, 0], t
        good = self._win[0] + self._prev[0]
        bad = self._win[1] + self._prev[1]
        if self.state == "open" and bad >= 3 and bad > 2 * good:
            p = self.driver.parser
            counts = ", ".join(f"{k}={v}" for k, v in sorted(p.errors.items()))
            self._set_state(
                "noisy",
                f"mostly rejected frames ({counts}): wrong driver or baud rate?",
                logging.WARNING,
            )
        elif self.state == "noisy" and good > 0 and bad <= good:
            self._set_state("open", self.port)

    def _dispatch(self, results: Sequence[object], now: float) -> None:
        name = self.spec.name
        # the running count as of each error (the parser has counted them all already)
        count = self.driver.parser.rejected - sum(isinstance(r, FrameError) for r in results)
        for r in results:
            if isinstance(r, FrameError):
                self._win[1] += 1
                count += 1
                self._send(RejectedFrame(name, r.reason, r.detail, count, now))
            else:
                reading = Reading(r.kind, r.value, r.unit, name, now)  # type: ignore[attr-defined]
                with self._lock:
                    self.last_reading = reading
                    self.readings += 1
                self._send(reading)


class DeviceManager:
    """Runs every configured device; ``sink`` receives events on reader threads."""

    def __init__(
        self,
        specs: Sequence[DeviceSpec],
        sink: Sink,
        *,
        port_lister: PortLister = list_serial_ports,
        read_timeout: float = 0.05,
        backoff: tuple[float, float] = (0.1, 1.0),
        clock: Callable[[], float] = time.time,
    ) -> None:
        problems = []
        seen: set[str] = set()
        for s in specs:
            if s.name in seen:
                problems.append(f"device name {s.name!r} used twice")
            seen.add(s.name)
            try:
                get_driver(s.driver)
            except KeyError as exc:
                problems.append(f"device {s.name!r}: {exc.args[0]}")
            if not s.port and not s.vid_pid:
                problems.append(f"device {s.name!r}: give a port or a vid_pid")
        if problems:
            raise ValueError("; ".join(problems))
        self._workers = [
            _Worker(s, sink, port_lister, read_timeout, backoff, clock) for s in specs
        ]
        self._started = False

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        for w in self._workers:
            w.thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop all reader threads and close their ports (joins the threads)."""
        for w in self._workers:
            w.stop()
        deadline = time.monotonic() + timeout
        for w in self._workers:
            if w.thread.is_alive():
                w.thread.join(max(0.0, deadline - time.monotonic()))
            if w.thread.is_alive():  # pragma: no cover - a wedged driver
                log.error("sensor %s: reader thread did not stop", w.spec.name)

    def status(self) -> list[DeviceStatus]:
        return [w.status() for w in self._workers]

    @property
    def specs(self) -> list[DeviceSpec]:
        return [w.spec for w in self._workers]

    def __enter__(self) -> DeviceManager:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
