"""Record raw landmark traces from the clips with our own pipeline (real model).

Why this exists: counting and form rules are tested on what our pose pipeline
really produced on real clips, without running the model in the tests. Run::

    python -m vision.tools.record_traces [--manifest PATH] [--out DIR] [--only NAME]

It writes one gzip-compressed JSON trace per video clip (``vision.trace``
format) into ``tests/data/traces/``. Pictures are never written: only
landmark numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from vision.media import default_manifest_path, load_manifest
from vision.pose import PoseEstimator
from vision.sources import VideoFileSource
from vision.trace import Trace, TraceFrame

TRACE_IDS = [0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]
"""The landmarks the exercises use (nose, arms, legs); face and hands are left out to keep traces small."""


def record_clip(path: Path) -> Trace:
    frames: list[TraceFrame] = []
    with VideoFileSource(path) as src, PoseEstimator() as est:
        for f in src:
            r = est.process(f.image)
            frames.append(TraceFrame(f.t, r.landmarks, r.world, r.others, r.luma))
        return Trace(clip=path.name, fps=src.fps, width=src.width, height=src.height, frames=frames)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", default=None)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "tests/data/traces"))
    ap.add_argument("--only", default=None, help="record only clips whose name contains this")
    a = ap.parse_args(argv)
    mpath = Path(a.manifest) if a.manifest else default_manifest_path()
    entries = load_manifest(mpath)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for e in entries:
        if e["media_type"] != "video":
            continue
        if a.only and a.only not in e["file"]:
            continue
        t0 = time.time()
        tr = record_clip(mpath.parent / e["file"])
        dest = out / (Path(e["file"]).stem + ".json.gz")
        tr.save(dest, ids=TRACE_IDS)
        print(f"{e['file']}: {len(tr.frames)} frames in {time.time() - t0:.1f} s -> {dest.name}", flush=True)
        index.append(e["file"])
    print(json.dumps({"recorded": index}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
