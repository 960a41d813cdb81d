"""Serial sensors as a kiosk service: readings to the UI thread, card logins, status rows.

Why this module exists: screens need three things from the serial devices
and nothing else: a card tap turned into a resident's pseudonymous ID, the
live heart rate and SpO2, and a status row per device for the maintainer
page. This adapter builds the ``hardware`` device manager from the config,
starts simulated devices when the config asks for them (or, with
``simulate = "auto"``, when no configured device is present), and hands
events to the UI thread through ``post``. It never imports Kivy.

The raw card number never leaves this module towards the UI or the store:
``on_card`` and card readings carry the resident's pseudonym from the
residents service (an HMAC under the community key, the same on every kiosk
of the community; see ``kiosk/residents/``). Without that service, or while
its key is missing, card taps are ignored.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from hardware import (
    DeviceManager,
    DeviceSpec,
    DeviceStateChanged,
    DeviceStatus,
    Reading,
    SensorEvent,
    list_serial_ports,
    resolve_port,
)
from hardware.ports import PortLister
from hardware.sim import DeviceSimulator, Faults, start_simulators
from kiosk.config import Config, DataLayout, SensorDevice, data_layout
from kiosk.services.base import Post, State, StatusRow, post_inline
from kiosk.services.residents import ResidentsService

log = logging.getLogger(__name__)

SIM_DRIVERS = ("rdm6300", "cms50d", "scale", "station")
LIVE_MAX_AGE_S = 3.0
"""Heart rate / SpO2 older than this is not shown (the oximeter repeats every second)."""

_STATE_ROW: dict[str, State] = {
    "open": "ok",
    "noisy": "warning",
    "starting": "warning",
    "waiting": "unavailable",
    "unavailable": "unavailable",
    "stopped": "unavailable",
    "error": "error",
}


def device_spec(d: SensorDevice, card_hold_s: float = 1.5) -> DeviceSpec:
    """The hardware-side description of a configured device."""
    return DeviceSpec(
        name=d.name,
        driver=d.driver,
        port=d.port,
        vid_pid=d.vid_pid,
        serial_number=d.serial_number,
        baudrate=d.baudrate,
        parity=d.parity or None,
        options={"hold_gap_s": card_hold_s} if d.driver == "rdm6300" else {},
    )


def start_simulated_devices(
    directory: str | os.PathLike[str] | None = None,
    drivers: Sequence[str] = SIM_DRIVERS,
    faults: Faults | None = None,
    seed: int | None = None,
) -> tuple[list[DeviceSimulator], list[SensorDevice]]:
    """Start simulated devices (threads writing into ptys) and return configs pointing at them.

    Each simulator gets a stable link ``<directory>/<driver>`` (a fresh temporary
    directory by default). Stop them with ``sim.stop()``.
    """
    where = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="kiosk-sim-sensors-"))
    sims = start_simulators(drivers, where, faults=faults or Faults(), seed=seed)
    devices = [SensorDevice.model_validate({"name": f"sim-{s.driver}", "driver": s.driver,
                                            "port": s.path}) for s in sims]
    return sims, devices


def needs_simulators(cfg: Config, lister: PortLister = list_serial_ports) -> bool:
    """``always``; or ``auto`` and none of the configured devices is present now."""
    mode = cfg.sensors.simulate
    if mode != "auto":
        return mode == "always"
    specs = [device_spec(d) for d in cfg.sensors.devices]
    return not any(resolve_port(s, lister) for s in specs)


def _format_reading(r: Reading | None) -> str:
    if r is None:
        return ""
    value = f"{r.value:g}" if isinstance(r.value, float) else str(r.value)
    unit = f" {r.unit}" if r.unit else ""
    return f"{r.kind} {value}{unit} at {time.strftime('%H:%M:%S', time.localtime(r.timestamp))}"


class SensorsService:
    """Runs the serial devices for the kiosk. Callbacks run on the UI thread (via ``post``)."""

    name = "sensors"

    def __init__(
        self,
        cfg: Config,
        post: Post = post_inline,
        layout: DataLayout | None = None,
        *,
        residents: ResidentsService | None = None,
        port_lister: PortLister = list_serial_ports,
        sim_seed: int | None = None,
    ) -> None:
        self.cfg = cfg
        self.post = post
        self.layout = layout or data_layout(cfg)
        self.residents = residents
        self._lister = port_lister
        self._sim_seed = sim_seed
        self.on_reading: Callable[[Reading], None] | None = None
        """Every reading (card readings carry the pseudonymous ID, not the card number)."""
        self.on_card: Callable[[str], None] | None = None
        """A card tap (debounced: one card held still is one call), with the pseudonymous ID."""
        self.on_status: Callable[[], None] | None = None
        """A device changed state (refresh the status page)."""
        self._manager: DeviceManager | None = None
        self._sims: list[DeviceSimulator] = []
        self._simulated: set[str] = set()
        self._latest: dict[str, Reading] = {}
        self._lock = threading.Lock()
        self._error = ""

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self._manager is not None:
            return
        hold = self.cfg.sensors.card_hold_s
        devices = list(self.cfg.sensors.devices)
        if needs_simulators(self.cfg, self._lister):
            self._sims, sim_devices = start_simulated_devices(seed=self._sim_seed)
            self._simulated = {d.name for d in sim_devices}
            devices += sim_devices
            log.info(
                "simulated sensors: %s",
                ", ".join(f"{s.driver}={s.path}" for s in self._sims),
            )
        specs = [device_spec(d, hold) for d in devices]
        try:
            self._manager = DeviceManager(specs, self._on_event, port_lister=self._lister)
        except ValueError as exc:  # config validation should have caught it; show, don't crash
            log.error("serial sensors not started: %s", exc)
            self._error = str(exc)
            return
        self._manager.start()

    def stop(self) -> None:
        if self._manager is not None:
            self._manager.stop()
        dirs = {Path(s.path).parent for s in self._sims}
        for s in self._sims:
            s.stop()
        self._sims = []
        for d in dirs:  # the temporary directory that held the simulators' links
            try:
                d.rmdir()
            except OSError:
                pass

    # -- events (reader threads -> UI thread) ------------------------------------------
    def _on_event(self, ev: SensorEvent) -> None:
        if isinstance(ev, Reading):
            if ev.kind == "card":
                resident = self._pseudonym(str(ev.value))
                if resident is None:
                    return  # card logins are off: the number goes nowhere
                ev = replace(ev, value=resident)
            with self._lock:
                self._latest[ev.kind] = ev
                if ev.kind == "finger" and ev.value == "out":
                    self._latest.pop("heart_rate", None)
                    self._latest.pop("spo2", None)
            self.post(lambda: self._deliver(ev))
        elif isinstance(ev, DeviceStateChanged):
            self.post(self._deliver_status)

    def _pseudonym(self, card: str) -> str | None:
        return self.residents.card_login(card) if self.residents is not None else None

    def _deliver(self, r: Reading) -> None:
        if self.on_reading is not None:
            self.on_reading(r)
        if r.kind == "card" and self.on_card is not None:
            self.on_card(str(r.value))

    def _deliver_status(self) -> None:
        if self.on_status is not None:
            self.on_status()

    # -- queries (any thread) ----------------------------------------------------------
    def latest(self, kind: str, max_age_s: float | None = None) -> Reading | None:
        with self._lock:
            r = self._latest.get(kind)
        if r is None or (max_age_s is not None and time.time() - r.timestamp > max_age_s):
            return None
        return r

    @property
    def heart_rate(self) -> float | None:
        """Live pulse in bpm, or None when no oximeter reading is fresh."""
        r = self.latest("heart_rate", LIVE_MAX_AGE_S)
        return float(r.value) if r else None

    @property
    def spo2(self) -> float | None:
        r = self.latest("spo2", LIVE_MAX_AGE_S)
        return float(r.value) if r else None

    @property
    def simulated_paths(self) -> dict[str, str]:
        return {s.driver: s.path for s in self._sims}

    def devices(self) -> list[DeviceStatus]:
        return self._manager.status() if self._manager else []

    def status(self) -> list[StatusRow]:
        rows = []
        for st in self.devices():
            errors = ", ".join(f"{k} {v}" for k, v in sorted(st.errors.items()))
            sim = st.name in self._simulated
            rows.append(
                StatusRow(
                    area="sensors",
                    name=st.name,
                    state=_STATE_ROW.get(st.state, "warning"),
                    detail=f"{st.driver} · {st.state}" + (f" · {st.detail}" if st.detail else ""),
                    extra={
                        "driver": st.driver,
                        "state": st.state,
                        "port": st.port,
                        "simulated": "yes" if sim else "no",
                        "last_reading": _format_reading(self._safe(st.last_reading)),
                        "readings": str(st.readings),
                        "rejected": str(st.rejected),
                        "errors": errors,
                        "reconnects": str(st.reconnects),
                        **st.info,
                    },
                )
            )
        if not rows:
            rows.append(
                StatusRow("sensors", "", "unavailable", self._error or "no serial devices configured")
            )
        return rows

    def _safe(self, r: Reading | None) -> Reading | None:
        """A reading fit for display: a card number is replaced by its pseudonymous ID."""
        if r is None or r.kind != "card":
            return r
        resident = self._pseudonym(str(r.value))
        if resident is None:
            return replace(r, value="(card)")
        return replace(r, value=resident[:13] + "…")
