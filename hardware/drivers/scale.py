"""Weighing scale (platform scale indicator) streaming ``ST,GS,+  72.50kg`` lines.

Why this module exists: the fitness test records body weight. Common scale
indicators stream one line per reading, about 10 a second, 9600 baud 8N1::

    ST,GS,+  72.50kg\\r\\n
    ^^ ^^ ^ ^^^^^^^ ^^
    |  |  | value   unit (kg, lb or g)
    |  |  sign
    |  GS gross / NT net
    ST stable / US unstable / OL overload

Only stable weights are reported (kind ``weight`` for gross, ``net_weight``
for net, always in kg), once per stable period: a new reading when the
stable value changes or after the scale was unstable or overloaded.

A line may carry leading garbage or the start of a frame that was cut
short (its line end lost): the frame is taken from the last header in the
line; what precedes it is counted (``noise``, ``truncated``).
"""

from __future__ import annotations

import re
from typing import ClassVar, NamedTuple

from hardware.drivers.base import Driver, LineParser

LB = 0.45359237
MAX_KG = 500.0

_FRAME = re.compile(
    rb"(ST|US|OL),(GS|NT),([+-]) *([0-9]{1,6}(?:\.[0-9]{1,4})?) *(kg|lb|g)"
)
_OVERLOAD = re.compile(rb"OL,(GS|NT),[ -~]{0,24}")
_HEADER = re.compile(rb"(?:ST|US|OL),")


def encode_line(weight: float, stable: bool = True, net: bool = False, unit: str = "kg") -> bytes:
    """The exact bytes the indicator sends (``ST,GS,+  72.50kg\\r\\n``)."""
    sign = "-" if weight < 0 else "+"
    return f"{'ST' if stable else 'US'},{'NT' if net else 'GS'},{sign}{abs(weight):7.2f}{unit}\r\n".encode()


class ScaleFrame(NamedTuple):
    status: str
    """``ST`` stable, ``US`` unstable, ``OL`` overload (then ``kg`` is None)."""
    mode: str
    """``GS`` gross or ``NT`` net."""
    kg: float | None


def parse_frame(frame: bytes) -> ScaleFrame | tuple[str, str]:
    """Parse one frame (no line end): a ``ScaleFrame`` or ``(reason, detail)``."""
    m = _FRAME.fullmatch(frame)
    if m is None:
        if _OVERLOAD.fullmatch(frame):
            return ScaleFrame("OL", frame[3:5].decode(), None)
        return ("malformed", "not a `ST,GS,+  72.50kg` frame")
    status, mode, sign, digits, unit = m.groups()
    value = float(digits)
    if unit == b"lb":
        value *= LB
    elif unit == b"g":
        value /= 1000.0
    if sign == b"-":
        value = -value
    if abs(value) > MAX_KG:
        return ("out_of_range", f"{value:.2f} kg is beyond {MAX_KG:.0f} kg")
    return ScaleFrame(status.decode(), mode.decode(), round(value, 3))


class ScaleParser(LineParser):
    def __init__(self) -> None:
        super().__init__()
        self._last: tuple[str, float] | None = None

    def _frame_starts(self, line: bytes) -> list[int]:
        return [m.start() for m in _HEADER.finditer(line)]

    def _parse_frame(self, frame: bytes) -> None:
        res = parse_frame(frame)
        if not isinstance(res, ScaleFrame):
            self._reject(res[0], res[1], frame)
            return
        status, mode, kg = res
        self.frames += 1
        if status != "ST" or kg is None:
            self._last = None
            return
        key = (mode, kg)
        if key != self._last:
            self._last = key
            self._emit("weight" if mode == "GS" else "net_weight", kg, "kg")


class ScaleDriver(Driver):
    name: ClassVar[str] = "scale"
    description: ClassVar[str] = "Scale indicator streaming `ST,GS,+  72.50kg` lines"
    default_baudrate: ClassVar[int] = 9600
    frame_bytes: ClassVar[int] = 18
    native_frames_per_s: ClassVar[float] = 10.0

    @classmethod
    def make_parser(cls) -> ScaleParser:
        return ScaleParser()
