"""Serial sensor bench: parser throughput per driver, and frame-to-event latency through real ptys.

Why this script exists: issue 4's speed targets. (1) Each parser runs over a
10 MB stream of realistic frames mixed with 10% random garbage bytes, fed in
4 KiB reads as from a port; frames per second are compared with the plain
alternative (a one-shot regular expression over the whole buffer, no
counting, no resynchronisation state) and with each device's real data rate.
(2) Frames are written into a pseudo-terminal and the time from the last
byte written to the ``Reading`` event from the device manager is measured;
the plain alternative is a bare pyserial read loop calling the same parser
on the reading thread (no manager, no events).

Run: ``.venv/bin/python bench/serial_bench.py [--mb 10] [--runs 3] [--frames 100]``.
Last line: ``{"latency_ms_p50", "latency_ms_p99", "parse_frames_per_s": {driver: n}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware import DeviceManager, DeviceSpec, Reading  # noqa: E402
from hardware.drivers import DRIVERS, cms50d, rdm6300, scale, station  # noqa: E402
from hardware.manager import open_serial  # noqa: E402
from hardware.sim import PtyPort  # noqa: E402

GARBAGE_SHARE = 0.10
CHUNK = 4096


# ---------------------------------------------------------------------------- streams
def frames_rdm6300(rng: random.Random) -> Callable[[int], bytes]:
    return lambda i: rdm6300.encode_frame(f"{rng.randrange(16**10):010X}")


def frames_cms50d(rng: random.Random) -> Callable[[int], bytes]:
    state = {"hr": 72, "spo2": 97}

    def make(i: int) -> bytes:
        if i % 60 == 0:  # values change about once a second, frames come 60 times a second
            state["hr"] = rng.randint(55, 120)
            state["spo2"] = rng.randint(93, 99)
        return cms50d.encode_frame(
            cms50d.OxiFrame(signal=7, pleth=i % 100, bargraph=i % 16,
                            pulse_rate=state["hr"], spo2=state["spo2"])
        )

    return make


def frames_scale(rng: random.Random) -> Callable[[int], bytes]:
    return lambda i: scale.encode_line(round(rng.uniform(40, 120), 2), stable=(i % 3 != 0))


def frames_station(rng: random.Random) -> Callable[[int], bytes]:
    def make(i: int) -> bytes:
        k = i % 3
        if k == 0:
            return station.encode_sentence("GRIP", "LR"[i % 2], f"{rng.uniform(10, 60):.1f}")
        if k == 1:
            return station.encode_sentence("BIKE", rng.randint(30, 110), rng.randint(20, 300))
        return station.encode_sentence("BP", rng.randint(100, 160), rng.randint(60, 95),
                                       rng.randint(50, 100))

    return make


MAKERS = {"rdm6300": frames_rdm6300, "cms50d": frames_cms50d, "scale": frames_scale,
          "station": frames_station}


def build_stream(driver: str, size: int, seed: int = 1) -> tuple[bytes, int]:
    """``size`` bytes of valid frames with ~10% random garbage bytes between them."""
    rng = random.Random(seed)
    make = MAKERS[driver](rng)
    parts: list[bytes] = []
    total = garbage = frames = 0
    while total < size:
        f = make(frames)
        parts.append(f)
        frames += 1
        total += len(f)
        while garbage < GARBAGE_SHARE * total:
            g = rng.randbytes(rng.randint(1, 24))
            parts.append(g)
            garbage += len(g)
            total += len(g)
    return b"".join(parts), frames


# ------------------------------------------------------------------- plain alternatives
_PLAIN = {
    "rdm6300": re.compile(rb"\x02([0-9A-F]{10})([0-9A-F]{2})\x03"),
    "cms50d": re.compile(rb"[\x80-\xff][\x00-\x7f]{4}"),
    "scale": re.compile(rb"(ST|US),(GS|NT),([+-]) *([0-9.]+)(kg)\r\n"),
    "station": re.compile(rb"\$([A-Z0-9]+)((?:,[^,*\r\n]*)*)\*([0-9A-F]{2})\r\n"),
}


def plain_parse(driver: str, data: bytes) -> int:
    """What a quick script would do: one regex over the whole buffer, minimal checks."""
    n = 0
    for m in _PLAIN[driver].finditer(data):
        if driver == "rdm6300":
            body = bytes.fromhex(m.group(1).decode())
            c = 0
            for b in body:
                c ^= b
            n += c == int(m.group(2), 16)
        elif driver == "station":
            body = m.group(1) + m.group(2)
            c = 0
            for b in body:
                c ^= b
            n += c == int(m.group(3), 16)
        else:
            n += 1
    return n


def time_parser(driver: str, data: bytes) -> tuple[float, int, int]:
    parser = DRIVERS[driver].make_parser()
    t0 = time.perf_counter()
    for i in range(0, len(data), CHUNK):
        parser.feed(data[i : i + CHUNK])
    parser.reset()
    return time.perf_counter() - t0, parser.frames, parser.rejected


def time_plain(driver: str, data: bytes) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = plain_parse(driver, data)
    return time.perf_counter() - t0, n


# ------------------------------------------------------------------------------ latency
def latency_frames(driver: str, n: int) -> list[tuple[bytes, bytes, str, object]]:
    """(lead-in bytes, the frame that completes the reading, reading kind, value) per sample."""
    out = []
    for i in range(n):
        if driver == "station":
            out.append((b"", station.encode_sentence("GRIP", "R", f"{i}.5"), "grip_right", i + 0.5))
        elif driver == "rdm6300":
            out.append((b"", rdm6300.encode_frame(f"{i + 1:010X}"), "card", f"{i + 1:010X}"))
        elif driver == "scale":
            out.append((b"", scale.encode_line(20.0 + i / 10), "weight", round(20.0 + i / 10, 3)))
        else:  # a value is reported on the CONFIRM-th identical frame
            f = cms50d.encode_frame(cms50d.OxiFrame(signal=7, pulse_rate=40 + i % 200, spo2=97))
            out.append((f * (cms50d.CONFIRM - 1), f, "heart_rate", float(40 + i % 200)))
    return out


def measure_manager(driver: str, n: int, rng: random.Random) -> list[float]:
    with tempfile.TemporaryDirectory() as d:
        port = PtyPort(Path(d) / "dev")
        arrived: dict[object, float] = {}

        def sink(ev: object) -> None:
            if isinstance(ev, Reading):
                arrived.setdefault((ev.kind, ev.value), time.perf_counter())

        mgr = DeviceManager([DeviceSpec("dev", driver, port=port.path)], sink)
        mgr.start()
        try:
            deadline = time.monotonic() + 5
            while mgr.status()[0].state != "open" and time.monotonic() < deadline:
                time.sleep(0.01)
            return _send_and_match(port, latency_frames(driver, n), arrived, rng)
        finally:
            mgr.stop()
            port.close()


def measure_plain(driver: str, n: int, rng: random.Random) -> list[float]:
    """Baseline: a bare pyserial loop on one thread, the same parser, no manager."""
    with tempfile.TemporaryDirectory() as d:
        port = PtyPort(Path(d) / "dev")
        arrived: dict[object, float] = {}
        stop = threading.Event()
        drv = DRIVERS[driver]
        ser = open_serial(port.path, drv, DeviceSpec("dev", driver, port=port.path), 0.05)

        def loop() -> None:
            d = drv()
            while not stop.is_set():
                data = ser.read(ser.in_waiting or 1)
                if data:
                    for r in d.feed(data, time.time()):
                        if not hasattr(r, "reason"):
                            arrived.setdefault((r.kind, r.value), time.perf_counter())

        t = threading.Thread(target=loop)
        t.start()
        try:
            return _send_and_match(port, latency_frames(driver, n), arrived, rng)
        finally:
            stop.set()
            t.join()
            ser.close()
            port.close()


def _send_and_match(port: PtyPort, samples, arrived: dict, rng: random.Random) -> list[float]:
    sent: dict[object, float] = {}
    for lead, frame, kind, value in samples:
        if lead:
            port.write(lead)
            time.sleep(0.002)
        sent[(kind, value)] = time.perf_counter()  # just before: includes the write itself
        port.write(frame)
        time.sleep(rng.uniform(0.005, 0.015))
    deadline = time.monotonic() + 2
    while len(arrived) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.01)
    lost = [k for k in sent if k not in arrived]
    if lost:
        print(f"  warning: {len(lost)} readings never arrived, e.g. {lost[:3]}", file=sys.stderr)
    return [(arrived[k] - t) * 1000 for k, t in sent.items() if k in arrived]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, round(q / 100 * (len(xs) - 1))))
    return xs[i]


# --------------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=10.0, help="stream size per driver in MB")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure (the median is kept)")
    ap.add_argument("--frames", type=int, default=100, help="latency samples per driver per run")
    args = ap.parse_args()
    size = int(args.mb * 1_000_000)
    drivers = sorted(DRIVERS)
    print(f"serial_bench: {args.mb:g} MB per driver, {GARBAGE_SHARE:.0%} garbage, "
          f"{args.runs} runs (medians), {os.cpu_count()} CPUs (shared machine)\n")

    # -- throughput
    rates: dict[str, float] = {}
    rows = []
    for drv in drivers:
        data, frames = build_stream(drv, size)
        ours, plain = [], []
        rej = acc = 0
        for _ in range(args.runs):
            dt, acc, rej = time_parser(drv, data)
            ours.append(frames / dt)
            pdt, _ = time_plain(drv, data)
            plain.append(frames / pdt)
        rate = statistics.median(ours)
        rates[drv] = rate
        cls = DRIVERS[drv]
        line_rate = cls.line_rate_frames_per_s()
        rows.append((drv, frames, acc, rej, rate, statistics.median(plain), line_rate,
                     cls.native_frames_per_s))
    fastest_dev = max(r[6] for r in rows)
    print("Parser throughput (valid frames in the stream per second of parsing, 4 KiB reads;")
    print("'accepted' may exceed 'frames' for cms50d: random garbage can form well-formed frames,")
    print("which the confirmation rule keeps from becoming readings)")
    hdr = (f"{'driver':<8} {'frames':>8} {'accepted':>8} {'rejected':>8} {'ours f/s':>11} "
           f"{'plain f/s':>11} {'ours/plain':>10} {'line-rate f/s':>13} {'x line-rate':>11} "
           f"{'device f/s':>10} {'x device':>9}")
    print(hdr)
    print("-" * len(hdr))
    for drv, frames, acc, rej, rate, prate, line_rate, native in rows:
        print(f"{drv:<8} {frames:>8} {acc:>8} {rej:>8} {rate:>11,.0f} {prate:>11,.0f} "
              f"{rate / prate:>10.2f} {line_rate:>13,.0f} {rate / line_rate:>11,.0f} "
              f"{native:>10g} {rate / native:>9,.0f}")
    slowest = min(rates.values())
    print(f"\nfastest real device at full line rate: {fastest_dev:,.0f} frames/s "
          f"(station at {DRIVERS['station'].default_baudrate} baud, shortest sentence); "
          f"slowest parser {slowest:,.0f} frames/s = {slowest / fastest_dev:,.0f}x "
          f"(target >= 100x)")
    print("line-rate = a saturated line at the default baud rate (an upper bound); "
          "device = what the device really sends while active\n")

    # -- latency
    rng = random.Random(2)
    per_run_ours: list[tuple[float, float]] = []
    per_run_plain: list[tuple[float, float]] = []
    by_driver: dict[str, list[float]] = {d: [] for d in drivers}
    for _ in range(args.runs):
        ours_all, plain_all = [], []
        for drv in drivers:
            xs = measure_manager(drv, args.frames, rng)
            by_driver[drv] += xs
            ours_all += xs
            plain_all += measure_plain(drv, args.frames, rng)
        per_run_ours.append((pct(ours_all, 50), pct(ours_all, 99)))
        per_run_plain.append((pct(plain_all, 50), pct(plain_all, 99)))
    p50 = statistics.median(r[0] for r in per_run_ours)
    p99 = statistics.median(r[1] for r in per_run_ours)
    b50 = statistics.median(r[0] for r in per_run_plain)
    b99 = statistics.median(r[1] for r in per_run_plain)
    print("Latency, last byte of a frame written to the pty -> Reading event (ms)")
    print(f"{'driver':<8} {'samples':>7} {'p50':>7} {'p99':>7} {'max':>7}")
    for drv in drivers:
        xs = by_driver[drv]
        print(f"{drv:<8} {len(xs):>7} {pct(xs, 50):>7.2f} {pct(xs, 99):>7.2f} {max(xs):>7.2f}")
    print(f"\nall drivers, median of {args.runs} runs: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
          f"(targets < 20 ms, < 50 ms)")
    print(f"plain pyserial loop + same parser:   p50 {b50:.2f} ms, p99 {b99:.2f} ms "
          f"(manager/plain p50 ratio {p50 / b50:.2f})")
    print(json.dumps({
        "latency_ms_p50": round(p50, 3),
        "latency_ms_p99": round(p99, 3),
        "parse_frames_per_s": {d: round(r) for d, r in rates.items()},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
