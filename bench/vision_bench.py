"""Speed of the vision pipeline on the real clips at 640x480.

Per-stage median times per frame: decode (read + scale to 640x480), pose (the
model, measured inside the worker process), our own code (One Euro filter,
metrics, counter, form rules, framing: ``Engine.process``); then end-to-end
frames per second with the worker process (the worker runs the model on the next
frame while this one is counted and the one after is decoded; every frame
processed, none dropped) and the worker's
peak resident memory. Targets: own < 1 ms median, e2e >= 30 fps, worker < 500 MB.
Last line: ``{"pose_ms", "own_ms", "e2e_fps", "worker_peak_mb"}``.

    python bench/vision_bench.py [--manifest PATH] [--frames N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: list[str] | None = None) -> int:
    import cv2

    from vision.engine import Engine
    from vision.exercises import load_exercises
    from vision.media import default_manifest_path, load_manifest
    from vision.sources import VideoFileSource
    from vision.worker import PoseWorker

    ap = argparse.ArgumentParser(description="vision pipeline speed")
    ap.add_argument("--manifest", default=None)
    ap.add_argument("--frames", type=int, default=150, help="frames per clip (default 150)")
    a = ap.parse_args(argv)
    mpath = Path(a.manifest) if a.manifest else default_manifest_path()
    if not mpath.is_file():
        print(f"vision_bench: media manifest not found: {mpath}", file=sys.stderr)
        return 2
    specs = load_exercises()
    clips = [e for e in load_manifest(mpath) if e["media_type"] == "video"]

    decode_ms: list[float] = []
    pose_ms: list[float] = []
    own_ms: list[float] = []
    e2e_frames = 0
    e2e_time = 0.0
    with PoseWorker() as worker:
        for e in clips:
            spec = specs.get(e.get("exercise"), specs["squat"])
            engine = Engine(spec, aspect=640 / 480)
            with VideoFileSource(mpath.parent / e["file"]) as src:
                def decode():
                    t0 = time.perf_counter()
                    f = src.read()
                    if f is None:
                        return None, 0.0
                    img = cv2.resize(f.image, (640, 480), interpolation=cv2.INTER_AREA)
                    return (f.t, img), (time.perf_counter() - t0) * 1000

                t_clip = time.perf_counter()
                n = 0
                cur, ms = decode()
                if cur is not None:
                    decode_ms.append(ms)
                    worker.submit(cur[1], cur[0], time.monotonic())
                    nxt, ms = decode()
                    if nxt is not None:
                        decode_ms.append(ms)
                while cur is not None and n < a.frames:
                    r = worker.get(timeout=10.0)
                    if r is None:
                        raise RuntimeError("worker did not answer")
                    n += 1
                    cur = nxt if n < a.frames else None
                    if cur is not None:  # the model starts on the next frame now...
                        worker.submit(cur[1], cur[0], time.monotonic())
                    pose_ms.append(r.pose_ms)
                    t0 = time.perf_counter()  # ...while we count this one and decode the next
                    engine.process(r.t, r.landmarks, r.luma, r.others, captured=r.captured, world=r.world)
                    own_ms.append((time.perf_counter() - t0) * 1000)
                    if cur is not None:
                        nxt, ms = decode()
                        if nxt is not None:
                            decode_ms.append(ms)
                e2e_time += time.perf_counter() - t_clip
                e2e_frames += n
            print(f"{e['file']:48s} {n:4d} frames", flush=True)
        peak = worker.peak_rss_mb()

    med = statistics.median
    fps = e2e_frames / e2e_time if e2e_time else 0.0
    print(f"\nframes: {e2e_frames} from {len(clips)} clips at 640x480")
    print(f"decode (read + scale)      median {med(decode_ms):6.2f} ms")
    print(f"pose (model, in worker)    median {med(pose_ms):6.2f} ms")
    print(f"own (filter+count+form)    median {med(own_ms):6.3f} ms   (target < 1 ms)")
    print(f"end-to-end with the worker {fps:6.1f} frames/s   (target >= 30)")
    print(f"worker peak memory         {peak:6.0f} MB   (target < 500)")
    print(json.dumps({"pose_ms": round(med(pose_ms), 2), "own_ms": round(med(own_ms), 3),
                      "e2e_fps": round(fps, 1), "worker_peak_mb": round(peak, 0)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
