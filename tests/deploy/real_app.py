"""The real kiosk app (``kiosk run``) as its own process, for the self-healing tests and bench.

Why this module exists: killing and freezing must be done to the real app,
not a stand-in: its READY comes when its attract screen is drawn, its
watchdog pings come from its Kivy main loop, and the session it checkpoints
is the simulated person's, coached through the real session flow. The test
hooks (``kiosk/shell/debug_hooks.py``: SIGUSR2 starts a session, SIGUSR1
blocks the main loop) are switched on by the environment given here. The app
draws on an Xvfb of the caller's; its output goes to a file that is also its
"journal stream" (``JOURNAL_STREAM`` names that file), so what it would log
to the journal can be read back.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.system.supervisor import Policy, Supervisor

KIOSK = str(Path(sys.executable).parent / "kiosk")
SESSION = "exercise squat 30 sim:squat?reps=30&period=1.0&lead_in=2"
"""The session the hook starts: the simulated person stands still for 2 s, then squats
once a second."""

CONFIG = """
[kiosk]
id = "kiosk-heal"
window_size = [800, 600]
idle_timeout_s = 600

[camera]
source = "sim"

[sensors]
simulate = "never"

[sync]
enabled = false

[voice]
enabled = false
"""


def app_env(data: Path, display: str, output: Path | None = None) -> dict[str, str]:
    """The environment for ``kiosk run`` with the test hooks on (and the journal stream)."""
    env = dict(os.environ, DISPLAY=display, KIOSK_DATA_DIR=str(data), KIOSK_DEBUG_HOOKS="1",
               KIOSK_DEBUG_SESSION=SESSION,
               KIOSK_CACHE_DIR=str(Path(__file__).resolve().parents[2] / "test-output" / "cache"))
    for key in ("KIOSK_CONFIG", "NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM",
                "INVOCATION_ID", "WAYLAND_DISPLAY"):
        env.pop(key, None)
    if output is not None:
        st = output.stat()
        env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    return env


class RealKiosk:
    """``kiosk run`` under :class:`Supervisor` (restart on exit, watchdog), in ``workdir``."""

    def __init__(self, workdir: Path, display: str, policy: Policy) -> None:
        self.dir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.data = workdir / "data"
        self.config = workdir / "config.toml"
        self.config.write_text(CONFIG)
        self.output = workdir / "output.log"
        self.output.touch()
        self._out = open(self.output, "ab")  # noqa: SIM115 - closed in stop()
        self.sup = Supervisor([KIOSK, "run", "--windowed", "--config", str(self.config)], policy,
                              env=app_env(self.data, display, self.output),
                              stdout=self._out.fileno())

    def __enter__(self) -> RealKiosk:
        self.sup.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.sup.stop()
        self._out.close()

    # ----- the session in progress ------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.data / "in-progress" / "session.json"

    def checkpoint(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def start_session(self, pid: int) -> None:
        os.kill(pid, signal.SIGUSR2)

    def freeze(self, pid: int) -> None:
        os.kill(pid, signal.SIGUSR1)

    def wait_checkpoint(self, min_reps: int, other_than: str | None = None,
                        timeout: float = 90.0) -> dict[str, Any]:
        """The checkpoint once it holds ``min_reps`` repetitions (of a session other than
        ``other_than``)."""
        deadline = time.monotonic() + timeout
        seen: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            seen = self.checkpoint()
            if (seen is not None and seen["repetitions"] >= min_reps
                    and seen["uuid"] != other_than):
                return seen
            time.sleep(0.05)
        raise TimeoutError(f"no checkpoint with {min_reps} repetitions in {timeout} s "
                           f"(last: {seen}); app output:\n{self.tail()}")

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.output.read_text(errors="replace").splitlines()[-n:])
