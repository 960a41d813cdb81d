"""Log to the systemd journal when the kiosk runs as a service.

Why this module exists: a maintainer looking at a kiosk that misbehaved at
6 a.m. runs ``journalctl -u kiosk``; the rotating file under the data
directory stays as well (it survives a journal vacuum and is shown on the
status page). Under systemd, stderr is usually a stream to journald and
``$JOURNAL_STREAM`` names it (``device:inode``): then each line is written
with a ``<priority>`` prefix, which journald turns into the entry's
priority, and without a time stamp (the journal has its own). When the
python-systemd package is installed its native ``JournalHandler`` is used
instead (structured fields). Outside systemd: ``None``, and the caller
keeps its plain console handler.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def syslog_priority(levelno: int) -> int:
    for level in sorted(PRIORITY, reverse=True):
        if levelno >= level:
            return PRIORITY[level]
    return 7


class PriorityPrefixFormatter(logging.Formatter):
    """``<6>kiosk.shell.app: message``: journald reads the prefix as the priority."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in text.splitlines() or [""])


def stream_is_journal(stream: TextIO, env: Mapping[str, str]) -> bool:
    """True when ``stream`` is the journal stream systemd connected (``$JOURNAL_STREAM``)."""
    value = env.get("JOURNAL_STREAM", "")
    dev, _, ino = value.partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return st.st_dev == int(dev) and st.st_ino == int(ino)


def journal_handler(env: Mapping[str, str] | None = None,
                    stream: TextIO | None = None) -> logging.Handler | None:
    """A handler that writes to the journal, or None when not running under systemd."""
    env = os.environ if env is None else env
    stream = sys.stderr if stream is None else stream
    under_systemd = bool(env.get("JOURNAL_STREAM") or env.get("INVOCATION_ID"))
    if not under_systemd:
        return None
    try:
        native = importlib.import_module("systemd.journal")  # python-systemd, if installed
    except ImportError:
        native = None
    if native is not None:
        handler: logging.Handler = native.JournalHandler(SYSLOG_IDENTIFIER="kiosk")
        return handler
    if stream_is_journal(stream, env):
        h = logging.StreamHandler(stream)
        h.setFormatter(PriorityPrefixFormatter())
        return h
    return None
