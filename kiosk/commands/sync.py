"""``kiosk sync``: one sync pass from the command line, printing what it did.

Why this module exists: a maintainer on site wants to push the records now
and see the result (or the error) without waiting for the background loop.
If the kiosk is running it owns the store; the command says so and exits.
"""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.commands._common import add_config_arg, config_or_exit


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sync", help="send waiting records to the server now (one pass)")
    add_config_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--retry-rejected",
        action="store_true",
        help="queue records the server rejected earlier again before the pass",
    )
    p.add_argument("--status", action="store_true", help="only show what is waiting; send nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from kiosk.config import data_layout
    from kiosk.services.sync import settings_from_config
    from sync.client import SyncClient
    from sync.store import Store, StoreError

    cfg = config_or_exit(args)
    layout = data_layout(cfg)
    try:
        store = Store(
            layout.store,
            segment_size=cfg.store.segment_size,
            retention_days=cfg.store.retention_days,
        )
    except StoreError as exc:
        print(f"kiosk sync: {exc}", file=sys.stderr)
        return 1
    try:
        for w in store.warnings():
            print(f"WARNING: {w.message}", file=sys.stderr)
        if args.retry_rejected:
            n = store.retry_rejected()
            print(f"{n} rejected record(s) queued again")
        settings = settings_from_config(cfg, layout)
        if args.status:
            st = store.stats()
            out = {"records": st.total, "waiting": st.waiting, "rejected": st.rejected}
            print(
                json.dumps(out)
                if args.json
                else f"{st.total} records stored, {st.waiting} waiting, {st.rejected} rejected"
            )
            return 0
        print(
            f"syncing {store.waiting()} waiting record(s) to {settings.server_url} "
            f"as kiosk {settings.kiosk_id!r}",
            file=sys.stderr if args.json else sys.stdout,
        )
        client = SyncClient(store, settings, state_file=layout.sync_state)
        try:
            report = client.sync_once()
            if report.ok:
                client.heartbeat()
        finally:
            client.close()
        if args.json:
            out = asdict(report) | {"acknowledged": report.acknowledged}
            print(json.dumps(out))
        else:
            print(report.summary())
            for uid, reason in list(store.rejected().items())[:10]:
                print(f"  rejected {uid}: {reason}")
        return 0 if report.ok else 1
    finally:
        store.close()
