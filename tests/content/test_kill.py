"""SIGKILL at random moments during an install (50 times): the previous content stays active,
the next start is clean, and a kill after the switch leaves the new version complete."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from content.repository import STICK_DIR
from content.service import ContentService
from content.store import ContentStore
from tests.content.helpers import APP_VERSION, TreeSpec, make_bundle, make_setup

REPO = Path(__file__).resolve().parents[2]
KILLS = 50


def check_clean_and_whole(content: Path) -> int:
    """The invariants after a start: returns the active version of ``demo``."""
    store = ContentStore(content)
    state = store.state()
    b = state.bundles["demo"]
    tree = store.bundle_dir(b)
    manifest = json.loads((tree / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == b.version
    for f in manifest["files"]:
        data = (tree / f["path"]).read_bytes()
        assert len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
    # what the app reads resolves into the active version
    assert (content / "lessons" / "l1" / "lesson.json").resolve().is_relative_to(tree.resolve())
    assert (content / "voice" / "en" / "count.1.wav").is_file()
    # nothing left behind
    assert not list((content / "staging").iterdir())
    assert [p.name for p in (content / "views").iterdir()] == [str(state.generation)]
    kept = {b.dir} | {d for _v, d in b.previous}
    assert {p.name for p in (content / "store" / "demo").iterdir()} == kept
    assert not (content / "current.new").exists()
    return b.version


@pytest.mark.slow
def test_sigkill_during_install(tmp_path: Path) -> None:
    s = make_setup(tmp_path)
    s.clock.now = datetime.now(UTC)  # the child process checks expiry against the real clock
    s.publish(make_bundle(tmp_path, "demo", 1))
    big = TreeSpec(extra={f"lessons/l1/p{i:03d}.png": os.urandom(100_000) for i in range(60)})
    s.publish(make_bundle(tmp_path, "demo", 2, big))
    s.repo.export(s.stick)
    v1 = s.stick / STICK_DIR / "targets" / "bundles" / "demo" / "demo-1.zip"
    shutil.copyfile(s.repo.targets_dir / "bundles" / "demo" / "demo-1.zip", v1)
    assert s.kiosk.install_path(v1).ok
    content = s.kiosk.store.root
    bundle2 = s.stick / STICK_DIR / "targets" / "bundles" / "demo" / "demo-2.zip"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "tests.content.kill_child", str(content), str(s.kiosk.trusted_root), str(bundle2)]

    def spawn() -> subprocess.Popen[str]:
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        assert p.stdout is not None
        line = p.stdout.readline()
        assert line.strip() == "start", line + (p.stderr.read() if p.stderr else "")
        return p

    def back_to_v1() -> None:
        svc = ContentService(content, s.kiosk.trusted_root, APP_VERSION, clock=s.clock, builtin_exercises={"squat"})
        svc.rollback("demo")

    # one full run to learn how long an install takes
    p = spawn()
    t0 = time.monotonic()
    out, err = p.communicate(timeout=120)
    full = time.monotonic() - t0
    assert p.returncode == 0 and "done" in out, out + err
    assert check_clean_and_whole(content) == 2
    back_to_v1()

    rng = random.Random(1234)
    outcomes = {1: 0, 2: 0}
    for _ in range(KILLS):
        p = spawn()
        time.sleep(rng.uniform(0, full * 1.1))
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        # the next start
        svc = ContentService(content, s.kiosk.trusted_root, APP_VERSION, clock=s.clock, builtin_exercises={"squat"})
        svc.start()
        version = check_clean_and_whole(content)
        outcomes[version] += 1
        if version == 2:
            back_to_v1()
            assert check_clean_and_whole(content) == 1
    print(f"SIGKILL outcomes over {KILLS} kills (install {full:.2f} s): {outcomes}")
    assert outcomes[1] >= 10, outcomes
