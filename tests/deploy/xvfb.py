"""An Xvfb of the test's own, on a display number the X server picks itself.

Why this module exists: several test runs (and other people's) share this
machine; choosing a display number by hand collides now and then. Xvfb's
``-displayfd`` makes the server choose a free number and write it to a pipe
once it accepts connections.
"""

from __future__ import annotations

import os
import select
import subprocess
import time


def start_own_xvfb(width: int = 1280, height: int = 800,
                   timeout: float = 30.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start Xvfb (with GLX, for Kivy) and return it with its ``DISPLAY`` (":N")."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
         "+extension", "GLX", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    got = b""
    deadline = time.monotonic() + timeout
    try:  # read up to the newline: closing the pipe early would kill Xvfb (SIGPIPE)
        while not got.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 32) if ready else b""
            if not chunk:
                break
            got += chunk
    finally:
        os.close(read_fd)
    number = got.decode().strip()
    if not number.isdigit():
        proc.kill()
        proc.wait(10)
        raise RuntimeError("Xvfb did not start")
    return proc, f":{number}"
