"""Serial sensors for the station: drivers, discovery, hot-plug and simulators.

Why this package exists: the kiosk talks to cheap serial peripherals (an
RDM6300-style card reader, a Contec CMS50D+-style pulse oximeter, a
streaming scale, and station equipment speaking our own ``$KIND,...*HH``
line protocol). Protocol parsing is kept in pure functions and incremental
parsers (bytes in, measurements or counted errors out); the device manager is
a thin layer that opens ports, runs one reader thread per device and survives
unplugging. Plain library: it never imports Kivy or ``kiosk``.

Typical use::

    from hardware import DeviceManager, DeviceSpec

    mgr = DeviceManager([DeviceSpec("oxi", "cms50d", port="/dev/serial/by-id/...")], sink=print)
    mgr.start()
    ...
    mgr.stop()
"""

from hardware.drivers import DRIVERS, Driver, driver_names, get_driver
from hardware.events import (
    DeviceStateChanged,
    FrameError,
    Measurement,
    Reading,
    RejectedFrame,
    SensorEvent,
)
from hardware.manager import DeviceManager, DeviceSpec, DeviceState, DeviceStatus
from hardware.ports import PortInfo, list_serial_ports, resolve_port

__all__ = [
    "DRIVERS",
    "DeviceManager",
    "DeviceSpec",
    "DeviceState",
    "DeviceStateChanged",
    "DeviceStatus",
    "Driver",
    "FrameError",
    "Measurement",
    "PortInfo",
    "Reading",
    "RejectedFrame",
    "SensorEvent",
    "driver_names",
    "get_driver",
    "list_serial_ports",
    "resolve_port",
]
