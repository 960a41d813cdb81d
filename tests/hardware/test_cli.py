"""The real ``kiosk sensors`` and ``kiosk sim-sensors`` commands, run in subprocesses."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hardware import DeviceManager, DeviceSpec
from hardware.drivers import rdm6300, scale, station
from hardware.sim import PtyPort

ROOT = Path(__file__).resolve().parents[2]
KIOSK = ROOT / ".venv" / "bin" / "kiosk"
if not KIOSK.exists():  # pragma: no cover - another layout
    KIOSK = Path(sys.executable).with_name("kiosk")


def run_kiosk(*args, env=None, **kw):
    return subprocess.Popen(
        [str(KIOSK), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


def clean_env(tmp_path):
    env = dict(os.environ)
    env.pop("KIOSK_CONFIG", None)
    env["KIOSK_DATA_DIR"] = str(tmp_path / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")  # no user config leaks in
    return env


class Lines:
    """Read a process's stdout and stderr on threads, so a test can wait with a timeout."""

    def __init__(self, proc):
        self.q: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        for target, stream in ((self.q.put, proc.stdout), (self.err.append, proc.stderr)):
            threading.Thread(target=self._pump, args=(stream, target), daemon=True).start()

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line)

    def next_json(self, timeout=10.0):
        return json.loads(self.q.get(timeout=timeout))

    def wait_err(self, text, timeout=15.0):
        """Wait for ``text`` on stderr (e.g. the port being open: bytes sent before are flushed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.err)):
                return True
            time.sleep(0.02)
        return False

    def stderr(self):
        time.sleep(0.1)
        return "".join(self.err)


@pytest.mark.parametrize(
    "driver,frames,expect",
    [
        (
            "station",
            [station.encode_sentence("GRIP", "R", "32.5"), b"$GRIP,R,32.5*45\r\n",
             station.encode_sentence("BIKE", 60, 90)],
            [
                {"kind": "grip_right", "value": 32.5, "unit": "kg"},
                {"error": "checksum", "rejected": 1},
                {"kind": "cadence", "value": 60.0, "unit": "rpm"},
                {"kind": "power", "value": 90.0, "unit": "W"},
            ],
        ),
        (
            "rdm6300",
            [rdm6300.encode_frame("0A00BC614E") * 5, rdm6300.encode_frame("0A00BC614E")[:-2] + b"ZZ"],
            [{"kind": "card", "value": "0A00BC614E", "unit": ""},
             {"error": "malformed", "rejected": 1}],
        ),
        (
            "scale",
            [scale.encode_line(71.0, stable=False), scale.encode_line(72.5) * 3, b"ST,GS,+ 7?.50kg\r\n"],
            [{"kind": "weight", "value": 72.5, "unit": "kg"}, {"error": "malformed", "rejected": 1}],
        ),
    ],
)
def test_watch_json(tmp_path, driver, frames, expect):
    port = PtyPort(tmp_path / "dev")
    proc = run_kiosk("sensors", "watch", "--port", port.path, "--driver", driver, "--json",
                     env=clean_env(tmp_path))
    lines = Lines(proc)
    try:
        assert lines.wait_err(f"{driver}: open")
        for f in frames:
            port.write(f)
            time.sleep(0.05)
        got = [lines.next_json() for _ in expect]
        for want, obj in zip(expect, got, strict=True):
            assert {k: obj[k] for k in want} == want
            assert obj["device"] == driver and obj["time"].endswith("+00:00")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert lines.wait_err("rejected (")
    finally:
        if proc.poll() is None:
            proc.kill()
        port.close()


def test_watch_argument_errors(tmp_path):
    env = clean_env(tmp_path)
    p = subprocess.run([str(KIOSK), "sensors", "watch", "--port", "/dev/null"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert p.returncode == 2 and "--port needs --driver" in p.stderr
    p = subprocess.run([str(KIOSK), "sensors", "watch", "--port", "/dev/null", "--driver", "nope"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert p.returncode == 2 and "unknown driver 'nope'" in p.stderr and "cms50d" in p.stderr
    p = subprocess.run([str(KIOSK), "sensors", "watch"], capture_output=True, text=True,
                       env=env, timeout=30)
    assert p.returncode == 2 and "no sensors in the config" in p.stderr
    assert "Traceback" not in p.stderr


def test_garbage_port_is_reported(tmp_path):
    port = PtyPort(tmp_path / "dev")
    proc = run_kiosk("sensors", "watch", "--port", port.path, "--driver", "cms50d", "--json",
                     env=clean_env(tmp_path))
    lines = Lines(proc)
    try:
        assert lines.wait_err("cms50d: open")
        port.write(os.urandom(600))
        obj = lines.next_json()
        assert obj["error"] in ("noise", "truncated", "implausible") and obj["rejected"] == 1
        assert lines.wait_err("noisy")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        port.close()


def test_sim_sensors_then_watch_with_its_config(tmp_path):
    cfg, js = tmp_path / "sim.toml", tmp_path / "sim.json"
    env = clean_env(tmp_path)
    sim = run_kiosk("sim-sensors", "--dir", str(tmp_path / "ports"), "--seed", "3",
                    "--duration", "20", "--write-config", str(cfg), "--write-json", str(js),
                    env=env)
    try:
        first = sim.stdout.readline()
        assert "Simulated serial devices" in first
        desc = json.loads(js.read_text())
        assert sorted(d["driver"] for d in desc["devices"]) == ["cms50d", "rdm6300", "scale", "station"]
        for d in desc["devices"]:
            assert Path(d["port"]).is_symlink() and os.path.realpath(d["port"]).startswith("/dev/pts/")
        watch = subprocess.run(
            [str(KIOSK), "sensors", "watch", "--config", str(cfg), "--json", "--count", "3",
             "--duration", "15"],
            capture_output=True, text=True, env=env, timeout=30,
        )
        assert watch.returncode == 0, watch.stderr
        objs = [json.loads(x) for x in watch.stdout.splitlines()]
        assert len([o for o in objs if "kind" in o]) >= 3
        assert {o["device"] for o in objs} <= {d["name"] for d in desc["devices"]}
        listed = subprocess.run([str(KIOSK), "sensors", "list", "--config", str(cfg), "--json",
                                 "--probe"], capture_output=True, text=True, env=env, timeout=30)
        assert listed.returncode == 0, listed.stderr
        info = json.loads(listed.stdout)
        assert {d["state"] for d in info["devices"]} == {"free"}
        assert info["simulators_would_run"] is False
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(10) == 0
    assert not any((tmp_path / "ports").iterdir())  # links removed on exit


def test_list_reports_busy_and_missing(tmp_path):
    port = PtyPort(tmp_path / "dev")
    cfg = tmp_path / "k.toml"
    cfg.write_text(
        "[[sensors.devices]]\nname = \"grip\"\ndriver = \"station\"\n"
        f"port = \"{port.path}\"\n\n"
        "[[sensors.devices]]\nname = \"gone\"\ndriver = \"scale\"\n"
        f"port = \"{tmp_path / 'nothing'}\"\n"
    )
    mgr = DeviceManager([DeviceSpec("holder", "station", port=port.path)], lambda ev: None)
    mgr.start()
    try:
        time.sleep(0.3)
        p = subprocess.run([str(KIOSK), "sensors", "list", "--config", str(cfg), "--probe"],
                           capture_output=True, text=True, env=clean_env(tmp_path), timeout=30)
        assert p.returncode == 0, p.stderr
        assert "busy (another program has it open)" in p.stdout
        assert "missing" in p.stdout and "grip" in p.stdout
    finally:
        mgr.stop()
        port.close()


def test_sim_sensors_rejects_bad_options(tmp_path):
    p = subprocess.run([str(KIOSK), "sim-sensors", "--garbage", "2"], capture_output=True,
                       text=True, env=clean_env(tmp_path), timeout=30)
    assert p.returncode == 2 and "between 0 and 1" in p.stderr
    p = subprocess.run([str(KIOSK), "sim-sensors", "--drivers", "scale,nope"], capture_output=True,
                       text=True, env=clean_env(tmp_path), timeout=30)
    assert p.returncode == 2 and "nope" in p.stderr
