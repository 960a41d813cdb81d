"""Shared test helpers: record factories, a real server in a thread or a child process."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from sync.records import (
    ExerciseSession,
    Feedback,
    FitnessTestResult,
    LessonProgress,
    PracticeResult,
    QuizAnswer,
    Target,
)

REPO = Path(__file__).resolve().parents[2]


def self_signed_cert(cert: Path, key: Path) -> None:
    """Write a self-signed certificate for 127.0.0.1 (two days) and its key, with openssl."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session(i: int = 0, kiosk: str = "k1", **over: object) -> ExerciseSession:
    """A realistic, deterministic-content exercise session (uuid from ``over`` or random)."""
    end = datetime(2026, 11, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=i)
    reps = i % 15
    fields: dict[str, object] = dict(
        kiosk_id=kiosk,
        resident=f"r-{i % 97:04x}" if i % 3 else "guest",
        exercise=["squat", "sit_to_stand", "arm_raise", "march"][i % 4],
        target={"value": 10, "unit": "reps"},
        unit="reps",
        repetitions=reps,
        good_repetitions=reps // 2,
        rep_flags=[["shallow"] if j % 2 else [] for j in range(reps)],
        duration_s=30.0 + i % 60,
        heart_rate={"avg_bpm": 90.0, "max_bpm": 120.0} if i % 2 else None,
        started_at=end - timedelta(seconds=30 + i % 60),
        ended_at=end,
        utc_offset_min=480,
        completed=bool(i % 5),
    )
    fields.update(over)
    fields.setdefault("value", fields["repetitions"])
    return ExerciseSession(**fields)  # type: ignore[arg-type]


def one_of_each(kiosk: str = "k1") -> list:
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    return [
        session(1, kiosk),
        LessonProgress(
            kiosk_id=kiosk,
            lesson_id="falls-1",
            progress=0.5,
            position_s=120,
            updated_at=now,
            utc_offset_min=480,
            step=4,
            steps=9,
            answers=[
                QuizAnswer(step=3, question=0, choice=1, right=True),
                QuizAnswer(step=3, question=1, choice=0, right=False),
            ],
            score=1,
            questions=3,
            practice=[
                PracticeResult(
                    step=7,
                    exercise="squat",
                    value=5,
                    unit="reps",
                    target=Target(value=5, unit="reps"),
                    completed=True,
                    session=uuid.UUID(int=0x1E55_0000_0000_4000_8000_000000000001),
                )
            ],
            bundle_id="sample-lessons",
            bundle_version=2,
        ),
        FitnessTestResult(
            kiosk_id=kiosk,
            test="grip_strength",
            value=31.5,
            unit="kg",
            measured_at=now,
            utc_offset_min=480,
            device="station",
        ),
        Feedback(
            kiosk_id=kiosk,
            rating=5,
            topic="coach",
            text="很好 good",
            created_at=now,
            utc_offset_min=480,
        ),
    ]


def session_for_uuid(uid: str, kiosk: str = "k1") -> ExerciseSession:
    """Content derived from the uuid, so a checker can recompute what was saved."""
    return session(int(uid[:6], 16) % 10_000, kiosk, uuid=uuid.UUID(uid))


def wait_healthy(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} not healthy in {timeout} s")


@dataclass
class ThreadServer:
    url: str
    port: int
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True  # type: ignore[attr-defined]
        self.thread.join(10)


def start_thread_server(app: object, port: int | None = None) -> ThreadServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread of this process."""
    import uvicorn

    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url)
    return ThreadServer(url, port, server, t)


class ProcessServer:
    """``kiosk-server run`` in a child process: a real restart is a real restart."""

    def __init__(self, db_url: str, port: int | None = None, log: Path | None = None):
        self.db_url = db_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync.server.cli",
                "run",
                "--db",
                self.db_url,
                "--port",
                str(self.port),
                "--log-level",
                "WARNING",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
        )
        wait_healthy(self.url, proc=self.proc)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def process_server(db_url: str, log: Path | None = None) -> Iterator[ProcessServer]:
    s = ProcessServer(db_url, log=log)
    s.start()
    try:
        yield s
    finally:
        s.stop()


def v2_session_dict(i: int, kiosk: str = "k1", hold: bool = False) -> dict[str, object]:
    """An exercise session exactly as the version-2 software stored and sent it.

    Version 2 had no activity, value or unit; the target was ``{kind, value}``
    and a hold's seconds were stored in ``repetitions``.
    """
    end = datetime(2026, 10, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=i)
    reps = 25 if hold else i % 12
    return {
        "schema_version": 2,
        "uuid": str(uuid.UUID(int=0x5EED_0000_0000_4000_8000_000000000000 + i)),
        "kiosk_id": kiosk,
        "resident": f"r-{i:04x}" if i % 2 else "guest",
        "kind": "exercise_session",
        "exercise": "single_leg_stand" if hold else "squat",
        "target": {"kind": "seconds", "value": 30} if hold else {"kind": "repetitions", "value": 10},
        "repetitions": reps,
        "good_repetitions": 0 if hold else reps // 2,
        "rep_flags": [] if hold else [["shallow"] if j % 2 else [] for j in range(reps)],
        "duration_s": 31.5 if hold else 40.0,
        "heart_rate": {"avg_bpm": 92.0, "max_bpm": 118.0} if i % 3 == 0 else None,
        "started_at": (end - timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ended_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "utc_offset_min": 480,
        "completed": True,
    }


def v3_session_dict(i: int, kiosk: str = "k1") -> dict[str, object]:
    """An exercise session exactly as the version-3 software stored and sent it."""
    end = datetime(2026, 11, 5, 8, 0, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "schema_version": 3,
        "uuid": str(uuid.UUID(int=0x5EED_0003_0000_4000_8000_000000000000 + i)),
        "kiosk_id": kiosk,
        "resident": f"r-{i:04x}",
        "kind": "exercise_session",
        "exercise": "squat",
        "activity": "reps",
        "target": {"value": 5.0, "unit": "reps"},
        "value": 5.0,
        "unit": "reps",
        "repetitions": 5,
        "good_repetitions": 4,
        "rep_flags": [[], [], ["shallow"], [], []],
        "duration_s": 21.5,
        "heart_rate": None,
        "started_at": (end - timedelta(seconds=22)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ended_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "utc_offset_min": 480,
        "completed": True,
    }


def v3_lesson_progress_dict(i: int, kiosk: str = "k1") -> dict[str, object]:
    """Lesson progress exactly as the version-3 software stored and sent it (no resume
    step, answers or practice: those came with version 4)."""
    at = datetime(2026, 11, 5, 9, 0, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "schema_version": 3,
        "uuid": str(uuid.UUID(int=0x1E55_0003_0000_4000_8000_000000000000 + i)),
        "kiosk_id": kiosk,
        "resident": f"r-{i:04x}",
        "kind": "lesson_progress",
        "lesson_id": "fall_prevention_home",
        "progress": 0.5 if i % 2 else 1.0,
        "position_s": 0.0,
        "completed": not i % 2,
        "updated_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "utc_offset_min": 480,
    }
