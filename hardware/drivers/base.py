"""What every serial driver shares: the parser contract, counted errors, the driver class.

Why this module exists: each protocol is parsed by an incremental, pure
parser (``feed(bytes) -> [Measurement | FrameError]``) that never raises on
bad input and counts every rejected frame. The results depend only on the
bytes, never on how they were split into reads (tests check that), so a
reading that arrived whole is never lost at a read boundary. A ``Driver`` is
the thin device class around a parser: serial settings, a name in the
registry, and any time-based post-processing (card debouncing).
"""

from __future__ import annotations

import re
from typing import ClassVar

from hardware.events import FrameError, Measurement, ParseResult

NOISE_CAP = 256
"""A run of unframed bytes is reported as one ``noise`` error per this many bytes."""


class BaseParser:
    """Counting and noise bookkeeping shared by all parsers."""

    def __init__(self) -> None:
        self.rejected = 0
        """Rejected frames (every ``FrameError`` returned so far)."""
        self.frames = 0
        """Frames accepted (well-formed, checksum good), with or without a measurement."""
        self.errors: dict[str, int] = {}
        self._out: list[ParseResult] = []
        self._noise_len = 0
        self._noise_sample = bytearray()

    # -- results -----------------------------------------------------------
    def _emit(self, kind: str, value: float | str, unit: str) -> None:
        self._out.append(Measurement(kind, value, unit))

    def _reject(self, reason: str, detail: str, raw: bytes = b"") -> None:
        self.rejected += 1
        self.errors[reason] = self.errors.get(reason, 0) + 1
        self._out.append(FrameError(reason, detail, bytes(raw[:32])))

    # -- unframed bytes ----------------------------------------------------
    def _noise(self, chunk: bytes) -> None:
        """Account for bytes outside any frame (reported in runs, capped at NOISE_CAP)."""
        while chunk:
            take = min(len(chunk), NOISE_CAP - self._noise_len)
            if len(self._noise_sample) < 32:
                self._noise_sample += chunk[: 32 - len(self._noise_sample)]
            self._noise_len += take
            chunk = chunk[take:]
            if self._noise_len >= NOISE_CAP:
                self._end_noise()

    def _end_noise(self) -> None:
        if self._noise_len:
            self._reject("noise", f"{self._noise_len} unframed byte(s)", bytes(self._noise_sample))
            self._noise_len = 0
            self._noise_sample.clear()

    def _take(self) -> list[ParseResult]:
        out, self._out = self._out, []
        return out

    # -- interface ---------------------------------------------------------
    def feed(self, data: bytes) -> list[ParseResult]:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self) -> list[ParseResult]:
        """Forget a partial frame (after a reconnect); it is counted as truncated."""
        self._end_noise()
        self._reset_partial()
        return self._take()

    def _reset_partial(self) -> None:  # pragma: no cover - overridden
        pass


_EOL = re.compile(rb"[\r\n]")


class LineParser(BaseParser):
    """Assembles CR/LF-terminated lines for text protocols, with bounded memory.

    A line longer than ``MAX_LINE`` without a terminator is cut at fixed byte
    positions (so the result does not depend on read sizes): one ``overlong``
    error, and only the last ``KEEP`` bytes stay, which is enough to hold a
    frame that starts near the end. Blank lines are ignored.
    """

    MAX_LINE: ClassVar[int] = 1024
    KEEP: ClassVar[int] = 128

    def __init__(self) -> None:
        super().__init__()
        self._buf = bytearray()
        self._trimmed = False

    def feed(self, data: bytes) -> list[ParseResult]:
        i, n = 0, len(data)
        search = _EOL.search
        while i < n:
            m = search(data, i)
            if m is None:
                self._append(data[i:])
                break
            end = m.start()
            if not self._buf and not self._trimmed and end - i <= self.MAX_LINE:
                # fast path: a whole line inside this read (same result as the slow path)
                line = data[i:end]
                if line.strip():
                    self._split_line(line, complete=True)
            else:
                if end > i:
                    self._append(data[i:end])
                self._line_done()
            i = end + 1
        return self._take()

    def _append(self, piece: bytes) -> None:
        buf = self._buf
        room = self.MAX_LINE - len(buf)
        while len(piece) > room:
            buf += piece[:room]
            piece = piece[room:]
            dropped = len(buf) - self.KEEP
            self._reject("overlong", f"{dropped} bytes without a line end", bytes(buf[:32]))
            del buf[:dropped]
            self._trimmed = True
            room = self.MAX_LINE - len(buf)
        buf += piece

    def _line_done(self) -> None:
        if not self._buf and not self._trimmed:
            return
        line = bytes(self._buf)
        self._buf.clear()
        self._trimmed = False
        if line.strip():
            self._split_line(line, complete=True)

    def _split_line(self, line: bytes, complete: bool) -> None:
        """Count what precedes and interrupts the last frame, then parse that frame.

        Bytes before the first frame start are one ``noise`` error; every frame
        start followed by another one in the same line is a ``truncated``
        frame; the last one is parsed (or, for a partial line dropped on a
        reconnect, counted as truncated too).
        """
        starts = self._frame_starts(line)
        if not starts:
            self._reject("noise", "line without a frame", line)
            return
        if line[: starts[0]].strip():
            self._reject("noise", f"{starts[0]} byte(s) before a frame", line[: starts[0]])
        for a, b in zip(starts, starts[1:], strict=False):
            self._reject("truncated", "frame cut short by the next frame", line[a:b])
        last = line[starts[-1] :]
        if complete:
            self._parse_frame(last.rstrip(b" \t"))
        else:
            self._reject("truncated", "partial frame dropped", last)

    def _frame_starts(self, line: bytes) -> list[int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _parse_frame(self, frame: bytes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _reset_partial(self) -> None:
        line = bytes(self._buf)
        self._buf.clear()
        self._trimmed = False
        if line.strip():
            self._split_line(line, complete=False)


class Driver:
    """A device class: serial settings + a parser + optional post-processing."""

    name: ClassVar[str]
    description: ClassVar[str]
    default_baudrate: ClassVar[int]
    bytesize: ClassVar[int] = 8
    parity: ClassVar[str] = "N"
    stopbits: ClassVar[float] = 1
    frame_bytes: ClassVar[int]
    """Length of a typical frame on the wire (for data-rate figures)."""
    native_frames_per_s: ClassVar[float]
    """How many frames per second the real device sends while active."""

    def __init__(self) -> None:
        self.parser: BaseParser = self.make_parser()

    @classmethod
    def make_parser(cls) -> BaseParser:  # pragma: no cover - abstract
        raise NotImplementedError

    def feed(self, data: bytes, now: float) -> list[ParseResult]:
        """Parse bytes that arrived at ``now`` (seconds, any monotonic-ish clock)."""
        return self.parser.feed(data)

    def reset(self) -> list[ParseResult]:
        return self.parser.reset()

    def info(self) -> dict[str, str]:
        """Device-specific facts for the status page (signal strength, identity, ...)."""
        return {}

    @classmethod
    def line_rate_frames_per_s(cls, baudrate: int | None = None) -> float:
        """Frames per second if the line were saturated at ``baudrate`` (an upper bound)."""
        baud = baudrate or cls.default_baudrate
        bits = 1 + cls.bytesize + (0 if cls.parity == "N" else 1) + cls.stopbits
        return baud / bits / cls.frame_bytes


def xor_checksum(data: bytes) -> int:
    """XOR of all bytes (NMEA style and RDM6300 style checksums)."""
    c = 0
    for b in data:
        c ^= b
    return c
