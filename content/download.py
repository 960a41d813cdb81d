"""Resumable HTTP download of a bundle into a partial file (HTTP Range).

Why this module exists: a kiosk on a weak link must not start a 200 MB
download from zero after every drop. Bytes go to ``<name>.partial`` as they
arrive (never held in memory); the next attempt asks for the rest with
``Range: bytes=<have>-``. A server that ignores Range (200) restarts the file,
one that answers 416 (the partial is wrong) gets a fresh start. The length is
capped by the signed metadata, so an endless response cannot fill the disk.
The caller verifies the finished file against the signed hash.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import requests

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
"""Network read size: a cut connection loses at most this much of what arrived."""

DownloadProgress = Callable[[int, int], None]


class DownloadError(Exception):
    """The download failed (the partial file is kept for the next attempt)."""


def download_resumable(
    url: str,
    partial: Path,
    expected_length: int,
    *,
    timeout_s: tuple[float, float] = (5.0, 30.0),
    attempts: int = 3,
    backoff_s: float = 1.0,
    progress: DownloadProgress | None = None,
    session: requests.Session | None = None,
) -> Path:
    """Download ``url`` into ``partial`` (resuming what is there); return ``partial`` when complete."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    sess = session or requests.Session()
    last_error = ""
    try:
        for attempt in range(1, attempts + 1):
            try:
                if _attempt(sess, url, partial, expected_length, timeout_s, progress):
                    return partial
                last_error = "incomplete"
            except (requests.RequestException, OSError) as exc:
                last_error = _describe(exc)
                log.info("download %s: attempt %d failed: %s (have %d bytes)",
                         url, attempt, last_error, _size(partial))
            if attempt < attempts:
                time.sleep(backoff_s * attempt)
    finally:
        if session is None:
            sess.close()
    raise DownloadError(
        f"{url}: {last_error}; {_size(partial)} of {expected_length} bytes kept for resuming")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, requests.ConnectionError):
        return "connection lost"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return str(exc) or type(exc).__name__


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _attempt(sess: requests.Session, url: str, partial: Path, expected: int,
             timeout_s: tuple[float, float], progress: DownloadProgress | None) -> bool:
    have = _size(partial)
    if have > expected:
        partial.unlink()
        have = 0
    if have == expected:
        return True
    headers = {"Range": f"bytes={have}-"} if have else {}
    with sess.get(url, headers=headers, stream=True, timeout=timeout_s) as r:
        if r.status_code == 416:
            partial.unlink(missing_ok=True)
            raise DownloadError("server refused the range (416); starting again")
        if r.status_code == 404:
            raise DownloadError("not found on the server (404)")
        if r.status_code not in (200, 206):
            raise DownloadError(f"server answered HTTP {r.status_code}")
        mode = "ab"
        if r.status_code == 200 or not have:
            mode, have = "wb", 0
        else:
            cr = r.headers.get("Content-Range", "")
            if not cr.startswith(f"bytes {have}-"):
                mode, have = "wb", 0  # not the range we asked for: start over
                r.close()
                partial.unlink(missing_ok=True)
                return False
        with open(partial, mode) as out:
            for chunk in r.iter_content(CHUNK):
                if not chunk:
                    continue
                if have + len(chunk) > expected:
                    out.truncate(0)
                    raise DownloadError(f"server sent more than the {expected} signed bytes")
                out.write(chunk)
                have += len(chunk)
                if progress:
                    progress(have, expected)
            out.flush()
            os.fsync(out.fileno())
    return have == expected
