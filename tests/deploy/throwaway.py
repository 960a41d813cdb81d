"""A throwaway system root for install tests: this machine's root under a writable overlay.

Why this module exists: the install scripts create users, write under /etc,
/opt and /var, initialise PostgreSQL and run services as unprivileged users.
Running them on the test machine itself would change it; a debootstrap chroot
takes minutes. Instead, a private mount namespace mounts an overlay whose
lower layers are (optionally) an install prefix and this machine's ``/`` and
whose upper layer is a temporary directory; ``/proc``, ``/dev`` and ``/sys``
are bound in, ``/run`` is a fresh tmpfs (no systemd running, as in a
container). Commands run chrooted into it through ``nsenter``. Every change
lands in the upper directory (the test can list exactly what an install
wrote) and disappears with it; the machine is untouched.

Needs root, ``unshare``/``nsenter`` and overlayfs; :func:`unavailable_reason`
says why not when they are missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

CLEAN_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
}


def unavailable_reason() -> str | None:
    """Why a throwaway root cannot be made here, or None if it can."""
    if os.geteuid() != 0:
        return "needs root (mount namespaces, overlayfs, chroot, useradd)"
    for tool in ("unshare", "nsenter", "chroot", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} not found (util-linux)"
    probe = Path(tempfile.mkdtemp(prefix="overlay-probe-"))
    try:
        for d in ("l", "u", "w", "m"):
            (probe / d).mkdir()
        cmd = (
            f"mount -t overlay overlay -o lowerdir={probe}/l,upperdir={probe}/u,"
            f"workdir={probe}/w {probe}/m"
        )
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", cmd],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return f"cannot mount overlayfs in a private mount namespace: {done.stderr.strip()}"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return None


class ThrowawayRoot:
    """This machine's root with an overlay on top; ``run`` executes commands chrooted in it."""

    def __init__(self, base: Path, seed: Path | None = None) -> None:
        self.base = base
        self.upper = base / "upper"
        self.work = base / "work"
        self.merged = base / "merged"
        for d in (self.upper, self.work, self.merged):
            d.mkdir(parents=True, exist_ok=True)
        if seed is not None:
            # An install prefix goes in as the upper layer's first content, hard-linked
            # (overlayfs refuses a lower layer inside another one, and "/" holds it).
            subprocess.run(["cp", "-al", f"{seed}/.", str(self.upper)], check=True)
        os.chmod(self.upper, 0o755)  # the upper directory's mode is the mode of "/"
        lowers = "/"
        m = self.merged
        script = "\n".join(
            [
                "set -e",
                f"mount -t overlay overlay -o lowerdir={lowers},upperdir={self.upper},"
                f"workdir={self.work} {m}",
                f"mount --rbind /proc {m}/proc",
                f"mount --rbind /dev {m}/dev",
                f"mount --rbind /sys {m}/sys",
                f"mount -t tmpfs -o mode=0755 tmpfs {m}/run",
                f"mkdir -p {m}/run/lock && chmod 1777 {m}/run/lock",
                "echo ready",
                "exec sleep 1000000",
            ]
        )
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.holder.stdout is not None
        line = self.holder.stdout.readline().strip()
        if line != "ready":
            err = self.holder.stderr.read() if self.holder.stderr else ""
            raise RuntimeError(f"throwaway root did not mount: {err.strip()}")

    # ----- running things inside ---------------------------------------------------------
    def command(self, argv: Sequence[str], user: str | None = None,
                env: Mapping[str, str] | None = None, cwd: str = "/") -> list[str]:
        """The host command line that runs ``argv`` inside the root (as ``user``)."""
        environment = dict(CLEAN_ENV, **(env or {}))
        inner = ["env", "-i", *(f"{k}={v}" for k, v in environment.items())]
        if user is not None:
            inner = ["runuser", "-u", user, "--", *inner]
        shell = 'cd "$1" && shift && exec "$@"'
        return [
            "nsenter", f"--target={self.holder.pid}", "--mount", "--",
            "chroot", str(self.merged), "sh", "-c", shell, "sh", cwd, *inner, *argv,
        ]

    def run(self, argv: Sequence[str], user: str | None = None,
            env: Mapping[str, str] | None = None, check: bool = True, timeout: float = 600,
            cwd: str = "/") -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self.command(argv, user, env, cwd), capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} failed in the throwaway root (exit {done.returncode}):\n"
                f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
            )
        return done

    def popen(self, argv: Sequence[str], user: str | None = None,
              env: Mapping[str, str] | None = None, log: Path | None = None) -> subprocess.Popen[bytes]:
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        return subprocess.Popen(self.command(argv, user, env), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)

    def path(self, inside: str) -> Path:
        """A path inside the root, reachable from the host (through the holder's mount view)."""
        return Path(f"/proc/{self.holder.pid}/root{self.merged}") / inside.lstrip("/")

    def changed(self) -> list[str]:
        """Every file the root's processes created, changed or deleted (not directories), sorted."""
        out = []
        for dirpath, _dirnames, filenames in os.walk(self.upper):
            for name in filenames:
                out.append("/" + str(Path(dirpath, name).relative_to(self.upper)))
        return sorted(out)

    # ----- tear-down -----------------------------------------------------------------------
    def processes(self) -> list[int]:
        """Processes whose root is this throwaway root."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.readlink(entry / "root") == str(self.merged):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    def close(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.processes()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 10
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.1)
        if self.holder.poll() is None:
            os.killpg(self.holder.pid, signal.SIGKILL)
            self.holder.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> ThrowawayRoot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
