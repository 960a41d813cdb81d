"""``kiosk analyze VIDEO --exercise NAME``: count repetitions in a video file.

Why this module exists: the maintainer's and developer's check of the vision
engine on a real clip, through exactly the pipeline the kiosk uses (model,
filter, counter, form rules), every frame in order with the video's own
timestamps, so the answer does not depend on the machine's speed. Prints the
count, each repetition's start/end time and form flags (the longest hold for
a timed hold); ``--json`` puts one JSON object on the last line;
``--trace FILE`` writes the landmark trace (numbers only, never pictures).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from kiosk.commands._common import add_config_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("analyze", help="count repetitions of an exercise in a video file")
    p.add_argument("video", metavar="VIDEO", help="video file to analyse")
    p.add_argument("--exercise", "-e", required=True, metavar="NAME",
                   help="exercise name (see `kiosk exercises`)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument("--trace", metavar="FILE", help="write the landmark trace as JSON (.json or .json.gz)")
    p.add_argument("--verbose", action="store_true", help="show the model library's own log lines")
    add_config_arg(p)
    p.set_defaults(func=run)


def _quiet_model_logs() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _native_stderr_silenced(enabled: bool):
    """MediaPipe's C++ start-up chatter goes straight to file descriptor 2: hide it."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run(args: argparse.Namespace) -> int:
    from kiosk.commands._common import config_or_exit
    from vision.exercises import load_exercises_with_errors

    cfg = config_or_exit(args) if getattr(args, "config", None) else None
    extra = None
    if cfg is not None and cfg.vision.exercises_dir:
        extra = Path(cfg.vision.exercises_dir).expanduser()
    specs, errors = load_exercises_with_errors(extra)
    for e in errors:
        print(f"kiosk analyze: warning: exercise definition skipped: {e}", file=sys.stderr)
    spec = specs.get(args.exercise)
    if spec is None:
        print(f"kiosk analyze: unknown exercise {args.exercise!r}; installed: "
              f"{', '.join(sorted(specs))}", file=sys.stderr)
        return 2
    video = Path(args.video).expanduser()
    if not video.exists():
        print(f"kiosk analyze: video file not found: {video}", file=sys.stderr)
        return 2
    if not video.is_file():
        print(f"kiosk analyze: not a file: {video}", file=sys.stderr)
        return 2

    _quiet_model_logs()
    from vision.pose import ModelMissing
    from vision.replay import analyze_video
    from vision.sources import SourceError

    model_complexity = cfg.vision.model_complexity if cfg is not None else 1
    try:
        with _native_stderr_silenced(not args.verbose):
            result = analyze_video(video, spec, model_complexity=model_complexity)
    except SourceError as exc:
        print(f"kiosk analyze: {exc}", file=sys.stderr)
        return 2
    except ModelMissing as exc:
        print(f"kiosk analyze: {exc}", file=sys.stderr)
        return 2

    s = result.summary
    if args.trace:
        try:
            result.trace.save(args.trace)
        except OSError as exc:
            print(f"kiosk analyze: cannot write trace {args.trace}: {exc.strerror or exc}", file=sys.stderr)
            return 1

    seen = sum(1 for f in result.trace.frames if f.landmarks is not None)
    print(f"{video.name}: {spec.text('title')['en']} ({spec.name}), {len(result.trace.frames)} frames, "
          f"person seen in {seen}, {s.duration_s:.1f} s")
    if spec.kind.holds:
        print(f"longest hold: {s.hold_s:.1f} s ({s.count} hold(s) of at least {spec.hold.min_s:.0f} s)")
    else:
        print(f"count: {s.count} (good form: {s.good_count})")
    for r in s.reps:
        flags = ", ".join(r.flags) if r.flags else "good"
        print(f"  {'rep' if spec.kind.counts_reps else 'hold'} {r.index}: {r.start:6.2f} s - {r.end:6.2f} s  {flags}")
    if args.trace:
        print(f"trace written to {args.trace}")
    if args.json:
        out = {"video": str(video), "exercise": spec.name, "kind": spec.kind.id,
               "result": s.result.to_json(), "count": s.count,
               "good_count": s.good_count, "hold_s": round(s.hold_s, 2),
               "duration_s": round(s.duration_s, 2), "frames": len(result.trace.frames),
               "reps": [r.to_json() for r in s.reps], "flag_counts": s.flag_counts,
               "tips": [t.to_json() for t in s.tips]}
        print(json.dumps(out, ensure_ascii=False))
    return 0
