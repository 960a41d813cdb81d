"""The installed kiosk unit under a real systemd user manager: restart and watchdog.

The unit tested is the one ``install-kiosk.sh`` wrote, turned into a user
unit (see ``systemd_user.py``: the system-only keys dropped, restart,
notify and watchdog settings kept; the watchdog shortened by a drop-in so
the test is quick). The main process is a stand-in for the app's main loop
that speaks sd_notify through :mod:`kiosk.system.sd_notify`: READY after
start-up, WATCHDOG from its loop. systemd must restart it after ``kill -9``
and kill and restart it when its loop freezes.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy import systemd_user
from tests.deploy.conftest import Prefix
from tests.deploy.systemd_user import UserManager, user_unit_from_system_unit
from tests.deploy.throwaway import ThrowawayRoot
from tests.deploy.units import parse_unit

pytestmark = [pytest.mark.usefixtures("throwaway_ok"), pytest.mark.install]

STAND_IN = Path(__file__).parent / "apps" / "notify_app.py"


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


def _main_pid(mgr: UserManager) -> int:
    return int(mgr.show("kiosk.service", "MainPID")["MainPID"])


def test_installed_unit_restarts_after_kill_9_and_after_a_frozen_loop(
    manager: tuple[UserManager, ThrowawayRoot],
) -> None:
    mgr, root = manager
    ctl = root.path("/var/lib/community-kiosk/ctl")
    ctl.mkdir()
    shutil.copy(STAND_IN, root.path("/var/lib/community-kiosk/notify_app.py"))
    uid, _ = mgr.uid, 0
    os.chown(ctl, uid, -1)
    unit = parse_unit(root.path("/etc/systemd/system/kiosk.service"))
    text = user_unit_from_system_unit(
        unit,
        exec_start="/opt/community-kiosk/current/bin/python "
                   "/var/lib/community-kiosk/notify_app.py /var/lib/community-kiosk/ctl",
        extra_env={"PYTHONPYCACHEPREFIX": "/var/lib/community-kiosk/pycache"},
    )
    assert "Type=notify" in text and "Restart=always" in text and "WatchdogSec=" in text
    mgr.install_unit("kiosk.service", text)
    drop_in = mgr.root.path("/var/lib/community-kiosk/.config/systemd/user/kiosk.service.d")
    drop_in.mkdir()
    (drop_in / "fast-watchdog.conf").write_text("[Service]\nWatchdogSec=3\nTimeoutStopSec=3\n")
    mgr.systemctl("daemon-reload")

    mgr.systemctl("start", "kiosk.service")  # returns once READY=1 arrived (Type=notify)
    first = mgr.wait_show("kiosk.service", 30, ActiveState="active", SubState="running")
    pid1 = _main_pid(mgr)
    assert first["ActiveState"] == "active"

    os.kill(pid1, signal.SIGKILL)
    mgr.wait_show("kiosk.service", 60, NRestarts="1", ActiveState="active", SubState="running")
    pid2 = _main_pid(mgr)
    assert pid2 not in (pid1, 0)

    (ctl / "freeze").touch()  # the loop stops pinging
    mgr.wait_show("kiosk.service", 60, NRestarts="2")
    (ctl / "freeze").unlink()
    state = mgr.wait_show("kiosk.service", 60, ActiveState="active", SubState="running")
    assert _main_pid(mgr) not in (pid1, pid2)
    journal = mgr.systemctl("status", "kiosk.service", "--no-pager", check=False).stdout
    assert state["ActiveState"] == "active", journal
    starts = (ctl / "starts").read_text().split()
    assert len(starts) == 3
