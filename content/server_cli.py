"""``kiosk-server content ...``: the maintainer's repository tools.

Why this module exists: the people who prepare lessons are not programmers.
``init`` makes the signing keys and the root of trust (give ``root.json`` to
every kiosk), ``build`` turns a source folder into a bundle, ``publish``
signs a bundle into the repository the server serves, ``export-usb`` writes
the repository onto a stick, ``refresh`` re-signs before metadata expires,
``rotate-key`` replaces a key. Each failure is one line and a non-zero exit.

Hook into ``sync/server/cli.py``'s ``build_parser`` with::

    from content.server_cli import register as register_content
    register_content(sub)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SERVER_APP_NAME = "community-kiosk-server"
REPO_ENV = "KIOSK_CONTENT_REPO"
KEYS_ENV = "KIOSK_CONTENT_KEYS"


def default_repo_dir() -> Path:
    env = os.environ.get(REPO_ENV)
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(SERVER_APP_NAME)) / "content-repo"


def default_keys_dir() -> Path:
    env = os.environ.get(KEYS_ENV)
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(SERVER_APP_NAME)) / "content-keys"


def _repo(args: argparse.Namespace) -> Any:
    from content.repository import ContentRepository

    repo = Path(args.repo).expanduser() if args.repo else default_repo_dir()
    keys = Path(args.keys).expanduser() if args.keys else default_keys_dir()
    return ContentRepository(repo, keys)


def _guard(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from content.bundle import BundleError
        from content.repository import RepositoryError

        try:
            return int(fn(args))
        except (RepositoryError, BundleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
            return 1
        except Exception as exc:  # never a traceback for the maintainer
            log.debug("content command failed", exc_info=True)
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    return run


@_guard
def cmd_init(args: argparse.Namespace) -> int:
    repo = _repo(args)
    root = repo.init(threshold=args.threshold, keys=args.key_count, force=args.force)
    print(f"repository made at {repo.repo_dir} (keys in {repo.keys_dir}; keep them private)")
    print(f"root metadata version {root.signed.version}, expires {root.signed.expires:%Y-%m-%d}")
    print(f"give every kiosk this file as [content] trusted_root: {repo.metadata_dir / '1.root.json'}")
    return 0


@_guard
def cmd_build(args: argparse.Namespace) -> int:
    from content.build import BuildError, build_bundle

    try:
        out, manifest, notes = build_bundle(Path(args.source).expanduser(), Path(args.output).expanduser())
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for n in notes:
        print(n)
    print(f"built {out}: {manifest.id} version {manifest.version}, {len(manifest.files)} files, "
          f"{out.stat().st_size / 1e6:.1f} MB")
    return 0


@_guard
def cmd_publish(args: argparse.Namespace) -> int:
    repo = _repo(args)
    m = repo.publish(Path(args.file).expanduser())
    print(f"published {m.id} version {m.version} to {repo.repo_dir} (metadata re-signed)")
    return 0


@_guard
def cmd_export(args: argparse.Namespace) -> int:
    repo = _repo(args)
    out = repo.export(Path(args.dir).expanduser(), args.bundle or None)
    index = repo.index()
    ids = args.bundle or sorted(index["bundles"])
    print(f"wrote {out}: metadata and {len(ids)} bundle(s): "
          + ", ".join(f"{i} v{index['bundles'][i]['version']}" for i in ids))
    return 0


@_guard
def cmd_refresh(args: argparse.Namespace) -> int:
    repo = _repo(args)
    repo.refresh()
    print(f"metadata re-signed; expires {repo.targets().signed.expires:%Y-%m-%d}")
    return 0


@_guard
def cmd_rotate(args: argparse.Namespace) -> int:
    repo = _repo(args)
    keyid = repo.rotate_key(args.role)
    print(f"{args.role}: new key {keyid[:16]}..., root version {repo.root().signed.version}")
    return 0


@_guard
def cmd_list(args: argparse.Namespace) -> int:
    repo = _repo(args)
    repo.root()
    index = repo.index()
    if not index["bundles"]:
        print("no bundle published")
    for bid, e in sorted(index["bundles"].items()):
        print(f"{bid:24s} v{e['version']:<5d} {e['title'].get('zh_CN', '')} / {e['title'].get('en', '')}"
              f"  {e['size'] / 1e6:.1f} MB  {e['path']}")
    t = repo.targets().signed
    print(f"targets version {t.version}, expires {t.expires:%Y-%m-%d}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``content`` with its actions to a subparsers object (``kiosk-server``'s)."""
    p = sub.add_parser("content", help="the content repository: init, build, publish, export-usb")
    p.add_argument("--repo", metavar="DIR", help=f"repository folder (default: ${REPO_ENV} or the server data dir)")
    p.add_argument("--keys", metavar="DIR", help=f"private keys folder (default: ${KEYS_ENV} or the server data dir)")
    cs = p.add_subparsers(dest="content_command", metavar="ACTION")

    init = cs.add_parser("init", help="make the keys and the root metadata")
    init.add_argument("--threshold", type=int, default=1, help="signatures needed on root and targets")
    init.add_argument("--key-count", type=int, default=None, help="keys for root and targets (default: threshold)")
    init.add_argument("--force", action="store_true", help="replace an existing repository")
    init.set_defaults(func=cmd_init)

    b = cs.add_parser("build", help="build a bundle from a source folder")
    b.add_argument("source", metavar="SOURCE_DIR")
    b.add_argument("-o", "--output", required=True, metavar="FILE")
    b.set_defaults(func=cmd_build)

    pub = cs.add_parser("publish", help="sign a bundle into the repository")
    pub.add_argument("file", metavar="FILE")
    pub.set_defaults(func=cmd_publish)

    ex = cs.add_parser("export-usb", help="write metadata and the newest bundles onto a stick")
    ex.add_argument("dir", metavar="DIR")
    ex.add_argument("--bundle", action="append", metavar="ID", help="only this bundle (repeatable)")
    ex.set_defaults(func=cmd_export)

    rf = cs.add_parser("refresh", help="re-sign the metadata with a fresh expiry")
    rf.set_defaults(func=cmd_refresh)

    rk = cs.add_parser("rotate-key", help="replace the key(s) of a role")
    rk.add_argument("role", choices=["root", "targets", "snapshot", "timestamp"])
    rk.set_defaults(func=cmd_rotate)

    ls = cs.add_parser("list", help="published bundles")
    ls.set_defaults(func=cmd_list)

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=usage)


def main(argv: list[str] | None = None) -> int:
    """Run the content subcommands alone (``python -m content.server_cli ...``)."""
    parser = argparse.ArgumentParser(prog="kiosk-server")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register(sub)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
