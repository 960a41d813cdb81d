"""Fault injection for simulated devices.

Why this module exists: the parsers must survive what real cables and
devices do. Each fault turns a good frame into what a receiver would get:
garbage bytes before it, a broken checksum (or, for protocols without one, a
broken sync bit or character), a truncated frame, or the frame as decoded by
a UART running at the wrong baud rate (computed bit by bit, not faked).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Faults:
    garbage: float = 0.0
    """Probability per frame of 1-16 random bytes before it."""
    bad_checksum: float = 0.0
    """Probability per frame of a corrupted checksum (sync bit or character without one)."""
    truncated: float = 0.0
    """Probability per frame of sending only its first part."""
    baud_noise: float = 0.0
    """Probability per frame of sending it at a wrong baud rate."""
    disconnect_every_s: float = 0.0
    """Unplug the device this often (0 = never)."""
    disconnect_for_s: float = 2.0

    @property
    def any(self) -> bool:
        return any((self.garbage, self.bad_checksum, self.truncated, self.baud_noise,
                    self.disconnect_every_s))


def _bits(data: bytes) -> list[int]:
    bits = [1, 1]
    for b in data:
        bits.append(0)
        bits.extend((b >> i) & 1 for i in range(8))
        bits.append(1)
    bits.extend([1] * 12)
    return bits


def uart_resample(data: bytes, tx_baud: int, rx_baud: int) -> bytes:
    """The bytes an 8N1 receiver at ``rx_baud`` decodes from ``data`` sent 8N1 at ``tx_baud``.

    Time is measured in transmitted bit periods. The receiver waits for a
    falling edge, then samples the middle of each of its own (longer or
    shorter) bit periods, as a UART does; frames with a bad stop bit are still
    delivered (Linux passes them on unless asked to mark them).
    """
    bits = _bits(data)
    n = len(bits)
    r = tx_baud / rx_baud  # one receiver bit, in transmitter bit periods
    out = bytearray()

    def level(t: float) -> int:
        i = int(t)
        return bits[i] if i < n else 1

    t = 0.0
    step = max(r / 16, 1 / 16)
    while t < n:
        if level(t) == 1:
            t += step
            continue
        byte = 0
        for k in range(8):
            byte |= level(t + r * (1.5 + k)) << k
        out.append(byte)
        t += r * 9.5  # stop bit middle; resume edge search from there
        while t < n and level(t) == 0:
            t += step
    return bytes(out)


def corrupt_checksum(driver: str, frame: bytes, rng: random.Random) -> bytes:
    """Damage the integrity part of a frame the way a flipped bit would."""
    b = bytearray(frame)
    if driver == "rdm6300":  # one of the two checksum characters
        i = rng.choice((11, 12))
        b[i] = ord(rng.choice([c for c in "0123456789ABCDEF" if ord(c) != b[i]]))
    elif driver == "station":
        star = frame.rfind(b"*")
        i = star + rng.choice((1, 2))
        b[i] = ord(rng.choice([c for c in "0123456789ABCDEF" if ord(c) != b[i]]))
    elif driver == "cms50d":  # no checksum: break the sync bit pattern
        i = rng.randrange(len(b))
        b[i] ^= 0x80
    else:  # scale: no checksum; a character turns into something else
        digits = [i for i, c in enumerate(b) if chr(c).isdigit()]
        i = rng.choice(digits) if digits else 0
        b[i] = ord(rng.choice("?#:;"))
    return bytes(b)


def apply_faults(
    driver: str, frame: bytes, faults: Faults, rng: random.Random, baud: int
) -> tuple[bytes, str]:
    """The bytes to send for ``frame`` and the fault applied (``""`` for none)."""
    prefix = b""
    kind = ""
    if faults.garbage and rng.random() < faults.garbage:
        prefix = rng.randbytes(rng.randint(1, 16))
        kind = "garbage"
    if faults.bad_checksum and rng.random() < faults.bad_checksum:
        return prefix + corrupt_checksum(driver, frame, rng), "bad_checksum"
    if faults.truncated and rng.random() < faults.truncated and len(frame) > 1:
        return prefix + frame[: rng.randint(1, len(frame) - 1)], "truncated"
    if faults.baud_noise and rng.random() < faults.baud_noise:
        wrong = int(baud * rng.choice((0.5, 0.75, 1.5, 2.0)))
        return prefix + uart_resample(frame, wrong, baud), "baud_noise"
    return prefix + frame, kind
