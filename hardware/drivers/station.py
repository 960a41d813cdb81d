"""Our own line protocol for station equipment without a standard.

Why this module exists: the grip dynamometer, the exercise bike, the
blood-pressure monitor and the height meter are built or adapted in-house; they speak one
NMEA-style protocol, ``$KIND,field,...*HH\\r\\n`` with an XOR checksum, so one
parser, one simulator and one set of tests cover all of them. The
specification is ``docs/station-protocol.md``; keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from hardware.drivers.base import Driver, LineParser, xor_checksum

MAX_SENTENCE = 82
"""Longest sentence from ``$`` to the checksum digits, as in NMEA 0183."""
PROTOCOL_VERSION = 1

_SENTENCE = re.compile(rb"\$([A-Z][A-Z0-9]{1,7})((?:,[^,*$\x00-\x1f\x7f-\xff]*)*)\*([0-9A-Fa-f]{2})")
_DOLLAR = re.compile(rb"\$")
_NUMBER = re.compile(r"-?[0-9]{1,5}(?:\.[0-9]{1,3})?")


def checksum(body: bytes) -> int:
    """XOR of every byte between ``$`` and ``*`` (both excluded)."""
    return xor_checksum(body)


def encode_sentence(kind: str, *fields: object) -> bytes:
    """The exact bytes a station device sends: ``$KIND,f1,f2*HH\\r\\n``."""
    body = ",".join([kind, *(str(f) for f in fields)]).encode("ascii")
    return b"$" + body + f"*{checksum(body):02X}\r\n".encode()


class SentenceError(ValueError):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


Emitted = list[tuple[str, float, str]]


def _num(fields: list[str], i: int, name: str, lo: float, hi: float) -> float:
    if i >= len(fields):
        raise SentenceError("malformed", f"missing field {name}")
    s = fields[i]
    if not _NUMBER.fullmatch(s):
        raise SentenceError("malformed", f"{name} is not a number: {s!r}")
    v = float(s)
    if not lo <= v <= hi:
        raise SentenceError("out_of_range", f"{name} {v:g} outside {lo:g}..{hi:g}")
    return v


def _count(fields: list[str], n: int, kind: str) -> None:
    if len(fields) != n:
        raise SentenceError("malformed", f"{kind} needs {n} fields, got {len(fields)}")


def _grip(f: list[str]) -> Emitted:
    _count(f, 2, "GRIP")
    if f[0] not in ("L", "R"):
        raise SentenceError("malformed", f"GRIP hand must be L or R, got {f[0]!r}")
    kg = _num(f, 1, "grip force", 0, 150)
    return [("grip_left" if f[0] == "L" else "grip_right", kg, "kg")]


def _bike(f: list[str]) -> Emitted:
    _count(f, 2, "BIKE")
    return [
        ("cadence", _num(f, 0, "cadence", 0, 250), "rpm"),
        ("power", _num(f, 1, "power", 0, 2000), "W"),
    ]


def _bp(f: list[str]) -> Emitted:
    _count(f, 3, "BP")
    sys_ = _num(f, 0, "systolic", 60, 280)
    dia = _num(f, 1, "diastolic", 30, 200)
    pulse = _num(f, 2, "pulse", 30, 220)
    if dia >= sys_:
        raise SentenceError("out_of_range", f"diastolic {dia:g} not below systolic {sys_:g}")
    return [("bp_systolic", sys_, "mmHg"), ("bp_diastolic", dia, "mmHg"), ("bp_pulse", pulse, "bpm")]


def _height(f: list[str]) -> Emitted:
    _count(f, 1, "HEIGHT")
    return [("height", _num(f, 0, "height", 50, 250), "cm")]


def _hello(f: list[str]) -> Emitted:
    _count(f, 3, "HELLO")
    _num(f, 0, "protocol version", 1, 99)
    return []


SENTENCES: dict[str, Callable[[list[str]], Emitted]] = {
    "GRIP": _grip,
    "BIKE": _bike,
    "BP": _bp,
    "HEIGHT": _height,
    "HELLO": _hello,
}


def parse_sentence(sentence: bytes) -> tuple[str, list[str], Emitted]:
    """Parse one sentence (``$`` to checksum, no line end).

    Returns ``(kind, fields, measurements)``; unknown kinds give no
    measurements. Raises ``SentenceError`` with a reason for a bad sentence.
    """
    if len(sentence) > MAX_SENTENCE:
        raise SentenceError("overlong", f"sentence of {len(sentence)} bytes > {MAX_SENTENCE}")
    m = _SENTENCE.fullmatch(sentence)
    if m is None:
        raise SentenceError("malformed", "not a `$KIND,field,...*HH` sentence")
    kind_b, fields_b, hh = m.groups()
    body = sentence[1 : m.start(3) - 1]
    want = int(hh, 16)
    got = checksum(body)
    if want != got:
        raise SentenceError("checksum", f"checksum {want:02X} != XOR {got:02X}")
    kind = kind_b.decode("ascii")
    fields = fields_b.decode("ascii").split(",")[1:] if fields_b else []
    handler = SENTENCES.get(kind)
    return kind, fields, (handler(fields) if handler else [])


class StationParser(LineParser):
    def __init__(self) -> None:
        super().__init__()
        self.ignored = 0
        """Well-formed sentences of kinds this version does not know (not errors)."""
        self.identity: list[str] | None = None
        """Fields of the last ``$HELLO`` (protocol version, model, firmware)."""

    def _frame_starts(self, line: bytes) -> list[int]:
        if line.startswith(b"$") and line.count(b"$") == 1:
            return [0]
        return [m.start() for m in _DOLLAR.finditer(line)]

    def _parse_frame(self, frame: bytes) -> None:
        try:
            kind, fields, values = parse_sentence(frame)
        except SentenceError as exc:
            self._reject(exc.reason, exc.detail, frame)
            return
        self.frames += 1
        if kind == "HELLO":
            self.identity = fields
        elif kind not in SENTENCES:
            self.ignored += 1
        for k, v, unit in values:
            self._emit(k, v, unit)


class StationDriver(Driver):
    name: ClassVar[str] = "station"
    description: ClassVar[str] = "Station equipment, `$KIND,field,...*HH` (docs/station-protocol.md)"
    default_baudrate: ClassVar[int] = 115200
    frame_bytes: ClassVar[int] = 16
    """The shortest real sentence (``$BIKE,62,85*0C\r\n``): the highest frame rate."""
    native_frames_per_s: ClassVar[float] = 1.0

    @classmethod
    def make_parser(cls) -> StationParser:
        return StationParser()

    def info(self) -> dict[str, str]:
        p = self.parser
        if not isinstance(p, StationParser):
            return {}
        out = {"ignored": str(p.ignored)} if p.ignored else {}
        if p.identity:
            version, model, firmware = (p.identity + ["", "", ""])[:3]
            out["identity"] = f"{model} {firmware} (protocol {version})"
        return out
