"""The installed kiosk unit running the installed app under a real systemd user manager.

The unit tested is the one ``install-kiosk.sh`` wrote, turned into a user
unit (see ``systemd_user.py``: the system-only keys dropped, restart,
notify and watchdog settings kept; the watchdog shortened by a drop-in so
the test is quick). It starts ``/usr/lib/community-kiosk/kiosk-session``
with ``KIOSK_SESSION=none`` (the app on an Xvfb display of the test's,
instead of cage on tty1), which runs the installed ``kiosk run``: systemd
must see READY when the app's attract screen is drawn (``systemctl start``
of a ``Type=notify`` unit waits for it), restart it after ``kill -9`` in the
middle of a coached session and after its main loop froze (the watchdog
pings stop), and each time the interrupted session must be in the store as
a partial record. The test hooks (SIGUSR2 starts a session with the
simulated person, SIGUSR1 blocks the main loop) are switched on by the
test's drop-in; the installed unit never sets them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.records import ExerciseSession
from sync.store import Store
from tests.deploy import systemd_user
from tests.deploy.conftest import Prefix
from tests.deploy.real_app import SESSION
from tests.deploy.systemd_user import UserManager, user_unit_from_system_unit
from tests.deploy.throwaway import ThrowawayRoot
from tests.deploy.units import parse_unit
from tests.deploy.xvfb import start_own_xvfb

pytestmark = [pytest.mark.usefixtures("throwaway_ok"), pytest.mark.install]

DATA = "/var/lib/community-kiosk"


@pytest.fixture
def manager(kiosk_prefix: Prefix, tmp_path: Path) -> Iterator[tuple[UserManager, ThrowawayRoot]]:
    reason = systemd_user.unavailable_reason()
    if reason is not None:
        pytest.skip(f"no systemd user manager here: {reason}")
    with ThrowawayRoot(tmp_path / "root", seed=kiosk_prefix.root) as root:
        uid, gid = kiosk_prefix.ids("kiosk")
        mgr = UserManager(root, "kiosk", uid, gid, f"kiosk-test-{os.getpid()}-{time.time_ns()}")
        try:
            yield mgr, root
        finally:
            mgr.close()


@pytest.fixture
def display() -> Iterator[str]:
    proc, name = start_own_xvfb(800, 600)  # reached from the throwaway root (same network)
    yield name
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _main_pid(mgr: UserManager) -> int:
    return int(mgr.show("kiosk.service", "MainPID")["MainPID"])


def _why_restarted(mgr: UserManager, n: int, timeout: float = 120) -> str:
    """systemd's ``Result`` of the run that ended, seen while it waits ``RestartSec`` to start
    the ``n``-th restart (``signal`` after kill -9, ``watchdog`` after a frozen loop)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = mgr.show("kiosk.service", "Result", "SubState", "NRestarts")
        if got["SubState"] == "auto-restart" or int(got["NRestarts"]) >= n:
            return got["Result"]
        time.sleep(0.05)
    raise AssertionError(f"kiosk.service was not restarted a {n}. time: {got}")


def _wait_checkpoint(root: ThrowawayRoot, min_reps: int, other_than: str = "",
                     timeout: float = 120) -> dict[str, object]:
    path = root.path(f"{DATA}/in-progress/session.json")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            seen = None
        if seen and seen["repetitions"] >= min_reps and seen["uuid"] != other_than:
            return dict(seen)
        time.sleep(0.1)
    log = root.path(f"{DATA}/unit-output.log")
    raise AssertionError(f"no checkpoint with {min_reps} repetitions; the app said:\n"
                         f"{log.read_text(errors='replace')[-3000:] if log.exists() else ''}")


def _configure_for_test(root: ThrowawayRoot) -> None:
    """What a maintainer would set for a kiosk without a network: no sync, no sensors, and
    the session "none" (the app on the display it is given)."""
    etc = root.path("/etc/community-kiosk")
    cfg = etc / "config.toml"
    text = cfg.read_text().replace("[sync]\n", "[sync]\nenabled = false\n", 1)
    _replace(etc / "session.env", "KIOSK_SESSION=none\n")
    _replace(cfg, text + '\n[sensors]\nsimulate = "never"\n\n[voice]\nenabled = false\n')


def _replace(path: Path, text: str) -> None:
    """Write a new file in place of ``path``: the root's files are hard links to the shared
    install prefix, which an in-place write would change for every later test."""
    st = path.stat()
    path.unlink()
    path.write_text(text)
    os.chown(path, st.st_uid, st.st_gid)
    path.chmod(st.st_mode & 0o7777)


def test_installed_unit_runs_the_app_restarts_it_after_kill_9_and_a_frozen_loop(
    manager: tuple[UserManager, ThrowawayRoot], display: str,
) -> None:
    mgr, root = manager
    _configure_for_test(root)
    unit = parse_unit(root.path("/etc/systemd/system/kiosk.service"))
    text = user_unit_from_system_unit(
        unit, extra_env={"PYTHONPYCACHEPREFIX": f"{DATA}/pycache", "DISPLAY": display})
    assert "Type=notify" in text and "Restart=always" in text and "WatchdogSec=" in text
    assert "ExecStart=/usr/lib/community-kiosk/kiosk-session" in text
    mgr.install_unit("kiosk.service", text)
    drop_in = mgr.root.path(f"{DATA}/.config/systemd/user/kiosk.service.d")
    drop_in.mkdir()
    (drop_in / "test.conf").write_text(
        # RestartSec: a wider window to read why systemd restarted it (_why_restarted)
        "[Service]\nWatchdogSec=6\nTimeoutStopSec=10\nRestartSec=2\n"
        f"StandardOutput=append:{DATA}/unit-output.log\nStandardError=inherit\n"
        "Environment=KIOSK_DEBUG_HOOKS=1\n"
        f"Environment=\"KIOSK_DEBUG_SESSION={SESSION}\"\n")
    mgr.systemctl("daemon-reload")

    mgr.systemctl("start", "kiosk.service")  # returns once READY=1 arrived: the attract screen
    mgr.wait_show("kiosk.service", 30, ActiveState="active", SubState="running")
    pid1 = _main_pid(mgr)

    os.kill(pid1, signal.SIGUSR2)  # a resident starts squatting ...
    killed = _wait_checkpoint(root, 3)
    os.kill(pid1, signal.SIGKILL)  # ... and the kiosk dies
    results = {_why_restarted(mgr, 1)}
    mgr.wait_show("kiosk.service", 120, NRestarts="1", ActiveState="active", SubState="running")
    pid2 = _main_pid(mgr)
    assert pid2 not in (pid1, 0)

    os.kill(pid2, signal.SIGUSR2)
    frozen = _wait_checkpoint(root, 2, other_than=str(killed["uuid"]))
    os.kill(pid2, signal.SIGUSR1)  # the main loop stops: no more watchdog pings
    results.add(_why_restarted(mgr, 2))
    mgr.wait_show("kiosk.service", 120, NRestarts="2", ActiveState="active", SubState="running")
    assert _main_pid(mgr) not in (pid1, pid2)
    status = mgr.systemctl("status", "kiosk.service", "--no-pager", check=False).stdout
    mgr.systemctl("stop", "kiosk.service")

    log = root.path(f"{DATA}/logs/kiosk.log").read_text()
    assert log.count("attract screen drawn") == 3, status
    assert results == {"signal", "watchdog"}, results
    with Store(root.path(f"{DATA}/store"), retention_days=None) as store:
        assert store.count() == 2, store.uuids()
        for seen in (killed, frozen):
            rec = store.get(str(seen["uuid"]))
            assert isinstance(rec, ExerciseSession) and not rec.completed
            assert int(str(seen["repetitions"])) <= rec.repetitions
            assert f"saved the session interrupted by the last stop as partial ({rec.uuid})" in log
