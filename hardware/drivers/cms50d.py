"""Contec CMS50D+-style pulse oximeter: live heart rate and SpO2.

Why this module exists: residents see their pulse during exercise. The
oximeter streams 60 five-byte frames a second (19200 baud, 8 data bits, odd
parity on the CMS50D+; 4800 baud on older models). The first byte of a frame
has bit 7 set (sync), the other four have it clear:

====  ======================================================================
byte  bits
====  ======================================================================
1     0-3 signal strength, 4 searching too long, 5 SpO2 dropping, 6 pulse beep, 7 = 1
2     0-6 plethysmogram (pulse waveform)
3     0-3 bar graph, 4 probe error / finger out, 5 searching for pulse, 6 pulse rate bit 7
4     0-6 pulse rate bits 0-6 (255 = no value)
5     0-6 SpO2 in % (127 = no value)
====  ======================================================================

The protocol has no checksum, so a value is only reported after it was seen
in ``CONFIRM`` consecutive well-formed frames (values change about once a
second, frames come 60 times a second): a corrupted byte cannot produce a
false reading, it only delays the next one by a few frames. Readings are
``heart_rate`` (bpm) and ``spo2`` (%) when they change and about once a second
otherwise, and ``finger`` (``in`` / ``out``) when that changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from hardware.drivers.base import BaseParser, Driver
from hardware.events import ParseResult

FRAME_LEN = 5
NO_PULSE = 255
NO_SPO2 = 127
CONFIRM = 3
"""Consecutive identical frames needed before a value is reported."""
REPEAT_FRAMES = 60
"""Report an unchanged value again after this many frames (about 1 s)."""
PULSE_RANGE = (25, 250)
SPO2_RANGE = (50, 100)

_SYNC = re.compile(rb"[\x80-\xff]")
_FRAME = re.compile(rb"[\x80-\xff][\x00-\x7f]{4}")


@dataclass(frozen=True, slots=True)
class OxiFrame:
    signal: int = 0
    searching_too_long: bool = False
    spo2_dropping: bool = False
    beep: bool = False
    pleth: int = 0
    bargraph: int = 0
    probe_error: bool = False
    searching: bool = False
    pulse_rate: int = NO_PULSE
    spo2: int = NO_SPO2


def decode_frame(frame: bytes) -> OxiFrame | tuple[str, str]:
    """Decode one 5-byte frame, or return ``(reason, detail)``."""
    if len(frame) != FRAME_LEN:
        return ("truncated", f"frame of {len(frame)} bytes, need {FRAME_LEN}")
    b1, b2, b3, b4, b5 = frame
    if not b1 & 0x80 or (b2 | b3 | b4 | b5) & 0x80:
        return ("malformed", "sync bit pattern wrong")
    return OxiFrame(
        signal=b1 & 0x0F,
        searching_too_long=bool(b1 & 0x10),
        spo2_dropping=bool(b1 & 0x20),
        beep=bool(b1 & 0x40),
        pleth=b2,
        bargraph=b3 & 0x0F,
        probe_error=bool(b3 & 0x10),
        searching=bool(b3 & 0x20),
        pulse_rate=((b3 & 0x40) << 1) | b4,
        spo2=b5,
    )


def encode_frame(f: OxiFrame) -> bytes:
    """The exact bytes the oximeter sends for ``f``."""
    if not (0 <= f.pulse_rate <= 255 and 0 <= f.spo2 <= 127 and 0 <= f.pleth <= 127):
        raise ValueError(f"value out of the protocol's range: {f}")
    b1 = 0x80 | (f.signal & 0x0F)
    b1 |= (0x10 if f.searching_too_long else 0) | (0x20 if f.spo2_dropping else 0)
    b1 |= 0x40 if f.beep else 0
    b3 = (f.bargraph & 0x0F) | (0x10 if f.probe_error else 0) | (0x20 if f.searching else 0)
    b3 |= (f.pulse_rate & 0x80) >> 1
    return bytes((b1, f.pleth & 0x7F, b3, f.pulse_rate & 0x7F, f.spo2 & 0x7F))


class Cms50dParser(BaseParser):
    """Incremental parser; resynchronises on every byte with bit 7 set."""

    def __init__(self) -> None:
        super().__init__()
        self._frame = bytearray()
        self._in_frame = False
        self._cand: tuple[int, int] | str | None = None
        self._run = 0
        self._shown: tuple[int, int] | None = None
        self._finger: str | None = None
        self._since = 0
        self._last_raw: bytes | None = None

    def feed(self, data: bytes) -> list[ParseResult]:
        i, n = 0, len(data)
        fr = self._frame
        search = _SYNC.search
        whole = _FRAME.match
        while i < n:
            if not self._in_frame:
                m = search(data, i)
                if m is None:
                    self._noise(data[i:])
                    self._run = 0
                    break
                j = m.start()
                if j > i:
                    self._noise(data[i:j])
                    self._run = 0
                self._end_noise()
                if whole(data, j):  # fast path: a complete frame is right here
                    self._frame_done(data[j : j + FRAME_LEN])
                    i = j + FRAME_LEN
                    continue
                self._in_frame = True
                fr.clear()
                fr.append(data[j])
                i = j + 1
                continue
            chunk = data[i : i + FRAME_LEN - len(fr)]
            m = search(chunk)
            if m is not None:
                k = m.start()
                fr += chunk[:k]
                self._reject("truncated", f"frame cut after {len(fr)} of {FRAME_LEN} bytes by a sync byte", fr)
                self._run = 0
                self._in_frame = False
                i += k
                continue
            fr += chunk
            i += len(chunk)
            if len(fr) == FRAME_LEN:
                self._in_frame = False
                self._frame_done(bytes(fr))
        return self._take()

    @property
    def last(self) -> OxiFrame | None:
        """The last well-formed frame (signal strength, pleth, flags) for a status display."""
        if self._last_raw is None:
            return None
        f = decode_frame(self._last_raw)
        return f if isinstance(f, OxiFrame) else None

    def _frame_done(self, raw: bytes) -> None:
        """One well-framed frame: what it says (a value, ``out``, ``searching``), then confirm.

        The hot path: fields are read straight from the bytes (see ``decode_frame``
        for the layout); frames without a flag but with values outside
        ``PULSE_RANGE``/``SPO2_RANGE`` are rejected as ``implausible``.
        """
        b1, _, b3, b4, b5 = raw
        if b3 & 0x10:
            key: tuple[int, int] | str = "out"
        elif b3 & 0x20 or b1 & 0x10:
            key = "searching"
        else:
            pulse = ((b3 & 0x40) << 1) | b4
            if pulse in (0, NO_PULSE) or b5 in (0, NO_SPO2):
                key = "searching"
            elif PULSE_RANGE[0] <= pulse <= PULSE_RANGE[1] and SPO2_RANGE[0] <= b5 <= SPO2_RANGE[1]:
                key = (pulse, b5)
            else:
                self._reject("implausible", f"pulse {pulse} / SpO2 {b5} without a flag", raw)
                self._run = 0
                return
        self.frames += 1
        self._last_raw = raw
        self._since += 1
        if key == self._cand:
            self._run += 1
        else:
            self._cand = key
            self._run = 1
        if self._run < CONFIRM:
            return
        if key == "out":
            if self._finger != "out":
                self._finger = "out"
                self._shown = None
                self._emit("finger", "out", "")
        elif isinstance(key, tuple):
            if self._finger != "in":
                self._finger = "in"
                self._emit("finger", "in", "")
            if key != self._shown or self._since >= REPEAT_FRAMES:
                self._shown = key
                self._since = 0
                self._emit("heart_rate", float(key[0]), "bpm")
                self._emit("spo2", float(key[1]), "%")

    def _reset_partial(self) -> None:
        if self._in_frame:
            self._reject("truncated", "partial frame dropped on reconnect", self._frame)
        self._in_frame = False
        self._frame.clear()
        self._run = 0
        self._cand = None


class Cms50dDriver(Driver):
    name: ClassVar[str] = "cms50d"
    description: ClassVar[str] = "Contec CMS50D+-style pulse oximeter (5-byte frames, sync bit)"
    default_baudrate: ClassVar[int] = 19200
    parity: ClassVar[str] = "O"
    frame_bytes: ClassVar[int] = FRAME_LEN
    native_frames_per_s: ClassVar[float] = 60.0

    @classmethod
    def make_parser(cls) -> Cms50dParser:
        return Cms50dParser()

    def info(self) -> dict[str, str]:
        f = self.parser.last if isinstance(self.parser, Cms50dParser) else None
        if f is None:
            return {}
        finger = "out" if f.probe_error else ("searching" if f.searching else "in")
        return {"signal": f"{f.signal}/15", "finger": finger}
