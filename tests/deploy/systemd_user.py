"""A real systemd user manager for the kiosk user, inside a throwaway root.

Why this module exists: the kiosk unit's promises (restart on any exit, the
watchdog kills a frozen UI, READY when the attract screen is drawn) are
systemd's to keep, so the tests should watch systemd keep them. This
machine is a container without systemd as PID 1, but a user manager
(``systemd --user``) runs here when it is given what a login would give it:
``/run/systemd/system`` (in the throwaway root's own ``/run``), a runtime
directory, and a cgroup delegated to the user (made under this container's
cgroup2 and v1 ``name=systemd`` hierarchies, removed afterwards).
:func:`user_unit_from_system_unit` turns the installed system unit into a
user unit by dropping what only a system manager can do (user switch, PAM
session, tty, sandboxing) and keeping what is under test: ``Type=notify``,
``NotifyAccess``, ``WatchdogSec``, ``Restart``, timeouts, environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.deploy.throwaway import ThrowawayRoot
from tests.deploy.units import Unit

SYSTEMD = "/lib/systemd/systemd"
KEEP_SERVICE = {
    "Type", "NotifyAccess", "WatchdogSec", "TimeoutStartSec", "TimeoutStopSec", "Restart",
    "RestartSec", "Environment", "EnvironmentFile", "ExecStart", "KillMode", "WatchdogSignal",
    "TimeoutAbortSec",
}
KEEP_UNIT = {"Description", "StartLimitIntervalSec", "StartLimitBurst"}
CGROUP_ROOTS = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup/systemd"))


def unavailable_reason() -> str | None:
    if not Path(SYSTEMD).exists():
        return f"{SYSTEMD} not found (Debian package systemd)"
    unified = Path("/sys/fs/cgroup/unified")
    if not unified.is_dir():
        unified = Path("/sys/fs/cgroup")
    if not (unified / "cgroup.procs").exists() or not os.access(unified, os.W_OK):
        return "no writable cgroup2 hierarchy to delegate to a user manager"
    return None


def user_unit_from_system_unit(unit: Unit, exec_start: str | None = None,
                               extra_env: dict[str, str] | None = None) -> str:
    lines = ["[Unit]"]
    lines += [f"{k}={v}" for k, v in unit.sections.get("Unit", []) if k in KEEP_UNIT]
    lines.append("[Service]")
    for k, v in unit.sections.get("Service", []):
        if k not in KEEP_SERVICE:
            continue
        if k == "ExecStart" and exec_start is not None:
            v = exec_start
        lines.append(f"{k}={v}")
    for k, v in (extra_env or {}).items():
        lines.append(f"Environment={k}={v}")
    return "\n".join(lines) + "\n"


class UserManager:
    """``systemd --user`` for ``user`` inside ``root``; ``systemctl`` talks to it."""

    def __init__(self, root: ThrowawayRoot, user: str, uid: int, gid: int, name: str) -> None:
        self.root = root
        self.user = user
        self.uid = uid
        self.runtime = f"/run/user/{uid}"
        self.cgroups = [r / name for r in CGROUP_ROOTS if r.is_dir()]
        for cg in self.cgroups:
            cg.mkdir(exist_ok=True)
            for path in [cg, *cg.iterdir()]:
                if path.name in ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads",
                                 "tasks") or path == cg:
                    os.chown(path, uid, gid)
        root.run(["sh", "-c", f"mkdir -p /run/systemd/system {self.runtime} && "
                              f"chown {uid}:{gid} {self.runtime} && chmod 700 {self.runtime}"])
        join = " && ".join(f"echo $$ > {cg}/cgroup.procs" for cg in self.cgroups)
        self.log = root.base / "systemd-user.log"
        self.proc = root.popen(
            ["sh", "-c", f"{join} && exec runuser -u {user} -- env XDG_RUNTIME_DIR={self.runtime} "
                         f"HOME=/var/lib/community-kiosk {SYSTEMD} --user"],
            log=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = self.systemctl("is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"systemd --user did not start: {self.log.read_text()[-2000:]}")

    def systemctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.root.run(["systemctl", "--user", *args], user=self.user,
                             env={"XDG_RUNTIME_DIR": self.runtime}, check=check, timeout=120)

    def install_unit(self, name: str, text: str) -> None:
        d = self.root.path("/var/lib/community-kiosk/.config/systemd/user")
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text)
        for p in (d, d.parent, d.parent.parent, d / name):
            os.chown(p, self.uid, -1)
        self.systemctl("daemon-reload")

    def show(self, unit: str, *props: str) -> dict[str, str]:
        out = self.systemctl("show", unit, *(f"--property={p}" for p in props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_show(self, unit: str, timeout: float, **want: str) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        got: dict[str, str] = {}
        while time.monotonic() < deadline:
            got = self.show(unit, *want)
            if all(got.get(k) == v for k, v in want.items()):
                return got
            time.sleep(0.2)
        raise AssertionError(f"{unit}: wanted {want}, have {got}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.systemctl("stop", "default.target", check=False)
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for cg in self.cgroups:
            for d in sorted((p for p in cg.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                _kill_and_rmdir(d)
            _kill_and_rmdir(cg)


def _kill_and_rmdir(cg: Path) -> None:
    procs = cg / "cgroup.procs"
    for _ in range(50):
        try:
            pids = [int(x) for x in procs.read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        try:
            cg.rmdir()
            return
        except OSError:
            time.sleep(0.1)
    shutil.rmtree(cg, ignore_errors=True)
