"""RDM6300-style 125 kHz card reader (EM4100 cards), for resident login.

Why this module exists: a card tap is how a resident logs in without typing.
The reader sends, at 9600 baud 8N1, one 14-byte frame per read, repeated
while the card stays in the field::

    0x02 | 10 ASCII hex data chars | 2 ASCII hex checksum chars | 0x03
    STX    (version byte + 4-byte tag)  XOR of the 5 data bytes    ETX

The value reported is the 10-character card ID exactly as read. Debouncing
(one card held still = one login) is time-based and lives in the driver,
not in the pure parser.
"""

from __future__ import annotations

from typing import ClassVar

from hardware.drivers.base import BaseParser, Driver
from hardware.events import Measurement, ParseResult

STX = 0x02
ETX = 0x03
FRAME_LEN = 14
_HEX_CHARS = b"0123456789ABCDEFabcdef"


def checksum(data_hex: bytes) -> int:
    """XOR of the five data bytes given as 10 ASCII hex characters."""
    c = 0
    for b in bytes.fromhex(data_hex.decode("ascii")):
        c ^= b
    return c


def encode_frame(card_id: str) -> bytes:
    """The exact bytes a reader sends for ``card_id`` (10 hex characters)."""
    if len(card_id) != 10 or card_id.encode().translate(None, _HEX_CHARS):
        raise ValueError(f"card id must be 10 hex characters, got {card_id!r}")
    data = card_id.upper().encode("ascii")
    return bytes([STX]) + data + f"{checksum(data):02X}".encode() + bytes([ETX])


def card_number(card_id: str) -> int:
    """The number usually printed on EM4100 cards: the last 4 bytes as an integer."""
    return int(card_id[2:], 16)


def decode_frame(frame: bytes) -> str | tuple[str, str]:
    """Decode one complete 14-byte frame: the card ID, or ``(reason, detail)``."""
    if len(frame) != FRAME_LEN or frame[0] != STX:
        return ("malformed", f"frame must be {FRAME_LEN} bytes starting with STX")
    if frame[13] != ETX:
        return ("malformed", f"no ETX at byte 14 (got 0x{frame[13]:02X})")
    body = frame[1:13]
    if body.translate(None, _HEX_CHARS):
        return ("malformed", "non-hex character in card data")
    want = int(body[10:12], 16)
    got = checksum(body[:10])
    if want != got:
        return ("checksum", f"checksum 0x{want:02X} != XOR 0x{got:02X}")
    return body[:10].decode("ascii")


class Rdm6300Parser(BaseParser):
    """Incremental parser; resynchronises on every STX."""

    def __init__(self) -> None:
        super().__init__()
        self._frame = bytearray()
        self._in_frame = False

    def feed(self, data: bytes) -> list[ParseResult]:
        i, n = 0, len(data)
        fr = self._frame
        while i < n:
            if not self._in_frame:
                j = data.find(b"\x02", i)
                if j < 0:
                    self._noise(data[i:])
                    break
                if j > i:
                    self._noise(data[i:j])
                self._end_noise()
                self._in_frame = True
                fr.clear()
                fr.append(STX)
                i = j + 1
                continue
            chunk = data[i : i + FRAME_LEN - len(fr)]
            k = chunk.find(b"\x02")
            if k >= 0:
                fr += chunk[:k]
                self._reject("truncated", f"frame cut after {len(fr)} of {FRAME_LEN} bytes by a new STX", fr)
                self._in_frame = False
                i += k
                continue
            fr += chunk
            i += len(chunk)
            if len(fr) == FRAME_LEN:
                self._in_frame = False
                res = decode_frame(bytes(fr))
                if isinstance(res, str):
                    self.frames += 1
                    self._emit("card", res, "")
                else:
                    self._reject(res[0], res[1], fr)
        return self._take()

    def _reset_partial(self) -> None:
        if self._in_frame:
            self._reject("truncated", "partial frame dropped on reconnect", self._frame)
        self._in_frame = False
        self._frame.clear()


class CardDebouncer:
    """One card held still = one tap.

    The reader repeats the frame while the card is in the field. A card counts
    again only after it has been absent for ``hold_gap_s``; a different card
    counts at once.
    """

    def __init__(self, hold_gap_s: float = 1.0) -> None:
        self.hold_gap_s = hold_gap_s
        self._card: str | None = None
        self._last_seen = float("-inf")

    def accept(self, card_id: str, now: float) -> bool:
        same = card_id == self._card and now - self._last_seen <= self.hold_gap_s
        self._card = card_id
        self._last_seen = now
        return not same


class Rdm6300Driver(Driver):
    name: ClassVar[str] = "rdm6300"
    description: ClassVar[str] = "RDM6300-style 125 kHz card reader (STX, 10 hex, XOR, ETX)"
    default_baudrate: ClassVar[int] = 9600
    frame_bytes: ClassVar[int] = FRAME_LEN
    native_frames_per_s: ClassVar[float] = 10.0

    def __init__(self, hold_gap_s: float = 1.0) -> None:
        super().__init__()
        self.debouncer = CardDebouncer(hold_gap_s)

    @classmethod
    def make_parser(cls) -> Rdm6300Parser:
        return Rdm6300Parser()

    def feed(self, data: bytes, now: float) -> list[ParseResult]:
        out: list[ParseResult] = []
        for r in self.parser.feed(data):
            if isinstance(r, Measurement) and r.kind == "card":
                if not self.debouncer.accept(str(r.value), now):
                    continue
            out.append(r)
        return out
