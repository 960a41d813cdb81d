"""Logging for the kiosk: per-module loggers, a rotating file under the data dir, and the
console, or the systemd journal when the kiosk runs as a service (``kiosk/system/journal.py``:
then stderr is the journal's stream, and lines carry a priority instead of a time stamp)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_INSTALLED: list[logging.Handler] = []
"""The handlers this module added to the root logger."""


def setup_logging(log_dir: Path | None, level: str = "INFO", max_bytes: int = 2_000_000,
                  backups: int = 5) -> Path | None:
    """Configure the root logger once; return the log file path (None if not writable)."""
    root = logging.getLogger()
    root.setLevel(level)
    while _INSTALLED:  # set up again (tests, a restart in one process): replace ours only
        root.removeHandler(_INSTALLED.pop())
    from kiosk.system.journal import journal_handler

    console = journal_handler()
    if console is None:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter(FORMAT))
    _INSTALLED.append(console)
    root.addHandler(console)
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "kiosk.log"
        fh = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write logs under %s: %s", log_dir, exc)
        return None
    fh.setFormatter(logging.Formatter(FORMAT))
    _INSTALLED.append(fh)
    root.addHandler(fh)
    return path
