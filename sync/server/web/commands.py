"""``kiosk-server add-user`` / ``list-users`` / ``rebuild-aggregates``: the pages' CLI commands.

Why this module exists: manager accounts are made by the server's
administrator on the command line, never through a web form, so a page can
never create an account. ``add-user NAME --community C`` makes a community
manager, ``--all`` a district manager; the password is read twice from the
terminal (or once from stdin with ``--password-stdin`` for scripts) and only
its Argon2 hash is stored. ``rebuild-aggregates`` recomputes the pages'
figures from the records (after a change of the norm tables, for instance).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable


def _cmd_add_user(args: argparse.Namespace, db_url: Callable[[argparse.Namespace], str]) -> int:
    from sync.server.db import Database
    from sync.server.web import auth

    try:
        auth.check_name(args.name)
    except auth.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        again = getpass.getpass("again: ")
        if password != again:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    community = None if args.all else args.community
    db = Database(db_url(args))
    try:
        manager = auth.add_manager(
            db.engine, args.name, password, community, language=args.language, reset=args.reset
        )
    except auth.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    scope = "every community" if manager.community is None else f"community {manager.community!r}"
    verb = "updated" if args.reset else "created"
    print(f"manager {manager.name!r} {verb}: sees {scope}; pages in {manager.language}")
    return 0


def _cmd_list_users(args: argparse.Namespace, db_url: Callable[[argparse.Namespace], str]) -> int:
    from sync.server.db import Database
    from sync.server.web import auth

    db = Database(db_url(args))
    try:
        managers = auth.list_managers(db.engine)
    finally:
        db.dispose()
    print(f"{'manager':<24} {'language':<9} community")
    for m in managers:
        print(f"{m.name:<24} {m.language:<9} {m.community if m.community is not None else '(all)'}")
    return 0


def _cmd_rebuild(args: argparse.Namespace, db_url: Callable[[argparse.Namespace], str]) -> int:
    from sync.server.db import Database
    from sync.server.web import aggregates

    db = Database(db_url(args))
    try:
        counted = aggregates.rebuild(db.engine)
    finally:
        db.dispose()
    print(f"aggregates rebuilt from {counted} records")
    return 0


def add_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    db_url: Callable[[argparse.Namespace], str],
    db_help: str,
    config_help: str,
) -> None:
    """Register the commands on ``kiosk-server``'s subparsers; ``db_url`` resolves the
    database from ``--db`` and ``--config`` like the other commands."""
    from sync.server.web.i18n import LANGUAGES

    add = sub.add_parser("add-user", help="create a manager account for the web pages")
    add.add_argument("name", help="login name (letters, digits, '.', '_', '-', '@')")
    scope = add.add_mutually_exclusive_group(required=True)
    scope.add_argument("--community", help="the one community this manager sees")
    scope.add_argument("--all", action="store_true", help="a district manager: every community")
    add.add_argument("--language", default="zh_CN", choices=LANGUAGES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument(
        "--reset", action="store_true", help="change an existing account (ends its sessions)"
    )
    add.add_argument("--db", default="", help=db_help)
    add.add_argument("--config", default="", help=config_help)
    add.set_defaults(func=lambda a: _cmd_add_user(a, db_url))

    ls = sub.add_parser("list-users", help="list manager accounts")
    ls.add_argument("--db", default="", help=db_help)
    ls.add_argument("--config", default="", help=config_help)
    ls.set_defaults(func=lambda a: _cmd_list_users(a, db_url))

    rb = sub.add_parser(
        "rebuild-aggregates", help="recompute the pages' daily figures from the stored records"
    )
    rb.add_argument("--db", default="", help=db_help)
    rb.add_argument("--config", default="", help=config_help)
    rb.set_defaults(func=lambda a: _cmd_rebuild(a, db_url))
