"""A stand-in main loop for supervisor tests: READY after start-up, WATCHDOG from the loop.

Behaviour is steered by files in the directory given as argv[1]: ``freeze``
(the loop stops and sleeps, as a frozen UI), ``never-ready`` (start-up never
finishes). It appends its pid to ``starts`` at each start.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kiosk.system.sd_notify import Notifier


def main() -> None:
    control = Path(sys.argv[1])
    import os

    with open(control / "starts", "a") as f:
        f.write(f"{os.getpid()}\n")
    notifier = Notifier()
    time.sleep(0.2)  # start-up
    while (control / "never-ready").exists():
        time.sleep(0.05)
    notifier.ready("attract screen drawn")
    interval = notifier.ping_interval_s() or 1.0
    while True:
        if (control / "freeze").exists():
            time.sleep(3600)  # the main loop is stuck: no more pings
        notifier.watchdog()
        time.sleep(interval)


if __name__ == "__main__":
    main()
