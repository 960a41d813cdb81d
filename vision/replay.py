"""Replay landmarks through the engine: recorded traces, or a video through the model.

Why this module exists: ``kiosk analyze``, the accuracy bench and the tests
all need "run this clip (or this trace) and give me the summary"; they share
this code so the figures they report come from the same path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vision.engine import Engine, EngineUpdate, SetSummary
from vision.exercises import ExerciseSpec
from vision.trace import Trace, TraceFrame


@dataclass
class AnalyzeResult:
    summary: SetSummary
    trace: Trace
    updates: list[EngineUpdate] = field(default_factory=list)


def replay_trace(trace: Trace, spec: ExerciseSpec,
                 on_update: Callable[[EngineUpdate], None] | None = None) -> SetSummary:
    """Run a recorded trace through a fresh engine."""
    engine = Engine(spec, aspect=trace.width / max(trace.height, 1))
    for f in trace.frames:
        u = engine.process(f.t, f.landmarks, f.luma, f.others, world=f.world)
        if on_update:
            on_update(u)
    return engine.finish()


def iter_video_pose(path: str | Path, model_complexity: int = 1) -> Iterator[tuple[int, int, float, TraceFrame]]:
    """(width, height, fps, frame) for every frame of a video, through the real model, in-process."""
    from vision.pose import PoseEstimator
    from vision.sources import VideoFileSource

    with VideoFileSource(path) as src, PoseEstimator(model_complexity) as est:
        for fr in src:
            r = est.process(fr.image)
            yield src.width, src.height, src.fps, TraceFrame(fr.t, r.landmarks, r.world, r.others, r.luma)


def analyze_video(path: str | Path, spec: ExerciseSpec, model_complexity: int = 1,
                  on_update: Callable[[EngineUpdate], None] | None = None) -> AnalyzeResult:
    """Every frame of ``path`` in order, with the video's own timestamps, through model and engine."""
    engine: Engine | None = None
    frames: list[TraceFrame] = []
    w = h = 0
    fps = 0.0
    for w, h, fps_, tf in iter_video_pose(path, model_complexity):
        fps = fps_
        if engine is None:
            engine = Engine(spec, aspect=w / max(h, 1))
        frames.append(tf)
        u = engine.process(tf.t, tf.landmarks, tf.luma, tf.others, world=tf.world)
        if on_update:
            on_update(u)
    assert engine is not None  # VideoFileSource raises on a video without frames
    trace = Trace(clip=Path(path).name, fps=fps, width=w, height=h, frames=frames)
    return AnalyzeResult(engine.finish(), trace)
