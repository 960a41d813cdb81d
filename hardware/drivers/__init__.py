"""Driver registry: config names a driver per port (``rdm6300``, ``cms50d``, ``scale``, ``station``).

Why this module exists: the device manager, the CLI and the simulators look
drivers up by the name the config uses, never by import path, so adding a
driver is one module plus one line here.
"""

from __future__ import annotations

from hardware.drivers.base import BaseParser, Driver
from hardware.drivers.cms50d import Cms50dDriver
from hardware.drivers.rdm6300 import Rdm6300Driver
from hardware.drivers.scale import ScaleDriver
from hardware.drivers.station import StationDriver

DRIVERS: dict[str, type[Driver]] = {
    d.name: d for d in (Rdm6300Driver, Cms50dDriver, ScaleDriver, StationDriver)
}


def driver_names() -> list[str]:
    return sorted(DRIVERS)


def get_driver(name: str) -> type[Driver]:
    """The driver class registered as ``name``; ``KeyError`` names the known ones."""
    try:
        return DRIVERS[name]
    except KeyError:
        raise KeyError(
            f"unknown sensor driver {name!r} (known: {', '.join(driver_names())})"
        ) from None


__all__ = ["DRIVERS", "BaseParser", "Driver", "driver_names", "get_driver"]
