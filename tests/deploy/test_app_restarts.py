"""The real kiosk app, killed with -9 and frozen mid-session, comes back with the session saved.

``kiosk run`` runs under :class:`kiosk.system.supervisor.Supervisor`, which does what
``kiosk.service`` asks of systemd (``test_systemd_user.py`` has systemd itself do it): the
app's READY (sent when its attract screen is drawn) and its watchdog pings (from its Kivy
main loop) travel over a real notify socket. A simulated person is coached through the real
session flow; the test kills the process with SIGKILL after some repetitions, then blocks
the next one's main loop. After each restart the interrupted session is in the store as a
partial record with the repetitions done so far, once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.system.supervisor import Policy
from sync.records import ExerciseSession
from sync.store import Store
from tests.deploy.real_app import RealKiosk
from tests.deploy.xvfb import start_own_xvfb

pytestmark = pytest.mark.ui


@pytest.fixture
def display() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb needed (scripts/system-deps.sh)")
    proc, name = start_own_xvfb(800, 600)
    yield name
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_real_app_killed_and_frozen_mid_session_restarts_and_keeps_the_sessions(
    tmp_path: Path, display: str,
) -> None:
    policy = Policy(restart_delay_s=1.0, watchdog_s=6.0, abort_timeout_s=2.0, start_timeout_s=120)
    with RealKiosk(tmp_path, display, policy) as kiosk:
        sup = kiosk.sup
        first = sup.wait_for("ready", 1, timeout=120)  # the attract screen was drawn

        # 1. kill -9 in the middle of a session
        kiosk.start_session(first.pid)
        killed = kiosk.wait_checkpoint(min_reps=3)
        os.kill(first.pid, 9)
        exited = sup.wait_for("exited", 1, timeout=30)
        assert exited.pid == first.pid and "-9" in exited.detail
        second = sup.wait_for("ready", 2, timeout=120)  # back on the attract screen
        assert second.pid != first.pid
        assert kiosk.checkpoint() is None, "the restart saved and removed the checkpoint"

        # 2. a frozen main loop in the middle of the next session
        kiosk.start_session(second.pid)
        frozen = kiosk.wait_checkpoint(min_reps=2, other_than=killed["uuid"])
        kiosk.freeze(second.pid)
        timeout = sup.wait_for("watchdog_timeout", 1, timeout=60)
        assert timeout.pid == second.pid
        third = sup.wait_for("ready", 3, timeout=120)
        with pytest.raises(ProcessLookupError):
            os.kill(second.pid, 0)
        assert third.pid not in (first.pid, second.pid)
        assert sup.count("watchdog_timeout") == 1 and sup.count("exited") == 1
        assert kiosk.checkpoint() is None
        output = kiosk.output.read_text(errors="replace")
        log_file = (kiosk.data / "logs" / "kiosk.log").read_text()

    with Store(kiosk.data / "store", retention_days=None) as store:
        assert store.count() == 2, store.uuids()  # each session once, nothing else
        for seen in (killed, frozen):
            rec = store.get(seen["uuid"])
            assert isinstance(rec, ExerciseSession), seen["uuid"]
            assert not rec.completed and rec.exercise == "squat"
            # the repetitions done so far: at least those the test saw checkpointed
            assert seen["repetitions"] <= rec.repetitions < 30
            assert rec.value == rec.repetitions and len(rec.rep_flags) == rec.repetitions

    # logs: to the journal stream (priority prefixes, no time stamp) and to the rotating file
    for uuid in (killed["uuid"], frozen["uuid"]):
        line = f"kiosk.system.checkpoint: saved the session interrupted by the last stop as " \
               f"partial ({uuid})"
        assert f"<4>{line}" in output
        assert f"WARNING {line}" in log_file
    assert output.count("<6>kiosk.shell.app: attract screen drawn") == 3
    assert log_file.count("attract screen drawn") == 3
