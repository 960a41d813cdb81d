"""``kiosk-server``: run the ingest server and manage kiosk tokens.

Why this module exists: the community's administrator needs two things
without reading code: start the server (``kiosk-server run``) and enrol a
kiosk (``kiosk-server add-kiosk NAME`` prints its token once; only the hash is
stored). ``run --dev`` is for a developer's machine and ``make run``: it
enrols the local kiosk if needed and writes its token to
``<kiosk data dir>/sync-token``, where the kiosk's default config finds it
(the paths come from :class:`kiosk.config.data_layout.DataLayout`, the one place that
names them). ``migrate`` brings a database's schema up to date (``run`` does
it too at start).

An installed server (``make install-server``) reads its settings from a
config file (``--config`` or ``$KIOSK_SERVER_CONFIG``, see
:mod:`sync.server.settings`): address, worker processes, database, TLS and
backups; command-line options override the file. ``backup`` and ``restore``
are what the nightly timer and an administrator run (:mod:`sync.server.backup`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.config.data_layout import DataLayout
from sync.server.settings import DEFAULT_HOST, DEFAULT_PORT, ServerSettings

SERVER_APP_NAME = "community-kiosk-server"


def default_db_url() -> str:
    env = os.environ.get("KIOSK_SERVER_DB")
    if env:
        return env
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir(SERVER_APP_NAME)) / 'server.db'}"


def _settings(args: argparse.Namespace) -> ServerSettings:
    from sync.server.settings import load_settings

    return load_settings(getattr(args, "config", None) or None)


def _db_url(args: argparse.Namespace, settings: ServerSettings) -> str:
    """``--db``, else the config file's ``[database] url``, else ``$KIOSK_SERVER_DB``/SQLite."""
    return str(getattr(args, "db", "") or "") or settings.database.url or default_db_url()


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
    from sync.server.serve import RunPlan, serve

    settings = _settings(args)
    db_url = args.db
    layout = DataLayout(Path(args.kiosk_data_dir)) if args.kiosk_data_dir else DataLayout.default()
    if args.dev:
        if not db_url:
            db_url = f"sqlite:///{(layout.dev_server / 'server.db').resolve()}"
        ensure_dev_kiosk(db_url, args.kiosk_id, layout.root)
        print(
            f"dev server: kiosk {args.kiosk_id!r} enrolled; token in {layout.sync_token}; "
            f"for the manager pages: kiosk-server add-user NAME --all --db {db_url}",
            flush=True,
        )
    from content.server_cli import default_repo_dir

    content_repo = (layout.dev_server / "content" / "repo") if args.dev else default_repo_dir()
    srv, tls = settings.server, settings.tls
    plan = RunPlan(
        host=args.host or srv.host,
        port=args.port or srv.port,
        db_url=db_url or settings.database.url or default_db_url(),
        workers=args.workers or srv.workers,
        log_level=args.log_level or srv.log_level,
        access_log=args.access_log or srv.access_log,
        certfile=args.ssl_certfile or tls.certfile,
        keyfile=args.ssl_keyfile or tls.keyfile,
        forwarded_allow_ips=srv.forwarded_allow_ips,
        pool_size=settings.database.pool_size,
        content_repo=str(content_repo),
        timezone=args.timezone or settings.web.timezone,
        stale_after_s=(args.stale_after_min or settings.web.stale_after_min) * 60,
        secure_cookies=args.secure_cookies or settings.web.secure_cookies,
    )
    for path in (plan.certfile, plan.keyfile):
        if path and not os.access(path, os.R_OK):
            print(f"error: TLS file {path} is missing or not readable by this user",
                  file=sys.stderr)
            return 1
    from sqlalchemy.engine import make_url

    from sync.server.db import normalise_url

    shown = make_url(normalise_url(plan.db_url)).render_as_string(hide_password=True)
    print(
        f"kiosk-server: listening on {plan.scheme}://{plan.host}:{plan.port} "
        f"({plan.workers} worker process{'es' if plan.workers > 1 else ''}, db {shown}); "
        f"manager pages at {plan.scheme}://{plan.host}:{plan.port}/login",
        flush=True,
    )
    serve(plan)
    return 0


def _timezone(name: str) -> str:
    """An IANA time zone name ("" leaves the config file's or the default)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name:
        return name
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from None
    return name


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
    db = Database(_db_url(args, _settings(args)))
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

    db = Database(_db_url(args, _settings(args)))
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

    db = Database(_db_url(args, _settings(args)))
    try:
        if db.migration is not None:
            print(db.migration.summary())
    finally:
        db.dispose()
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from sync.server.backup import backup

    settings = _settings(args)
    dest = Path(args.dir or settings.backup.dir)
    result = backup(
        _db_url(args, settings),
        dest,
        keep_days=args.keep_days or settings.backup.keep_days,
        keep_min=settings.backup.keep_min,
    )
    print(f"backup written: {result.path} ({result.size:,} bytes)")
    for old in result.deleted:
        print(f"deleted old backup {old.name}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from sync.server.backup import restore

    restore(_db_url(args, _settings(args)), Path(args.file))
    print(f"restored {args.file}; start the server again (systemctl start kiosk-server)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-server", description="Community kiosk ingest server.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    db_help = "database URL: sqlite:///path or postgresql://user@host/db (default: $KIOSK_SERVER_DB, then a SQLite file in the user data directory)"

    config_help = (
        "server config file (default: $KIOSK_SERVER_CONFIG; none: embedded defaults); "
        "options given here override it"
    )

    run = sub.add_parser("run", help="serve the ingest API and the manager pages")
    run.add_argument("--config", default="", help=config_help)
    run.add_argument("--host", default="", help=f"listen address (default {DEFAULT_HOST})")
    run.add_argument("--port", type=int, default=0, help=f"listen port (default {DEFAULT_PORT})")
    run.add_argument("--workers", type=int, default=0, help="worker processes (default 1)")
    run.add_argument("--db", default="", help=db_help)
    run.add_argument(
        "--dev",
        action="store_true",
        help="developer mode: enrol the local kiosk and write its token where it looks",
    )
    run.add_argument("--kiosk-id", default="kiosk-local", help="with --dev: the kiosk to enrol")
    run.add_argument("--kiosk-data-dir", default="", help="with --dev: the kiosk's data directory")
    run.add_argument("--log-level", default="", choices=["", "DEBUG", "INFO", "WARNING", "ERROR"])
    run.add_argument("--access-log", action="store_true")
    run.add_argument("--ssl-certfile", default=None)
    run.add_argument("--ssl-keyfile", default=None)
    run.add_argument(
        "--timezone",
        type=_timezone,
        default="",
        help="manager pages: the communities' time zone (default: [web] timezone, Asia/Shanghai)",
    )
    run.add_argument(
        "--stale-after-min",
        type=float,
        default=0.0,
        help="manager pages: a kiosk silent for longer is marked stale (default: 30)",
    )
    run.add_argument(
        "--secure-cookies",
        choices=["", "auto", "always", "never"],
        default="",
        help="manager pages: the session cookie's Secure flag (auto: over HTTPS; "
        "'always' behind a TLS-terminating proxy)",
    )
    run.set_defaults(func=_cmd_run)

    add = sub.add_parser("add-kiosk", help="enrol a kiosk and print its token once")
    add.add_argument("name")
    add.add_argument("--config", default="", help=config_help)
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
    ls.add_argument("--config", default="", help=config_help)
    ls.add_argument("--db", default="", help=db_help)
    ls.set_defaults(func=_cmd_list)

    mig = sub.add_parser(
        "migrate", help="bring the database's schema up to date (run does this at start)"
    )
    mig.add_argument("--config", default="", help=config_help)
    mig.add_argument("--db", default="", help=db_help)
    mig.set_defaults(func=_cmd_migrate)

    bak = sub.add_parser(
        "backup", help="dump the database into the backup directory and delete old dumps"
    )
    bak.add_argument("--config", default="", help=config_help)
    bak.add_argument("--db", default="", help=db_help)
    bak.add_argument("--dir", default="", help="backup directory (default: [backup] dir)")
    bak.add_argument("--keep-days", type=int, default=0,
                     help="delete dumps older than this (default: [backup] keep_days)")
    bak.set_defaults(func=_cmd_backup)

    res = sub.add_parser("restore", help="put a backup back into the database (server stopped)")
    res.add_argument("file", help="a dump written by `kiosk-server backup`")
    res.add_argument("--config", default="", help=config_help)
    res.add_argument("--db", default="", help=db_help)
    res.set_defaults(func=_cmd_restore)

    from content.server_cli import register as register_content

    register_content(sub)  # kiosk-server content init/build/publish/export-usb/...

    from sync.server.web.commands import add_commands

    add_commands(sub, lambda a: _db_url(a, _settings(a)), db_help, config_help)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=getattr(args, "log_level", "") or "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # our own summary says what it did
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear message, not a traceback, for administrators
        from sqlalchemy.exc import SQLAlchemyError

        from sync.server.backup import BackupError
        from sync.server.settings import SettingsError

        if isinstance(exc, SettingsError):
            print(exc, file=sys.stderr)
            return 2
        if isinstance(exc, SQLAlchemyError | OSError | RuntimeError | BackupError):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
