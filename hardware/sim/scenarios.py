"""Realistic byte streams for each simulated device, at the real device's pace.

Why this module exists: a demo or a test needs data that looks like a
resident using the station: cards tapped and held, a finger in the
oximeter with a drifting pulse, someone stepping on the scale, a grip test,
a bike ride, a blood-pressure result. Each scenario is an endless generator
of ``(delay_s, frame_bytes)``; frames come from the drivers' own encoders.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator

from hardware.drivers import cms50d, rdm6300, scale, station

Step = tuple[float, bytes]

SIM_CARDS = ("0A00BC614E", "1F00D2A3B4", "3C0012AB9F", "0800FFEE01", "5E0099AA00")
"""Card IDs the simulated reader presents (as read from the card)."""


def rdm6300_stream(rng: random.Random, gap_s: tuple[float, float] = (20, 40)) -> Iterator[Step]:
    """A card tapped every so often and held for about a second, frames repeating."""
    yield (rng.uniform(2, 5), b"")
    while True:
        frame = rdm6300.encode_frame(rng.choice(SIM_CARDS))
        for _ in range(rng.randint(6, 15)):  # held ~0.6-1.5 s, a frame every 100 ms
            yield (0.1, frame)
        yield (rng.uniform(*gap_s), b"")


def cms50d_stream(rng: random.Random) -> Iterator[Step]:
    """60 frames/s: finger out, searching, then a measured pulse with a PPG waveform."""
    dt = 1 / 60
    phase = 0.0
    while True:
        for _ in range(int(rng.uniform(3, 6) * 60)):  # finger out
            yield (dt, cms50d.encode_frame(cms50d.OxiFrame(probe_error=True, signal=0)))
        for _ in range(int(rng.uniform(1.5, 3) * 60)):  # searching
            yield (dt, cms50d.encode_frame(cms50d.OxiFrame(searching=True, signal=2)))
        hr = rng.uniform(65, 85)
        spo2 = rng.choice((96, 97, 98, 99))
        for _ in range(int(rng.uniform(25, 40))):  # seconds of measurement
            hr = min(140.0, max(50.0, hr + rng.gauss(0, 1.5)))
            if rng.random() < 0.1:
                spo2 = min(100, max(93, spo2 + rng.choice((-1, 1))))
            for _ in range(60):
                phase = (phase + hr / 60 * dt) % 1.0
                # a PPG-like pulse: sharp systolic rise, dicrotic notch, slow fall
                wave = math.exp(-((phase - 0.15) ** 2) / 0.004) + 0.35 * math.exp(
                    -((phase - 0.45) ** 2) / 0.01
                )
                pleth = int(10 + 100 * min(wave, 1.0))
                f = cms50d.OxiFrame(
                    signal=rng.choice((6, 7, 8)),
                    beep=0.14 < phase < 0.16 + hr / 60 * dt,
                    pleth=min(pleth, 127),
                    bargraph=min(15, pleth // 8),
                    pulse_rate=int(round(hr)),
                    spo2=spo2,
                )
                yield (dt, cms50d.encode_frame(f))


def scale_stream(rng: random.Random) -> Iterator[Step]:
    """10 lines/s: empty platform, someone steps on (unstable), stands still (stable), leaves."""
    dt = 0.1
    while True:
        for _ in range(int(rng.uniform(4, 8) / dt)):
            yield (dt, scale.encode_line(0.0, stable=True))
        target = round(rng.uniform(45, 95), 1)
        steps = int(1.5 / dt)
        for i in range(steps):
            w = target * (i + 1) / steps + rng.gauss(0, 1.5)
            yield (dt, scale.encode_line(round(w, 2), stable=False))
        for _ in range(int(rng.uniform(3, 6) / dt)):
            yield (dt, scale.encode_line(target, stable=True))
        for i in range(steps):
            w = target * (steps - i - 1) / steps + rng.gauss(0, 1.0)
            yield (dt, scale.encode_line(round(max(w, 0.0), 2), stable=False))


def station_stream(rng: random.Random) -> Iterator[Step]:
    """A grip test, a bike ride with cadence/power each second, a blood-pressure result."""
    yield (0.2, station.encode_sentence("HELLO", station.PROTOCOL_VERSION, "STATION-SIM", "1.0"))
    while True:
        yield (rng.uniform(3, 6), station.encode_sentence("GRIP", "R", f"{rng.uniform(18, 40):.1f}"))
        yield (rng.uniform(2, 4), station.encode_sentence("GRIP", "L", f"{rng.uniform(16, 38):.1f}"))
        yield (rng.uniform(1, 2), station.encode_sentence("HEIGHT", f"{rng.uniform(148, 178):.1f}"))
        cadence = rng.uniform(45, 65)
        for _ in range(rng.randint(10, 20)):
            cadence = min(110.0, max(30.0, cadence + rng.gauss(0, 3)))
            power = cadence * rng.uniform(1.2, 1.6)
            yield (1.0, station.encode_sentence("BIKE", int(cadence), int(power)))
        sys_ = rng.randint(110, 150)
        yield (
            rng.uniform(3, 6),
            station.encode_sentence("BP", sys_, rng.randint(65, min(95, sys_ - 20)), rng.randint(60, 90)),
        )


STREAMS: dict[str, Callable[[random.Random], Iterator[Step]]] = {
    "rdm6300": rdm6300_stream,
    "cms50d": cms50d_stream,
    "scale": scale_stream,
    "station": station_stream,
}
