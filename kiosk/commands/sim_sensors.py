"""``kiosk sim-sensors``: simulated serial devices on pseudo-terminals, with optional faults.

Why this module exists: to try the kiosk, ``kiosk sensors watch`` or a new
screen without hardware, or to see how everything copes with a bad cable,
start devices that stream realistic data into ptys. Each gets a stable link
(``<dir>/<driver>``) that survives simulated unplugging; ``--write-config``
writes a sensors config that points ``kiosk run`` at them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def _probability(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"a probability between 0 and 1, got {v}")
    return v


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {v}")
    return v


def _drivers(text: str) -> list[str]:
    from hardware.drivers import driver_names

    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in driver_names()]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown driver(s) {', '.join(bad) or '(none)'}; known: {', '.join(driver_names())}"
        )
    return names


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "sim-sensors",
        help="simulated serial devices on pseudo-terminals (with optional faults)",
        description="Start simulated serial devices and print their ports; runs until interrupted.",
    )
    p.add_argument("--drivers", type=_drivers, default=["rdm6300", "cms50d", "scale", "station"],
                   help="comma-separated drivers to simulate (default: all four)")
    p.add_argument("--dir", help="directory for the stable links (default: a new temporary one)")
    p.add_argument("--garbage", type=_probability, default=0.0, metavar="P",
                   help="probability per frame of random bytes before it")
    p.add_argument("--bad-checksum", type=_probability, default=0.0, metavar="P",
                   help="probability per frame of a broken checksum / sync bit")
    p.add_argument("--truncated", type=_probability, default=0.0, metavar="P",
                   help="probability per frame of sending only part of it")
    p.add_argument("--baud-noise", type=_probability, default=0.0, metavar="P",
                   help="probability per frame of sending it at a wrong baud rate")
    p.add_argument("--disconnect-every", type=_seconds, default=0.0, metavar="S",
                   help="unplug every S seconds (0: never)")
    p.add_argument("--disconnect-for", type=_seconds, default=2.0, metavar="S",
                   help="stay unplugged for S seconds (default 2)")
    p.add_argument("--seed", type=int, help="random seed for repeatable streams")
    p.add_argument("--duration", type=_seconds, metavar="S", help="stop after S seconds")
    p.add_argument("--write-config", metavar="FILE",
                   help="write a TOML config whose [sensors] section uses these devices")
    p.add_argument("--write-json", metavar="FILE", help="write the devices as JSON")
    p.set_defaults(func=cmd_sim_sensors)


def config_snippet(devices: list[dict[str, str]]) -> str:
    lines = [
        f"# Simulated sensors from `kiosk sim-sensors` (pid {os.getpid()}); valid while it runs.",
        "[sensors]",
        'simulate = "never"',
    ]
    for d in devices:
        lines += ["", "[[sensors.devices]]", f'name = "{d["name"]}"', f'driver = "{d["driver"]}"',
                  f"port = {json.dumps(d['port'])}"]
    return "\n".join(lines) + "\n"


def _write(path: str, text: str) -> None:
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)


def cmd_sim_sensors(args: argparse.Namespace) -> int:
    import signal

    from hardware.sim import Faults, start_simulators

    faults = Faults(
        garbage=args.garbage,
        bad_checksum=args.bad_checksum,
        truncated=args.truncated,
        baud_noise=args.baud_noise,
        disconnect_every_s=args.disconnect_every,
        disconnect_for_s=args.disconnect_for,
    )
    made_dir = not args.dir
    where = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="kiosk-sim-sensors-"))
    try:
        sims = start_simulators(args.drivers, where, faults=faults, seed=args.seed)
    except OSError as exc:
        print(f"error: cannot create simulated ports in {where}: {exc}", file=sys.stderr)
        return 1
    devices = [{"name": f"sim-{s.driver}", "driver": s.driver, "port": s.path, "pty": s.port.pts}
               for s in sims]
    try:
        if args.write_config:
            _write(args.write_config, config_snippet(devices))
        if args.write_json:
            _write(args.write_json, json.dumps({"pid": os.getpid(), "devices": devices}, indent=2))
    except OSError as exc:
        for s in sims:
            s.stop()
        print(f"error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1

    print("Simulated serial devices (stop with Ctrl-C):")
    for d in devices:
        print(f"  {d['driver']:<8} {d['port']}  (now {d['pty']})")
    if faults.any:
        print(f"  faults: {faults}")
    if args.write_config:
        print(f"Config written to {args.write_config}: kiosk run --config {args.write_config}")
    print("Watch them with: kiosk sensors watch --port PORT --driver NAME", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait(args.duration) if args.duration else _wait_forever(done)
    except KeyboardInterrupt:
        pass
    finally:
        for s in sims:
            s.stop()
        if made_dir:
            try:
                where.rmdir()
            except OSError:
                pass
    for s in sims:
        stats = ", ".join(f"{k} {v}" for k, v in sorted(s.stats.items()))
        print(f"{s.driver}: {stats or 'nothing sent'}", file=sys.stderr)
    return 0


def _wait_forever(done: threading.Event) -> None:
    while not done.wait(0.5):
        time.sleep(0)
