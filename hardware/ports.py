"""Finding serial ports: by ``/dev/serial/by-id`` path, by USB VID:PID + serial number, by name, by URL.

Why this module exists: USB serial adapters change names (``ttyUSB0`` becomes
``ttyUSB1`` after a replug or a reboot). Config can pin a device by its
stable ``/dev/serial/by-id/...`` link or by USB identity; this module turns a
``DeviceSpec`` into the port to open right now, or None when it is absent.
pyserial URLs (``loop://``, ``spy://...``, ``socket://...``) pass through.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from hardware.manager import DeviceSpec


@dataclass(frozen=True)
class PortInfo:
    device: str
    """What to open: ``/dev/ttyUSB0``."""
    description: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""
    by_id: str = ""
    """The stable ``/dev/serial/by-id/...`` link for this port, if any."""

    @property
    def vid_pid(self) -> str:
        if self.vid is None or self.pid is None:
            return ""
        return f"{self.vid:04x}:{self.pid:04x}"


PortLister = Callable[[], Sequence[PortInfo]]


def _by_id_links() -> dict[str, str]:
    links: dict[str, str] = {}
    for link in sorted(glob.glob("/dev/serial/by-id/*")):
        try:
            links[os.path.realpath(link)] = link
        except OSError:  # pragma: no cover - a link vanishing while we look
            continue
    return links


def list_serial_ports() -> list[PortInfo]:
    """The serial ports the OS reports (``serial.tools.list_ports``), with their by-id links."""
    from serial.tools import list_ports

    links = _by_id_links()
    out = []
    for p in list_ports.comports():
        out.append(
            PortInfo(
                device=p.device,
                description=p.description or "",
                vid=p.vid,
                pid=p.pid,
                serial_number=p.serial_number or "",
                by_id=links.get(os.path.realpath(p.device), ""),
            )
        )
    return out


def is_url(port: str) -> bool:
    return "://" in port


def matches(spec: DeviceSpec, info: PortInfo) -> bool:
    """Does this port carry the USB identity (VID:PID, serial number) the spec names?"""
    if not spec.vid_pid or info.vid_pid != spec.vid_pid.lower():
        return False
    return not spec.serial_number or info.serial_number == spec.serial_number


def resolve_port(spec: DeviceSpec, lister: PortLister = list_serial_ports) -> str | None:
    """The port to open for ``spec`` now, or None if it is not present.

    A configured path or name wins when it exists; otherwise a port with the
    configured VID:PID (and serial number) is used, whatever its name.
    """
    if spec.port:
        if is_url(spec.port):
            return spec.port
        if os.path.exists(spec.port):
            return spec.port
        if os.sep not in spec.port and os.path.exists(os.path.join("/dev", spec.port)):
            return os.path.join("/dev", spec.port)
        if not spec.vid_pid:
            return None
    if spec.vid_pid:
        for info in lister():
            if matches(spec, info):
                return info.device
    return None
