"""``kiosk-server``: run the ingest server and manage kiosk tokens.

Why this module exists: the community's administrator needs two things
without reading code: start the server (``kiosk-server run``) and enrol a
kiosk (``kiosk-server add-kiosk NAME`` prints its token once; only the hash is
stored). ``run --dev`` is for a developer's machine and ``make run``: it
enrols the local kiosk if needed and writes its token to
``<kiosk data dir>/sync-token``, where the kiosk's default config finds it
(the paths come from :class:`kiosk.data_layout.DataLayout`, the one place that
names them). ``migrate`` brings a database's schema up to date (``run`` does
it too at start).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.data_layout import DataLayout

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SERVER_APP_NAME = "community-kiosk-server"


def default_db_url() -> str:
    env = os.environ.get("KIOSK_SERVER_DB")
    if env:
        return env
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir(SERVER_APP_NAME)) / 'server.db'}"


def ensure_dev_kiosk(db_url: str, kiosk_id: str, kiosk_data_dir: Path) -> str:
    """Make sure ``kiosk_id`` is enrolled and its token is in the kiosk's token file."""
    from sync.server.db import Database

    db = Database(db_url)
    try:
        path = DataLayout(kiosk_data_dir).sync_token
        if path.exists():
            token = path.read_text(encoding="utf-8").strip()
            if token and db.token_matches(kiosk_id, token):
                return token
        exists = any(k["name"] == kiosk_id for k in db.list_kiosks())
        token = db.add_kiosk(kiosk_id, rotate=exists)
    finally:
        db.dispose()
    kiosk_data_dir.mkdir(parents=True, exist_ok=True)
    from sync.storage import atomic_write_bytes

    atomic_write_bytes(path, (token + "\n").encode())
    os.chmod(path, 0o600)
    return token


def _cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from sync.server.app import create_app
    from sync.server.db import Database

    db_url = args.db
    if args.dev:
        layout = DataLayout(Path(args.kiosk_data_dir)) if args.kiosk_data_dir else DataLayout.default()
        if not db_url:
            db_url = f"sqlite:///{(layout.dev_server / 'server.db').resolve()}"
        ensure_dev_kiosk(db_url, args.kiosk_id, layout.root)
        print(
            f"dev server: kiosk {args.kiosk_id!r} enrolled; token in {layout.sync_token}",
            flush=True,
        )
    db_url = db_url or default_db_url()
    db = Database(db_url)
    app = create_app(db)
    print(
        f"kiosk-server: listening on http://{args.host}:{args.port} (db {db.engine.url!r})",
        flush=True,
    )
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level.lower(),
            access_log=args.access_log,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
        )
    finally:
        db.dispose()
    return 0


def _cmd_add_kiosk(args: argparse.Namespace) -> int:
    from sync.records import kiosk_id_problem
    from sync.server.db import Database, KioskExistsError

    name = args.name
    problem = kiosk_id_problem(name)
    if problem is not None:
        print(f"error: {problem}; records from such a kiosk could never be stored",
              file=sys.stderr)
        return 2
    community = args.community.strip()
    if not 1 <= len(community) <= 64:
        print("error: --community must be 1 to 64 characters", file=sys.stderr)
        return 2
    db = Database(args.db or default_db_url())
    try:
        token = db.add_kiosk(name, rotate=args.rotate, community=community)
    except KioskExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"kiosk {name!r} enrolled (community {community!r}). "
          "Its token (shown once, only its hash is stored):")
    print(token)
    print('Put it in the kiosk\'s config as [sync] token = "..." or in <data dir>/sync-token.')
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from sync.server.db import Database

    db = Database(args.db or default_db_url())
    try:
        rows = db.list_kiosks()
    finally:
        db.dispose()
    print(f"{'kiosk':<24} {'community':<16} {'created':<28} last seen")
    for r in rows:
        print(
            f"{r['name']:<24} {r['community']:<16} {r['created_at']:<28} {r['last_seen_at'] or '-'}"
        )
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from sync.server.db import Database

    db = Database(args.db or default_db_url())
    try:
        if db.migration is not None:
            print(db.migration.summary())
    finally:
        db.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-server", description="Community kiosk ingest server.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    db_help = "database URL: sqlite:///path or postgresql://user@host/db (default: $KIOSK_SERVER_DB, then a SQLite file in the user data directory)"

    run = sub.add_parser("run", help="serve the ingest API")
    run.add_argument("--host", default=DEFAULT_HOST)
    run.add_argument("--port", type=int, default=DEFAULT_PORT)
    run.add_argument("--db", default="", help=db_help)
    run.add_argument(
        "--dev",
        action="store_true",
        help="developer mode: enrol the local kiosk and write its token where it looks",
    )
    run.add_argument("--kiosk-id", default="kiosk-local", help="with --dev: the kiosk to enrol")
    run.add_argument("--kiosk-data-dir", default="", help="with --dev: the kiosk's data directory")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.add_argument("--access-log", action="store_true")
    run.add_argument("--ssl-certfile", default=None)
    run.add_argument("--ssl-keyfile", default=None)
    run.set_defaults(func=_cmd_run)

    add = sub.add_parser("add-kiosk", help="enrol a kiosk and print its token once")
    add.add_argument("name")
    add.add_argument("--db", default="", help=db_help)
    add.add_argument(
        "--rotate", action="store_true", help="issue a new token for an existing kiosk"
    )
    add.add_argument(
        "--community",
        default="default",
        help="the community the kiosk belongs to (reports and the dashboard group by it)",
    )
    add.set_defaults(func=_cmd_add_kiosk)

    ls = sub.add_parser("list-kiosks", help="list enrolled kiosks and when each was last seen")
    ls.add_argument("--db", default="", help=db_help)
    ls.set_defaults(func=_cmd_list)

    mig = sub.add_parser(
        "migrate", help="bring the database's schema up to date (run does this at start)"
    )
    mig.add_argument("--db", default="", help=db_help)
    mig.set_defaults(func=_cmd_migrate)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=getattr(args, "log_level", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # our own summary says what it did
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear message, not a traceback, for administrators
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError | OSError | RuntimeError):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
