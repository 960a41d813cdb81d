"""``kiosk community-key``: make, install and compare the community key.

Why this module exists: every kiosk of a community must carry the same key
(card pseudonyms are HMACs under it), and a maintainer provisioning a kiosk
must be able to install it and check it matches the others without ever
printing it twice: ``show`` prints only where it comes from and its
fingerprint.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.commands._common import add_config_arg, config_or_exit


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("community-key",
                              help="make, install or show the community key (card pseudonyms)")
    sub = p.add_subparsers(dest="key_command", metavar="ACTION")
    sub.required = True
    new = sub.add_parser("new", help="print a new key (once, for the whole community)")
    new.set_defaults(func=cmd_new)
    inst = sub.add_parser("install", help="install a key into this kiosk's data directory")
    inst.add_argument("file", metavar="FILE", help="file holding the key ('-' = standard input)")
    inst.add_argument("--force", action="store_true", help="replace a key already installed")
    add_config_arg(inst)
    inst.set_defaults(func=cmd_install)
    show = sub.add_parser("show", help="where this kiosk's key comes from, and its fingerprint")
    add_config_arg(show)
    show.set_defaults(func=cmd_show)


def cmd_new(_args: argparse.Namespace) -> int:
    from kiosk.residents.community_key import new_key

    print(new_key())
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    from kiosk.config import data_layout
    from kiosk.residents.community_key import CommunityKey, KeySource, weakness, write_key

    cfg = config_or_exit(args)
    path = data_layout(cfg).community_key
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"kiosk community-key: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    key = text.strip()
    problem = weakness(key)
    if problem:
        print(f"kiosk community-key: refused, the key is too weak: {problem}", file=sys.stderr)
        return 2
    if path.exists() and not args.force:
        print(f"kiosk community-key: {path} exists; add --force to replace it (residents' "
              "pseudonyms change with the key)", file=sys.stderr)
        return 2
    try:
        write_key(path, key)
    except OSError as exc:
        print(f"kiosk community-key: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    installed = CommunityKey(key.encode("utf-8"), KeySource.FILE, path)
    print(f"installed: {installed.describe()}")
    if cfg.residents.community_key:
        print("note: [residents] community_key in the config takes precedence over this file")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from kiosk.config import data_layout
    from kiosk.residents.community_key import CommunityKeyError, load_community_key

    cfg = config_or_exit(args)
    try:
        key = load_community_key(cfg.residents.community_key, data_layout(cfg).community_key,
                                 make_if_missing=False)
    except CommunityKeyError as exc:
        print(f"kiosk community-key: {exc}", file=sys.stderr)
        return 1
    print(key.describe())
    return 0
