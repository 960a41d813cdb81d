"""Typed values that flow out of the serial layer.

Why this module exists: parsers are pure and know nothing about devices or
time, so they produce ``Measurement`` and ``FrameError``. The device manager
stamps them with the device name and the time of arrival and sends
``Reading``, ``RejectedFrame`` and ``DeviceStateChanged`` events to whoever
listens (the kiosk service, ``kiosk sensors watch``, tests, the bench).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Value = float | str


@dataclass(frozen=True, slots=True)
class Measurement:
    """One value decoded from a frame; no device, no time (parsers are pure)."""

    kind: str
    """``card``, ``heart_rate``, ``spo2``, ``finger``, ``weight``, ``grip_left``, ..."""
    value: Value
    unit: str


@dataclass(frozen=True, slots=True)
class FrameError:
    """A rejected frame (or run of unframed bytes); every one is counted."""

    reason: str
    """``checksum``, ``malformed``, ``truncated``, ``noise``, ``overlong``, ``out_of_range``, ``implausible``."""
    detail: str
    raw: bytes = b""


ParseResult = Measurement | FrameError


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Reading:
    """A measurement from a named device at a wall-clock time (``time.time()``)."""

    kind: str
    value: Value
    unit: str
    device: str
    timestamp: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "unit": self.unit,
            "device": self.device,
            "time": _iso(self.timestamp),
        }


@dataclass(frozen=True, slots=True)
class RejectedFrame:
    """A frame a device's parser rejected; ``rejected`` is that device's running count."""

    device: str
    reason: str
    detail: str
    rejected: int
    timestamp: float

    def to_json(self) -> dict[str, Any]:
        return {
            "error": self.reason,
            "detail": self.detail,
            "rejected": self.rejected,
            "device": self.device,
            "time": _iso(self.timestamp),
        }


@dataclass(frozen=True, slots=True)
class DeviceStateChanged:
    device: str
    state: str
    detail: str
    port: str
    timestamp: float

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "state": self.state,
            "detail": self.detail,
            "port": self.port,
            "time": _iso(self.timestamp),
        }


SensorEvent = Reading | RejectedFrame | DeviceStateChanged
