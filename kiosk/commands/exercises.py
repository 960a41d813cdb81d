"""``kiosk exercises``: list the installed exercises (and any bad definition files).

Why this module exists: a maintainer who added an exercise file wants to see
it was picked up, or why it was not.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.commands._common import add_config_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("exercises", help="list the installed exercises")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--dir", metavar="DIR", help="also load definitions from this directory")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.commands._common import config_or_exit
    from vision.activity import Unit
    from vision.exercises import load_exercises_with_errors

    extra = None
    if args.dir:
        extra = Path(args.dir).expanduser()
    elif getattr(args, "config", None):
        cfg = config_or_exit(args)
        if cfg.vision.exercises_dir:
            extra = Path(cfg.vision.exercises_dir).expanduser()
    specs, errors = load_exercises_with_errors(extra)
    if args.json:
        print(json.dumps({
            "exercises": [{"name": s.name, "title": s.text("title"), "kind": s.kind.id,
                           "difficulty": s.difficulty, "default_target": s.default_target,
                           "description": s.text("description"), "source": s.source}
                          for s in specs.values()],
            "errors": errors}, ensure_ascii=False))
    else:
        print(f"{'name':20s} {'kind':5s} {'level':5s} {'target':>6s}  title")
        for s in specs.values():
            unit = "x" if s.kind.target_unit == Unit.REPS else "s"
            title = s.text("title")
            print(f"{s.name:20s} {s.kind.id:5s} {s.difficulty:5d} {s.default_target:>5d}{unit}  "
                  f"{title['zh_CN']} / {title['en']}")
        for e in errors:
            print(f"skipped: {e}", file=sys.stderr)
    return 1 if errors and not specs else 0
