"""Accuracy of the repetition counter and the form rules on real clips, against the naive counter.

Runs the real pipeline (the bundled MediaPipe model, every frame in order with
the video's own timestamps, then our filter/counter) over every clip in the
media manifest, and the common naive counter (one angle threshold pair on one
fixed side, raw landmarks, no gating) on the same landmarks. Prints a table
(clip, exercise, true count, ours, error, naive, the form flags of every
repetition and, for clips labelled for form, the label), the exact-count
rate, the off-by-one rate and the mean absolute error, and for form: the
share of the repetitions of clips labelled ``incorrect`` that got a flag
(``form_caught``) and the share of the repetitions of clips labelled
``correct`` that got none (``form_silent_on_correct``). The last line is one
JSON object ``{"clips", "exact", "obo", "mae", "naive_exact", "naive_obo",
"naive_mae", "form_caught", "form_silent_on_correct", "form_faulty_reps",
"form_correct_reps"}``.

Clips of exercises we do not coach (the timed up-and-go) are listed as
skipped; the single-leg stance (a timed hold) shows the hold time and is not
part of the count statistics; still images are used as a model sanity check.

    python bench/accuracy.py [--manifest PATH] [--traces DIR]

The manifest defaults to ``../shared/media/manifest.json`` beside the repository
(or ``$KIOSK_MEDIA_MANIFEST``). ``--traces DIR`` replays recorded traces
instead of running the model (quick; the figures of record come without it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: list[str] | None = None) -> int:
    from vision.exercises import load_exercises
    from vision.media import default_manifest_path, load_manifest
    from vision.naive import naive_count
    from vision.replay import analyze_video, replay_trace
    from vision.trace import Trace

    ap = argparse.ArgumentParser(description="repetition-count accuracy on the real clips")
    ap.add_argument("--manifest", default=None, help="media manifest (default ../shared/media/manifest.json)")
    ap.add_argument("--traces", default=None, help="replay recorded traces from DIR instead of the model")
    a = ap.parse_args(argv)
    mpath = Path(a.manifest) if a.manifest else default_manifest_path()
    if not mpath.is_file():
        print(f"accuracy: media manifest not found: {mpath}", file=sys.stderr)
        return 2
    entries = load_manifest(mpath)
    specs = load_exercises()

    rows = []
    form_rows: list[tuple[str, str, int, list[list[str]]]] = []
    holds = []
    skipped = []
    stills = []
    t_start = time.time()
    print(f"{'clip':50s} {'exercise':18s} {'true':>4s} {'ours':>4s} {'err':>4s} {'naive':>5s}  form flags per rep")
    for e in entries:
        f = e["file"]
        if e["media_type"] != "video":
            stills.append(e)
            continue
        ex = e.get("exercise")
        if ex not in specs:
            skipped.append(f)
            print(f"{f:50s} {str(ex):18s} {'-':>4s} {'-':>4s} {'-':>4s} {'-':>5s}  skipped: not one of our exercises")
            continue
        spec = specs[ex]
        if a.traces:
            tr = Trace.load(Path(a.traces) / (Path(f).stem + ".json.gz"))
            summary = replay_trace(tr, spec)
        else:
            res = analyze_video(mpath.parent / f, spec)
            summary, tr = res.summary, res.trace
        naive = naive_count(tr, spec)
        if not spec.kind.counts_reps or e.get("reps") is None:
            holds.append((f, summary.hold_s))
            print(f"{f:50s} {ex:18s} {'-':>4s} {'-':>4s} {'-':>4s} {'-':>5s}  hold {summary.hold_s:.1f} s "
                  f"(timed hold, not in the count statistics)")
            continue
        err = summary.count - e["reps"]
        rows.append((f, ex, e["reps"], summary.count, err, naive))
        flags = [list(r.flags) for r in summary.reps]
        shown = " ".join("+".join(fl) if fl else "ok" for fl in flags) or "-"
        label = e.get("form_label")
        if label in ("correct", "incorrect"):
            form_rows.append((f, label, e["reps"], flags))
            shown += f"   [labelled {label}]"
        print(f"{f:50s} {ex:18s} {e['reps']:>4d} {summary.count:>4d} {err:>+4d} {naive:>5d}  {shown}")

    n = len(rows)
    if n == 0:
        print("accuracy: no countable clips", file=sys.stderr)
        return 2

    def stats(idx: int) -> tuple[float, float, float]:
        errs = [abs(r[idx] - r[2]) for r in rows]
        return (sum(x == 0 for x in errs) / n, sum(x <= 1 for x in errs) / n, sum(errs) / n)

    exact, obo, mae = stats(3)
    n_exact, n_obo, n_mae = stats(5)
    # form: per repetition, against the clip's label (a rep the counter missed counts as not judged)
    faulty = sum(n for _, label, n, _ in form_rows if label == "incorrect")
    caught = sum(min(n, sum(1 for fl in flags if fl)) for _, label, n, flags in form_rows
                 if label == "incorrect")
    correct = sum(n for _, label, n, _ in form_rows if label == "correct")
    silent = sum(min(n, sum(1 for fl in flags if not fl)) for _, label, n, flags in form_rows
                 if label == "correct")
    form_caught = caught / faulty if faulty else 0.0
    form_silent = silent / correct if correct else 0.0

    # model sanity on the still images: a person with the key joints visible
    sane = 0
    if stills and not a.traces:
        import cv2

        from vision.pose import PoseEstimator

        for e in stills:
            img = cv2.imread(str(mpath.parent / e["file"]))
            with PoseEstimator() as est:
                r = est.process(img) if img is not None else None
            ok = r is not None and r.landmarks is not None and (r.landmarks[[11, 12, 23, 24], 3] > 0.5).all()
            sane += bool(ok)
        print(f"\nstill images with a plausible pose: {sane}/{len(stills)}")
    print(f"\nclips counted: {n}   skipped: {len(skipped)} ({', '.join(skipped) or '-'})   "
          f"timed holds: {', '.join(f'{h[0]} {h[1]:.1f} s' for h in holds) or '-'}")
    print(f"ours : exact {exact:.1%}  off-by-one {obo:.1%}  MAE {mae:.3f}")
    print(f"naive: exact {n_exact:.1%}  off-by-one {n_obo:.1%}  MAE {n_mae:.3f}")
    print(f"form : faulty reps flagged {caught}/{faulty} = {form_caught:.1%}   "
          f"correct reps left silent {silent}/{correct} = {form_silent:.1%}   "
          f"({len(form_rows)} labelled clips)")
    print(f"({time.time() - t_start:.0f} s)")
    print(json.dumps({"clips": n, "exact": round(exact, 4), "obo": round(obo, 4), "mae": round(mae, 4),
                      "naive_exact": round(n_exact, 4), "naive_obo": round(n_obo, 4),
                      "naive_mae": round(n_mae, 4), "form_caught": round(form_caught, 4),
                      "form_silent_on_correct": round(form_silent, 4), "form_faulty_reps": faulty,
                      "form_correct_reps": correct}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
