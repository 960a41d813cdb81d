"""The vision coaching engine: pose, repetition counting, form feedback, framing guidance.

A plain library (no Kivy). See ``vision/README.md`` for the data flow and the
API the coaching screen uses; in short:

- ``vision.exercises.load_exercises(extra_dir=None) -> dict[str, ExerciseSpec]``
  (TOML definitions shipped in ``vision/exercises/``; bad files skipped and
  reported, see ``load_exercises_with_errors``);
- ``vision.live.LiveCoach(source_spec, exercise, target, on_update, mirror=True)``
  with ``start()``, ``pause()``, ``resume()``, ``reset_set()``, ``stop() -> SessionSummary``;
  callbacks are called from its background thread;
- ``vision.coach.CoachUpdate`` / ``SessionSummary`` / ``Cue`` / ``RepEvent``;
- sources: ``vision.sources.CameraSource`` / ``VideoFileSource``,
  ``vision.sim.SimulatedPerson``; ``vision.live.make_source(spec)``;
- ``vision.worker.PoseWorker`` (the model in a spawned process) and
  ``vision.pose.PoseEstimator`` (the model in-process, for ``kiosk analyze``);
- ``vision.replay.analyze_video`` / ``replay_trace`` and ``vision.trace.Trace``.

Nothing here writes a picture to disk or sends it anywhere.
"""
