"""The device manager through real pseudo-terminals: unplug/replug, two devices, garbage, busy."""

from __future__ import annotations

import random
import threading
import time

import pytest

from hardware import DeviceManager, DeviceSpec, PortInfo, Reading, RejectedFrame
from hardware.drivers import cms50d, rdm6300, scale, station
from hardware.sim import PtyPort


def wait_for(pred, timeout=3.0, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def sensor_threads():
    return [t for t in threading.enumerate() if t.name.startswith("sensor:")]


# driver -> (bytes for reading number i, kind of the reading, value for i)
CASES = {
    "station": (lambda i: station.encode_sentence("GRIP", "R", f"{i}.5"), "grip_right", lambda i: i + 0.5),
    "rdm6300": (lambda i: rdm6300.encode_frame(f"{i:010X}"), "card", lambda i: f"{i:010X}"),
    "scale": (lambda i: scale.encode_line(10.0 + i), "weight", lambda i: 10.0 + i),
    "cms50d": (
        lambda i: cms50d.encode_frame(cms50d.OxiFrame(signal=6, pulse_rate=60 + i, spo2=97)) * 3,
        "heart_rate",
        lambda i: float(60 + i),
    ),
}


class Collector:
    def __init__(self):
        self.events = []

    def __call__(self, ev):
        self.events.append(ev)

    def values(self, kind, device=None):
        return [
            e.value
            for e in list(self.events)
            if isinstance(e, Reading) and e.kind == kind and (device is None or e.device == device)
        ]


def state(mgr, name):
    return next(s for s in mgr.status() if s.name == name).state


@pytest.mark.parametrize("driver", sorted(CASES))
def test_unplug_and_replug_mid_stream(tmp_path, driver):
    encode, kind, value = CASES[driver]
    before = set(sensor_threads())
    port = PtyPort(tmp_path / "dev")
    sink = Collector()
    mgr = DeviceManager([DeviceSpec("dev", driver, port=port.path)], sink)
    mgr.start()
    try:
        assert wait_for(lambda: state(mgr, "dev") == "open")
        for i in range(10):
            port.write(encode(i))
            time.sleep(0.005)
        assert port.drain()
        # what arrived whole before the unplug has been read
        assert wait_for(lambda: sink.values(kind) == [value(i) for i in range(10)])
        port.write(encode(10)[:-3])  # the cable comes out in the middle of a frame
        time.sleep(0.05)
        port.unplug()
        assert wait_for(lambda: state(mgr, "dev") == "unavailable")
        time.sleep(0.3)
        port.plug()
        t0 = time.monotonic()
        assert wait_for(lambda: state(mgr, "dev") == "open", timeout=2.0), "not back within 2 s"
        back_after = time.monotonic() - t0
        for i in range(11, 21):
            port.write(encode(i))
            time.sleep(0.005)
        assert port.drain()
        want = [value(i) for i in range(21) if i != 10]
        assert wait_for(lambda: sink.values(kind) == want), (sink.values(kind), want)
        st = mgr.status()[0]
        assert st.reconnects == 1 and back_after < 2.0
        assert st.errors.get("truncated", 0) >= 1  # the frame cut by the unplug is counted
    finally:
        mgr.stop()
        port.close()
    assert set(sensor_threads()) == before, "reader thread leaked"


def test_reopened_under_a_new_name_by_usb_identity(tmp_path):
    """Replugged, the adapter comes back as ttyUSB1 instead of ttyUSB0: found by VID:PID + serial."""
    port = PtyPort(tmp_path / "ttyUSB0")

    def lister():  # what serial.tools.list_ports reports for a USB adapter
        if not port.present:
            return []
        return [PortInfo(device=port.path, vid=0x1A86, pid=0x7523, serial_number="SIM-1")]

    sink = Collector()
    spec = DeviceSpec("grip", "station", vid_pid="1a86:7523", serial_number="SIM-1")
    other = DeviceSpec("other", "station", vid_pid="1a86:7523", serial_number="NOT-THERE")
    mgr = DeviceManager([spec, other], sink, port_lister=lister)
    mgr.start()
    try:
        assert wait_for(lambda: state(mgr, "grip") == "open")
        assert mgr.status()[0].port == str(tmp_path / "ttyUSB0")
        port.write(station.encode_sentence("GRIP", "L", "20.0"))
        assert wait_for(lambda: sink.values("grip_left") == [20.0])
        port.unplug()
        assert wait_for(lambda: state(mgr, "grip") == "unavailable")
        port.link = tmp_path / "ttyUSB1"
        port.plug()
        t0 = time.monotonic()
        assert wait_for(lambda: state(mgr, "grip") == "open", timeout=2.0)
        assert time.monotonic() - t0 < 2.0
        assert mgr.status()[0].port == str(tmp_path / "ttyUSB1")
        port.write(station.encode_sentence("GRIP", "L", "21.0"))
        assert wait_for(lambda: sink.values("grip_left") == [20.0, 21.0])
        assert state(mgr, "other") == "waiting"
    finally:
        mgr.stop()
        port.close()


def test_two_devices_and_a_port_speaking_garbage(tmp_path):
    oxi, cards, junk = PtyPort(tmp_path / "oxi"), PtyPort(tmp_path / "cards"), PtyPort(tmp_path / "junk")
    sink = Collector()
    mgr = DeviceManager(
        [
            DeviceSpec("oxi", "cms50d", port=oxi.path),
            DeviceSpec("cards", "rdm6300", port=cards.path),
            DeviceSpec("junk", "scale", port=junk.path),
        ],
        sink,
    )
    rng = random.Random(7)
    before = set(sensor_threads())  # another test file's app may run in this worker
    mgr.start()
    try:
        assert wait_for(lambda: all(s.state == "open" for s in mgr.status()))
        frame = cms50d.encode_frame(cms50d.OxiFrame(signal=7, pulse_rate=75, spo2=98))
        for i in range(60):
            oxi.write(frame)
            junk.write(rng.randbytes(40) + b"\n")
            if i % 20 == 0:
                cards.write(rdm6300.encode_frame(["0A00BC614E", "1F00D2A3B4", "3C0012AB9F"][i // 20]))
            time.sleep(0.003)
        assert wait_for(lambda: sink.values("heart_rate", "oxi") == [75.0])
        assert wait_for(lambda: len(sink.values("card", "cards")) == 3)
        assert wait_for(lambda: state(mgr, "junk") == "noisy")
        junk_status = next(s for s in mgr.status() if s.name == "junk")
        assert junk_status.rejected > 0 and junk_status.readings == 0
        assert "wrong driver or baud rate" in junk_status.detail
        rejected = [e for e in sink.events if isinstance(e, RejectedFrame)]
        assert rejected and {e.device for e in rejected} == {"junk"}
        assert [e.rejected for e in rejected] == list(range(1, len(rejected) + 1))
        assert {s.state for s in mgr.status() if s.name != "junk"} == {"open"}
    finally:
        mgr.stop()
        for p in (oxi, cards, junk):
            p.close()
    assert set(sensor_threads()) <= before, "reader thread leaked"


def test_port_in_use_is_reported_not_stolen(tmp_path):
    port = PtyPort(tmp_path / "dev")
    first, second = Collector(), Collector()
    a = DeviceManager([DeviceSpec("a", "station", port=port.path)], first)
    b = DeviceManager([DeviceSpec("b", "station", port=port.path)], second)
    a.start()
    try:
        assert wait_for(lambda: state(a, "a") == "open")
        b.start()
        assert wait_for(lambda: state(b, "b") == "error")
        assert "lock" in b.status()[0].detail
        port.write(station.encode_sentence("BIKE", 60, 90))
        assert wait_for(lambda: first.values("cadence") == [60.0])
        assert second.values("cadence") == []
    finally:
        b.stop()
        a.stop()
        port.close()


def test_missing_port_waits_and_bad_config_is_refused(tmp_path):
    mgr = DeviceManager([DeviceSpec("x", "scale", port=str(tmp_path / "nothing"))], Collector())
    mgr.start()
    try:
        assert wait_for(lambda: state(mgr, "x") == "waiting")
    finally:
        mgr.stop()
    assert state(mgr, "x") == "stopped"
    with pytest.raises(ValueError, match="unknown sensor driver 'nope'"):
        DeviceManager([DeviceSpec("x", "nope", port="/dev/null")], Collector())
    with pytest.raises(ValueError, match="used twice"):
        DeviceManager([DeviceSpec("x", "scale", port="a"), DeviceSpec("x", "scale", port="b")], print)


def test_pyserial_url_loop():
    """Ports can be pyserial URLs; ``loop://`` echoes what is written."""
    sink = Collector()
    mgr = DeviceManager([DeviceSpec("loop", "station", port="loop://")], sink)
    mgr.start()
    try:
        assert wait_for(lambda: state(mgr, "loop") == "open")
    finally:
        mgr.stop()
