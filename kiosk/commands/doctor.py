"""``kiosk doctor``: check display, fonts, camera, serial ports, data directory and server."""

from __future__ import annotations

import argparse
import json

from kiosk.commands._common import add_config_arg, config_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check this kiosk's hardware, fonts, storage and server")
    add_config_arg(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as failures")
    p.add_argument("--json", action="store_true", help="one JSON object on the last line")
    p.set_defaults(func=doctor)


def doctor(args: argparse.Namespace) -> int:
    cfg = config_or_exit(args)
    from kiosk.startup.doctor import format_table, run_checks
    from kiosk.startup.launch import cache_dir

    checks = run_checks(cfg, cache_dir() / "fonts")
    print(format_table(checks))
    failed = [c for c in checks if c.status == "fail" or (args.strict and c.status == "warn")]
    print(f"\n{len(checks)} checks: {len(failed)} failed" + (" (strict)" if args.strict else ""))
    if args.json:
        print(json.dumps({c.name: {"status": c.status, "detail": c.detail} for c in checks}))
    return 1 if failed else 0
