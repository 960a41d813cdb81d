"""UI frame rate and repetition latency while coaching with the real model on a clip.

The real kiosk app runs in a real window (Xvfb when there is no display); the
coaching screen gets a real exercise clip as its camera, so every frame goes
through the pose worker process and the coach, and the screen draws the
picture, the skeleton and the counter. Measured:

- UI frames per second: Kivy's clock FPS sampled every second, median over
  20 s of coaching (Kivy caps drawing at 60 frames per second);
- latency from a frame being captured to its repetition appearing on screen
  (the flip after the counter changed), median over every repetition in the
  clip (the clip is coached to its end after the 20 s of fps samples).

The plain alternative, in the same run: the same clip with the model run on
the UI thread (no worker process), which is what a naive kiosk does.
Targets: at least 30 UI frames per second, latency under 150 ms median.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, median, percentile, table  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CLIP = REPO.parent / "shared" / "media" / "squat_crossfit_mrpose_full.mp4"


def start_app():  # type: ignore[no-untyped-def]
    from kiosk.config import parse_config
    from kiosk.startup.display import ensure_display

    tmp = Path(tempfile.mkdtemp())
    os.environ["KIOSK_DATA_DIR"] = str(tmp / "data")
    os.environ.setdefault("KIOSK_CACHE_DIR", str(tmp / "cache"))
    ensure_display(1280, 800)
    cfg = parse_config('[kiosk]\nidle_timeout_s = 600\n[sync]\nenabled = false\n'
                       '[sensors]\nsimulate = "never"\n[voice]\nenabled = false\n', "bench")
    from kiosk.startup.launch import start_kiosk

    app = start_kiosk(cfg, windowed=True)
    from kivy.base import EventLoop, runTouchApp

    app._run_prepare()
    runTouchApp(embedded=True)
    return app, EventLoop


def measure(loop, seconds: float, flips: list[float]) -> list[float]:  # type: ignore[no-untyped-def]
    from kivy.clock import Clock

    samples: list[float] = []
    end = time.monotonic() + seconds
    next_sample = time.monotonic() + 1.0
    while time.monotonic() < end:
        loop.idle()
        if time.monotonic() >= next_sample:
            samples.append(Clock.get_fps())
            next_sample += 1.0
    return samples


def run_worker(app, loop, clip: Path | str, seconds: float):  # type: ignore[no-untyped-def]
    from kivy.core.window import Window

    from vision.exercises import load_exercises

    flips: list[float] = []
    Window.bind(on_flip=lambda *_: flips.append(time.monotonic()))
    spec = load_exercises()["squat"]
    coach = app.screen("coach")
    vision = app.services.vision
    coach.make_live = lambda s, t, cb: vision.make_live(s, t, cb, source=str(clip))
    app.start_visit("")
    coach.prepare(spec, 50)
    app.go("coach")
    # let the worker process start and the model load before measuring
    t0 = time.monotonic()
    while coach.frames_applied < 5 and time.monotonic() - t0 < 60:
        loop.idle()
    startup = time.monotonic() - t0
    samples = measure(loop, seconds, flips)
    frames = coach.frames_applied
    # keep coaching to the end of the clip for more latency samples (fps is from the 20 s)
    live = coach.live
    deadline = time.monotonic() + 60
    while live is not None and not live.ended.is_set() and time.monotonic() < deadline:
        loop.idle()
    lat = list(coach.rep_latencies_ms)
    count = coach.count
    coach.stop_early()
    loop.idle()
    return samples, lat, count, startup, frames


def run_plain(app, loop, clip: Path, seconds: float):  # type: ignore[no-untyped-def]
    """The model on the UI thread: read, infer and draw inside a Clock callback."""
    from kivy.clock import Clock

    from vision.pose import PoseEstimator
    from vision.sources import VideoFileSource

    app.go_home()
    loop.idle()
    coach = app.screen("coach")
    view = coach.ids.view
    src = VideoFileSource(clip).open()
    est = PoseEstimator(1).__enter__()
    state = {"t0": time.monotonic(), "frames": 0}

    def step(_dt: float) -> None:
        # keep to the clip's own clock, like the worker path does
        while True:
            fr = src.read()
            if fr is None:
                return
            if fr.t >= time.monotonic() - state["t0"]:
                break
        r = est.process(fr.image)
        state["frames"] += 1
        view.show(fr.image, r.landmarks)

    app.sm.current = "coach"
    ev = Clock.schedule_interval(step, 0)
    samples = measure(loop, seconds, [])
    ev.cancel()
    est.__exit__(None, None, None)
    src.close()
    return samples, state["frames"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--source", default="",
                        help="coach this source instead of the clip (e.g. 'sim:squat?reps=30'), "
                             "to see the UI's own cost without the model")
    args = parser.parse_args()
    if not args.clip.exists():
        print(f"clip not found: {args.clip}", file=sys.stderr)
        return 2
    app, loop = start_app()
    w_samples, lat, count, startup, w_frames = run_worker(app, loop, args.source or args.clip,
                                                          args.seconds)
    p_samples, p_frames = run_plain(app, loop, args.clip, args.seconds)
    app.stop()
    ui_fps, plain_fps = median(w_samples), median(p_samples)
    lat50 = median(lat)
    print(f"machine: {machine()}; clip: {args.clip.name}; {args.seconds:.0f} s each")
    print(table(["design", "UI fps (median)", "UI fps (min)", "frames coached", "reps",
                 "latency ms p50", "latency ms p90"], [
        ["pose worker process (the kiosk)", f"{ui_fps:.1f}", f"{min(w_samples):.1f}",
         w_frames, count, f"{lat50:.0f}", f"{percentile(lat, 90):.0f}"],
        ["model on the UI thread (plain)", f"{plain_fps:.1f}", f"{min(p_samples):.1f}",
         p_frames, "-", "-", "-"],
    ]))
    print(f"worker start to first frame: {startup:.1f} s; UI fps ratio worker/plain: "
          f"{ui_fps / max(plain_fps, 1e-6):.2f}x")
    print(f"targets: ui_fps >= 30: {'met' if ui_fps >= 30 else 'NOT met'}; "
          f"latency p50 < 150 ms: {'met' if lat50 < 150 else 'NOT met'}")
    print(json.dumps({"ui_fps": round(ui_fps, 1), "latency_ms_p50": round(lat50, 1),
                      "plain_ui_fps": round(plain_fps, 1), "reps_counted": count,
                      "latency_samples": len(lat)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
