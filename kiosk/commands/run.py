"""``kiosk run``: start the kiosk on the attached display, or a virtual one when there is none."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import TYPE_CHECKING

from kiosk.commands._common import add_config_arg, config_or_exit

if TYPE_CHECKING:
    from kiosk.config import Config
    from sync.server.dev import LocalServer

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="start the kiosk")
    add_config_arg(p)
    p.add_argument("--windowed", action="store_true",
                   help="a window instead of full screen (for maintainers and development)")
    p.add_argument("--local-server", action="store_true",
                   help="also start a central server on 127.0.0.1 for this kiosk to sync to "
                        "(what `make run` does)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("KIOSK_T0", str(time.time()))
    cfg = config_or_exit(args)
    from kiosk.startup.launch import StartupError, start_kiosk

    server = None
    try:
        if args.local_server:
            server = _start_local_server(cfg)
        app = start_kiosk(cfg, windowed=args.windowed, announce=print)
        app.run()
    except StartupError as exc:
        print(f"kiosk: cannot start: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()
    return 0


def _start_local_server(cfg: Config) -> LocalServer | None:
    from urllib.parse import urlparse

    from kiosk.config import data_layout
    from sync.server.dev import start_local_server

    url = urlparse(cfg.sync.server_url)
    if url.hostname not in ("127.0.0.1", "localhost"):
        print(f"--local-server ignored: sync.server_url {cfg.sync.server_url} is not local")
        return None
    try:
        server = start_local_server(data_layout(cfg).root, kiosk_id=cfg.kiosk.id, port=url.port or 80)
    except Exception as exc:  # noqa: BLE001 - the kiosk works offline; say why and go on
        print(f"kiosk: the local server did not start ({exc}); records will wait on the kiosk",
              file=sys.stderr)
        return None
    print(f"Local central server on {server.url} (this kiosk syncs to it).")
    return server
