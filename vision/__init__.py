"""The vision engine: pose, repetition counting, holds, form feedback, framing guidance.

A plain library (no Kivy). See ``vision/README.md`` for the data flow and the
API the coaching screen uses; in short:

- ``vision.exercises.load_exercises(extra_dir=None) -> dict[str, ExerciseSpec]``
  (TOML definitions shipped in ``vision/exercises/``; bad files skipped and
  reported, see ``load_exercises_with_errors``);
- ``vision.live.LiveEngine(source_spec, exercise, target, on_update, mirror=True)``
  with ``start()``, ``pause()``, ``resume()``, ``reset_set()``, ``stop() -> SetSummary``;
  callbacks are called from its background thread;
- ``vision.engine.Engine`` (the deterministic per-frame engine) and its
  ``EngineUpdate`` / ``SetSummary`` / ``Cue`` (keys, never texts) / ``RepEvent``;
- ``vision.activity``: activity kinds (how each counts, its target, its result with a unit);
- sources: ``vision.sources.CameraSource`` / ``VideoFileSource``,
  ``vision.sim.SimulatedPerson``; ``vision.live.make_source(spec)``;
- ``vision.worker.PoseWorker`` (the model in a spawned process) and
  ``vision.pose.PoseEstimator`` (the model in-process, for ``kiosk analyze``);
- ``vision.replay.analyze_video`` / ``replay_trace`` and ``vision.trace.Trace``.

Nothing here writes a picture to disk or sends it anywhere.
"""
