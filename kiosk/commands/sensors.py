"""``kiosk sensors list`` and ``kiosk sensors watch``: the maintainer's view of the serial devices.

Why this module exists: when a card reader or oximeter "does nothing", a
maintainer needs to see which ports exist, which driver the config assigns
to each, and what actually arrives, reading by reading and rejected frame by
rejected frame, without starting the kiosk UI.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from typing import Any

from kiosk.commands._common import add_config_arg, config_or_exit


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sensors", help="list and watch the serial sensors")
    sub = p.add_subparsers(dest="sensors_command", metavar="ACTION")
    sub.required = True

    ls = sub.add_parser("list", help="ports found, the driver config assigns, state")
    add_config_arg(ls)
    ls.add_argument("--probe", action="store_true",
                    help="also try to open each configured port (may reset some devices)")
    ls.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    ls.set_defaults(func=cmd_list)

    w = sub.add_parser("watch", help="print readings and rejected frames as they arrive")
    add_config_arg(w)
    w.add_argument("--port", help="watch this port (path, name or pyserial URL) instead of the config")
    w.add_argument("--driver", help="driver for --port: rdm6300, cms50d, scale, station")
    w.add_argument("--baud", type=int, help="baud rate for --port (default: the driver's)")
    w.add_argument("--json", action="store_true",
                   help="one JSON object a line: readings {kind,value,unit,device,time}, "
                        "rejected frames {error,rejected,...}")
    w.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    w.add_argument("--count", type=int, metavar="N", help="stop after N readings")
    w.set_defaults(func=cmd_watch)


# -- list -------------------------------------------------------------------------------
def _probe(path: str, spec: Any) -> str:
    import serial

    from hardware.drivers import get_driver
    from hardware.manager import open_serial

    try:
        ser = open_serial(path, get_driver(spec.driver), spec, 0.1)
    except serial.SerialException as exc:
        msg = str(exc)
        if "lock" in msg:
            return "busy (another program has it open)"
        if "Permission denied" in msg:
            return "no permission (add the kiosk user to the dialout group)"
        return f"cannot open: {msg}"
    ser.close()
    return "free"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    for r in rows:
        lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def cmd_list(args: argparse.Namespace) -> int:
    from hardware import list_serial_ports, resolve_port
    from hardware.ports import matches
    from kiosk.services.sensors import device_spec, needs_simulators

    cfg = config_or_exit(args)
    ports = list_serial_ports()
    specs = [device_spec(d) for d in cfg.sensors.devices]
    now = {s.name: resolve_port(s, lambda: ports) for s in specs}

    def assigned(p: Any) -> str:
        names = [
            f"{s.name} ({s.driver})"
            for s in specs
            if now[s.name] in (p.device, p.by_id) or matches(s, p)
            or (s.port and s.port in (p.device, p.by_id))
        ]
        return ", ".join(names) or "-"

    devices = []
    for s in specs:
        path = now[s.name]
        if path is None:
            state = "missing"
        elif args.probe:
            state = _probe(path, s)
        else:
            state = "present"
        devices.append({"name": s.name, "driver": s.driver, "configured": s.where(),
                        "port": path or "", "state": state})
    sim = needs_simulators(cfg, lambda: ports)
    if args.json:
        print(json.dumps({
            "ports": [{"device": p.device, "vid_pid": p.vid_pid, "serial_number": p.serial_number,
                       "description": p.description, "by_id": p.by_id, "assigned": assigned(p)}
                      for p in ports],
            "devices": devices,
            "simulate": cfg.sensors.simulate,
            "simulators_would_run": sim,
        }, ensure_ascii=False))
        return 0
    print("Serial ports found:")
    if ports:
        print(_table([[p.device, p.vid_pid or "-", p.serial_number or "-", p.description or "-",
                       p.by_id or "-", assigned(p)] for p in ports],
                     ["PORT", "VID:PID", "SERIAL", "DESCRIPTION", "BY-ID", "ASSIGNED TO"]))
    else:
        print("  (none)")
    print("\nConfigured devices:")
    if devices:
        print(_table([[d["name"], d["driver"], d["configured"], d["port"] or "-", d["state"]]
                      for d in devices], ["NAME", "DRIVER", "CONFIGURED AS", "PORT NOW", "STATE"]))
    else:
        print("  (none in the config)")
    mode = cfg.sensors.simulate
    print(f"\nsensors.simulate = {mode!r}: simulated sensors "
          + ("would be used by `kiosk run`." if sim else "would not be used."))
    return 0


# -- watch ------------------------------------------------------------------------------
def cmd_watch(args: argparse.Namespace) -> int:
    import signal

    from hardware import DeviceManager, DeviceSpec, DeviceStateChanged, Reading, RejectedFrame
    from hardware.drivers import driver_names
    from kiosk.services.sensors import device_spec

    cfg = config_or_exit(args)
    hold = cfg.sensors.card_hold_s
    if args.port:
        if not args.driver:
            print(f"error: --port needs --driver (one of: {', '.join(driver_names())})",
                  file=sys.stderr)
            return 2
        if args.driver not in driver_names():
            print(f"error: unknown driver {args.driver!r} (one of: {', '.join(driver_names())})",
                  file=sys.stderr)
            return 2
        specs = [DeviceSpec(args.driver, args.driver, port=args.port, baudrate=args.baud,
                            options={"hold_gap_s": hold} if args.driver == "rdm6300" else {})]
    else:
        if args.driver or args.baud:
            print("error: --driver and --baud go with --port", file=sys.stderr)
            return 2
        specs = [device_spec(d, hold) for d in cfg.sensors.devices]
        if not specs:
            print("error: no sensors in the config; give --port PORT --driver NAME "
                  "(or start `kiosk sim-sensors`)", file=sys.stderr)
            return 2

    out_lock = threading.Lock()
    done = threading.Event()
    count = 0

    def emit(text: str, err: bool = False) -> None:
        with out_lock:
            stream = sys.stderr if err else sys.stdout
            try:
                print(text, file=stream, flush=True)
            except BrokenPipeError:  # `| head`: stop quietly
                done.set()

    def sink(ev: Any) -> None:
        nonlocal count
        if isinstance(ev, Reading):
            if args.json:
                emit(json.dumps(ev.to_json(), ensure_ascii=False))
            else:
                value = f"{ev.value:g}" if isinstance(ev.value, float) else ev.value
                emit(f"{_clock(ev.timestamp)}  {ev.device:<12} {ev.kind:<13} {value} {ev.unit}")
            count += 1
            if args.count and count >= args.count:
                done.set()
        elif isinstance(ev, RejectedFrame):
            if args.json:
                emit(json.dumps(ev.to_json(), ensure_ascii=False))
            else:
                emit(f"{_clock(ev.timestamp)}  {ev.device:<12} REJECTED #{ev.rejected} "
                     f"{ev.reason}: {ev.detail}")
        elif isinstance(ev, DeviceStateChanged):
            detail = f" ({ev.detail})" if ev.detail else ""
            emit(f"{_clock(ev.timestamp)}  {ev.device}: {ev.state}{detail}", err=True)

    # state changes are printed above; keep the library's own warnings off the terminal
    logging.getLogger("hardware").setLevel(logging.ERROR)
    mgr = DeviceManager(specs, sink)
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    mgr.start()
    try:
        deadline = time.monotonic() + args.duration if args.duration else None
        while not done.wait(0.1):
            if deadline is not None and time.monotonic() >= deadline:
                break
    except KeyboardInterrupt:
        pass
    finally:
        mgr.stop()
    for st in mgr.status():
        errs = ", ".join(f"{k}={v}" for k, v in sorted(st.errors.items())) or "none"
        emit(f"{st.name}: {st.readings} readings, {st.rejected} rejected ({errs}), "
             f"{st.reconnects} reconnects", err=True)
    return 0


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) + f".{int(ts * 1000) % 1000:03d}"
