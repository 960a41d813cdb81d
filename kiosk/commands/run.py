"""``kiosk run``: start the kiosk on the attached display, or a virtual one when there is none."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from kiosk.commands._common import add_config_arg, config_or_exit

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="start the kiosk")
    add_config_arg(p)
    p.add_argument("--windowed", action="store_true",
                   help="a window instead of full screen (for maintainers and development)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("KIOSK_T0", str(time.time()))
    cfg = config_or_exit(args)
    from kiosk.startup import StartupError, start_kiosk

    try:
        app = start_kiosk(cfg, windowed=args.windowed, announce=print)
    except StartupError as exc:
        print(f"kiosk: cannot start: {exc}", file=sys.stderr)
        return 2
    app.run()
    return 0
