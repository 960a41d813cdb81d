"""Power-cut safety: a child process saving sessions is SIGKILLed at random moments.

Every kill is a crash at an arbitrary instruction: mid-serialisation, mid-write
of the temporary file, between fsync and rename, during open and recovery.
Afterwards the store must open without a warning (no torn file: writes are
atomic), and every session whose ``save`` had returned must be there, intact.
Children are forked from this process (modules already imported) so that 200+
crashes fit in a few seconds.
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from pathlib import Path

import pytest

from sync.store import Store
from tests.sync.helpers import session_for_uuid

KILLS = 220
MIN_SAVES = 1000
SEGMENT = 24


def _child(store_dir: Path, w: int, seed: int) -> None:
    """Save sessions forever, reporting each one whose save returned."""
    rng = random.Random(seed)
    try:
        s = Store(store_dir, segment_size=SEGMENT, retention_days=None)
        os.write(w, b"R\n")
        while True:
            op = rng.random()
            if op < 0.6:
                uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                s.save(session_for_uuid(uid))
                os.write(w, f"S {uid}\n".encode())
            elif op < 0.8:
                uids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3)]
                s.save_many([session_for_uuid(u) for u in uids])
                os.write(w, ("".join(f"S {u}\n" for u in uids)).encode())
            elif op < 0.9:
                s.mark_synced([r.key for r in s.unsynced(rng.randint(1, 10))])
            else:
                existing = s.unsynced(1)
                if existing:
                    s.save(existing[0])  # idempotent re-save
    except BaseException as exc:  # noqa: BLE001
        os.write(w, f"E {type(exc).__name__}: {exc}\n".encode())
        os._exit(3)


def _read_all(r: int) -> str:
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            return b"".join(chunks).decode()
        chunks.append(b)


def _wait_ready(r: int, saves: int = 0, timeout: float = 20.0) -> bytes:
    """Read until the child has opened the store and reported ``saves`` saves."""
    buf = b""
    deadline = time.monotonic() + timeout
    while (b"R\n" not in buf or buf.count(b"S ") < saves) and b"E " not in buf:
        if time.monotonic() > deadline:
            raise TimeoutError("child did not open the store")
        b = os.read(r, 4096)
        if not b:
            break
        buf += b
    return buf


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_that_was_saved(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    saved: set[str] = set()
    kills = 0
    during_open = 0
    k = -1
    # At least KILLS kills, and on a busy machine more rounds until the saves mean something
    # (each round's children manage fewer saves when the CPU is shared).
    while k + 1 < KILLS or (len(saved) <= MIN_SAVES and k + 1 < 4 * KILLS):
        k += 1
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(r)
            _child(tmp_path, w, seed=k)
            os._exit(0)
        os.close(w)
        head = b""
        if k % 4 == 0:
            # a quarter of the kills land anywhere from the start: open, recovery, first save
            time.sleep(rng.uniform(0, 0.05))
        else:
            # on a busy machine a child may manage few saves: half the time let it save some
            head = _wait_ready(r, saves=rng.randint(1, 12) if k % 2 else 0)
            time.sleep(rng.uniform(0, 0.03))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        out = head.decode() + _read_all(r)
        os.close(r)
        assert "\nE " not in "\n" + out, f"child {k} failed: {out[out.find('E ') :][:300]}"
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            kills += 1
        if "R\n" not in out:
            during_open += 1
        # only complete lines count: a save that returned but whose report was cut is not claimed
        for line in out.split("\n")[:-1]:
            if line.startswith("S "):
                saved.add(line[2:])
        if k % 55 == 54:
            _verify(tmp_path, saved)
    print(
        f"\n{kills} SIGKILLs ({during_open} before the store had opened), "
        f"{len(saved)} returned saves all intact"
    )
    assert kills >= 200
    assert during_open > 0, "no kill landed while the store was opening"
    assert len(saved) > MIN_SAVES, f"too few saves to mean anything: {len(saved)}"
    _verify(tmp_path, saved)
    print(
        f"\n{kills} SIGKILLs ({during_open} before the store had opened), "
        f"{len(saved)} returned saves all intact"
    )


def _verify(store_dir: Path, saved: set[str]) -> None:
    with Store(store_dir, segment_size=SEGMENT, retention_days=None) as s:
        assert s.warnings() == [], [w.message for w in s.warnings()]
        present = set(s.uuids())
        missing = saved - present
        assert not missing, f"{len(missing)} saved sessions lost, e.g. {sorted(missing)[:3]}"
        for uid in saved:
            assert s.get(uid) == session_for_uuid(uid), f"session {uid} not intact"
        assert s.count() == len(present)
    leftovers = list((store_dir / "segments").glob(".*.tmp"))
    assert leftovers == [], "a temporary file survived an open"
