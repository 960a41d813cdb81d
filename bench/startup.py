"""Cold start of ``kiosk run`` until the attract screen is drawn; median of 5 runs.

Each run is a new process with a new data directory, on one Xvfb display that
the bench starts (a real kiosk has its display already). The plain alternative
is a bare Kivy window with one label, started the same way, so the ratio shows
what the kiosk adds on top of Kivy itself. Target: under 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, median, table  # noqa: E402
from kiosk.startup.display import ensure_display  # noqa: E402

PLAIN = r"""
import os, sys, time
os.environ["KIVY_NO_ARGS"] = "1"; os.environ["KIVY_LOG_MODE"] = "PYTHON"
from kivy.app import App
from kivy.uix.label import Label
from kivy.core.window import Window
from kivy.clock import Clock
class A(App):
    def build(self):
        Window.bind(on_flip=self.flip)
        return Label(text="hello")
    def flip(self, *a):
        print("KIOSK_ATTRACT_DRAWN", flush=True)
        Clock.schedule_once(lambda dt: self.stop(), 0)
A().run()
"""


def one_run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.time()
    env = dict(env, KIOSK_T0=str(t0), KIOSK_STARTUP_PROBE="1")
    err_file = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, text=True, env=env)
    assert proc.stdout is not None
    drawn = None
    for line in proc.stdout:
        if line.startswith("KIOSK_ATTRACT_DRAWN"):
            drawn = time.time() - t0
            break
    proc.wait(60)
    if drawn is None:
        err_file.seek(0)
        err = err_file.read()[-2000:]
        raise RuntimeError(f"{cmd[:3]} exited with {proc.returncode} before drawing: {err}")
    return drawn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    vd = ensure_display(1280, 800)
    kiosk_cmd = [str(Path(sys.executable).parent / "kiosk"), "run", "--windowed"]
    plain_script = Path(tempfile.mkdtemp()) / "bare_kivy.py"
    plain_script.write_text(PLAIN)
    plain_cmd = [sys.executable, str(plain_script)]
    kiosk_times, plain_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = dict(os.environ, KIOSK_CACHE_DIR=str(Path(tmp) / "cache"))
        base.pop("KIOSK_CONFIG", None)
        first = one_run(kiosk_cmd, dict(base, KIOSK_DATA_DIR=str(Path(tmp) / "first")))
        for i in range(args.runs):
            env = dict(base, KIOSK_DATA_DIR=str(Path(tmp) / f"d{i}"))
            kiosk_times.append(one_run(kiosk_cmd, env))
            plain_times.append(one_run(plain_cmd, env))
    if vd:
        vd.stop()
    k, p = median(kiosk_times), median(plain_times)
    print(f"machine: {machine()}; display: {'Xvfb (started by the bench)' if vd else 'attached'}")
    print(table(["what", "median s", "runs (s)"], [
        ["kiosk run -> attract drawn", f"{k:.3f}", " ".join(f"{t:.2f}" for t in kiosk_times)],
        ["bare Kivy window -> first frame", f"{p:.3f}", " ".join(f"{t:.2f}" for t in plain_times)],
        ["first start ever (font face extracted)", f"{first:.3f}", ""],
    ]))
    print(f"kiosk / bare Kivy: {k / p:.2f}x; target < 3 s: {'met' if k < 3 else 'NOT met'}")
    print(json.dumps({"startup_s": round(k, 3), "bare_kivy_s": round(p, 3),
                      "ratio_vs_bare_kivy": round(k / p, 2), "first_start_s": round(first, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
