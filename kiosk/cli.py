"""The ``kiosk`` command line.

Why this module exists: one entry point for residents' kiosk (``kiosk run``)
and for maintainers (``kiosk doctor``, ``kiosk sensors ...``, ``kiosk sync``).
Subcommands live in ``kiosk/commands/``, one module each, and are found, not
listed by hand: every module there exposes ``register(subparsers)``. Nothing
here imports Kivy; only ``kiosk run`` does, lazily.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from kiosk import __version__
from kiosk import commands as _commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Community smart fitness and learning station."
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
