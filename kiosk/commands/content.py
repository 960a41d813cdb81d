"""``kiosk content``: list, install, roll back and verify content bundles on this kiosk.

Why this module exists: a maintainer installs lessons from a USB stick or the
network and needs to see what is installed and why something was refused.
Every failure is one line on stderr and a non-zero exit, never a traceback.
Only ``content`` (Kivy-free) is imported.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from kiosk.commands._common import add_config_arg

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("content", help="installed lessons and content bundles")
    add_config_arg(p)
    p.add_argument("--trusted-root", metavar="FILE", help="the repository's root.json (default: from the config)")
    p.add_argument("--repository", metavar="URL", help="the content repository URL (default: from the config)")
    p.add_argument("--data-dir", metavar="DIR", help="the kiosk data directory (default: from the config)")
    sub = p.add_subparsers(dest="content_command", metavar="ACTION")

    ls = sub.add_parser("list", help="installed bundles; with --source or --network also what is offered")
    ls.add_argument("--source", metavar="DIR", help="a stick or repository folder to compare with")
    ls.add_argument("--network", action="store_true", help="compare with the network repository")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    ins = sub.add_parser("install", help="install from a stick folder, a bundle file on it, or a bundle id (network)")
    ins.add_argument("what", metavar="PATH_OR_ID")
    ins.add_argument("--force", action="store_true", help="install even if that version is installed or held")
    ins.add_argument("--json", action="store_true")
    ins.set_defaults(func=cmd_install)

    rb = sub.add_parser("rollback", help="go back to the previous version of a bundle")
    rb.add_argument("bundle_id", metavar="ID")
    rb.set_defaults(func=cmd_rollback)

    ver = sub.add_parser("verify", help="check a bundle file's signature and every file, install nothing")
    ver.add_argument("file", metavar="FILE")
    ver.set_defaults(func=cmd_verify)

    st = sub.add_parser("status", help="installed versions, last check, failed installs")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=usage)


def _service(args: argparse.Namespace) -> Any:
    from content.service import ContentService
    from content.settings import ContentSection, repository_url, trusted_root_path
    from kiosk import __version__
    from kiosk.commands._common import config_or_exit
    from kiosk.config import data_layout
    from kiosk.config.data_layout import DataLayout

    cfg = config_or_exit(args)
    section = getattr(cfg, "content", None)
    if not isinstance(section, ContentSection):
        section = ContentSection()
    layout = DataLayout(Path(args.data_dir).expanduser() if args.data_dir else data_layout(cfg).root)
    root = Path(args.trusted_root).expanduser() if args.trusted_root else trusted_root_path(section, layout.content)
    url = args.repository or repository_url(section, cfg.sync.server_url)
    svc = ContentService(layout.content, root, __version__, repository_url=url,
                         download_timeout_s=section.download_timeout_s)
    svc.start()
    return svc


class _Bar:
    """A one-line progress bar on stderr (only when it is a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.tty or total <= 0:
            return
        frac = min(1.0, done / total)
        text = f"\r{phase:8s} [{'#' * int(frac * 30):30s}] {frac * 100:5.1f}%"
        if text != self.last:
            sys.stderr.write(text)
            sys.stderr.flush()
            self.last = text

    def end(self) -> None:
        if self.tty and self.last:
            sys.stderr.write("\n")


def _guard(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except SystemExit:
            raise
        except KeyboardInterrupt:
            return 130
        except Exception as exc:  # one line for the maintainer, never a traceback
            log.debug("content command failed", exc_info=True)
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    return run


def _print_result(result: Any, as_json: bool) -> int:
    from content.service import describe

    if as_json:
        print(json.dumps(describe(result), ensure_ascii=False))
    else:
        for report in result.reports:
            print("\n".join(report.lines()))
        if not result.reports and not result.errors:
            print(f"{result.source}: nothing to install (up to date)")
    for e in result.errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if result.errors else 0


@_guard
def cmd_install(args: argparse.Namespace) -> int:
    svc = _service(args)
    bar = _Bar()
    what = args.what
    looks_like_path = "/" in what or Path(what).exists() or what.endswith(".zip")
    try:
        if looks_like_path:
            result = svc.install_path(Path(what).expanduser(), bar, force=args.force)
        else:
            result = svc.install_id(what, bar, force=args.force)
    finally:
        bar.end()
    return _print_result(result, args.json)


@_guard
def cmd_rollback(args: argparse.Namespace) -> int:
    from content.installer import InstallError

    svc = _service(args)
    try:
        report = svc.rollback(args.bundle_id)
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{report.bundle_id}: rolled back from version {report.previous_version} to {report.version}")
    return 0


@_guard
def cmd_verify(args: argparse.Namespace) -> int:
    svc = _service(args)
    lines, errors = svc.verify_file(Path(args.file).expanduser())
    for line in lines:
        print(line)
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if errors else 0


@_guard
def cmd_list(args: argparse.Namespace) -> int:
    from content.trust import StickSource, TrustError

    svc = _service(args)
    status = svc.status()
    available: list[Any] = []
    error = ""
    if args.source or args.network:
        try:
            if args.source:
                src = StickSource.find(Path(args.source).expanduser())
                if src is None:
                    raise TrustError(f"{args.source}: no content repository there")
            else:
                src = svc.network_source()
            available = svc.available(svc.trusted(src))
        except TrustError as exc:
            error = str(exc)
    if args.json:
        print(json.dumps({"installed": [b.to_json() for b in status.installed],
                          "available": [a.__dict__ for a in available], "error": error},
                         ensure_ascii=False))
    else:
        if not status.installed:
            print("no content bundle installed")
        for b in status.installed:
            prev = ",".join(str(v) for v, _ in b.previous) or "-"
            print(f"{b.id:24s} v{b.version:<5d} {b.title.get('zh_CN', '')} / {b.title.get('en', '')}"
                  f"  lessons {len(b.lessons)}, exercises {len(b.exercises)}, voice {len(b.voice)}"
                  f"  (previous: {prev}; installed {b.installed_at})")
            for s in b.skipped:
                print(f"  skipped {s.path}: {s.reason}")
        for a in available:
            print(f"offered: {a.bundle_id} v{a.version} ({a.size / 1e6:.1f} MB): {a.action}")
    if error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


@_guard
def cmd_status(args: argparse.Namespace) -> int:
    svc = _service(args)
    status = svc.status()
    if args.json:
        print(json.dumps(status.to_json(), ensure_ascii=False))
        return 0
    for line in status.lines():
        print(f"{line.state:8s} {line.name:24s} {line.detail}")
    return 1 if status.error else 0
