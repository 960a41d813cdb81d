"""The kiosk's SensorsService: UI-thread delivery, pseudonymous card logins, live HR, status rows."""

from __future__ import annotations

import os
import queue
import re
import threading
import time

from hardware.drivers import cms50d, rdm6300
from hardware.sim import PtyPort
from kiosk.config import DataLayout, parse_config
from kiosk.residents.identity import card_pseudonym
from kiosk.services.residents import ResidentsService
from kiosk.services.sensors import SensorsService, needs_simulators


class UiThread:
    """Stands in for Kivy's Clock: ``post`` queues, ``run_for`` executes on this thread."""

    def __init__(self):
        self.q: queue.Queue = queue.Queue()
        self.ident = threading.get_ident()

    def post(self, fn):
        self.q.put(fn)

    def run_until(self, pred, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.q.get(timeout=0.02)()
            except queue.Empty:
                pass
            if pred():
                return True
        return pred()



def threads_named(*prefixes: str) -> list[threading.Thread]:
    """Live threads whose names start with one of ``prefixes``."""
    return [t for t in threading.enumerate() if t.name.startswith(prefixes)]

def config(text):
    return parse_config(text)


def device_cfg(port, driver, name="dev", extra=""):
    return config(
        f'[sensors]\nsimulate = "never"\n{extra}\n[[sensors.devices]]\n'
        f'name = "{name}"\ndriver = "{driver}"\nport = "{port}"\n'
    )


def test_card_tap_gives_one_pseudonymous_login_on_the_ui_thread(tmp_path):
    port = PtyPort(tmp_path / "reader")
    ui = UiThread()
    cfg = device_cfg(port.path, "rdm6300", "cards")
    residents = ResidentsService(cfg, DataLayout(tmp_path))
    residents.start()
    svc = SensorsService(cfg, post=ui.post, layout=DataLayout(tmp_path), residents=residents)
    logins, threads, readings = [], [], []
    svc.on_card = lambda pid: (logins.append(pid), threads.append(threading.get_ident()))
    svc.on_reading = readings.append
    before = set(threads_named("sensor:"))  # another test file's app may run in this worker
    svc.start()
    try:
        assert ui.run_until(lambda: svc.devices()[0].state == "open")
        frame = rdm6300.encode_frame("0A00BC614E")
        for _ in range(20):  # held still for 2 s
            port.write(frame)
            time.sleep(0.1)
        assert ui.run_until(lambda: len(logins) >= 1)
        ui.run_until(lambda: False, timeout=0.3)
        assert len(logins) == 1
        assert re.fullmatch(r"card-[0-9a-f]{32}", logins[0])
        assert threads == [ui.ident]
        # the raw card number reaches neither the callbacks nor the status page
        assert all("BC614E" not in str(r.value) for r in readings)
        rows = svc.status()
        assert "BC614E" not in repr(rows)
        assert rows[0].state == "ok" and rows[0].extra["driver"] == "rdm6300"
        assert rows[0].extra["readings"] == "1"
        # the pseudonym is the card's HMAC under the community key (same on every kiosk)
        assert residents.key is not None
        assert logins[0] == card_pseudonym("0A00BC614E", residents.key)
    finally:
        svc.stop()
        port.close()
    assert set(threads_named("sensor:")) <= before, "reader thread leaked"


def test_without_a_community_key_card_taps_go_nowhere(tmp_path):
    port = PtyPort(tmp_path / "reader")
    ui = UiThread()
    cfg = device_cfg(port.path, "rdm6300", "cards")
    svc = SensorsService(cfg, post=ui.post, layout=DataLayout(tmp_path))  # no residents service
    readings, logins = [], []
    svc.on_reading, svc.on_card = readings.append, logins.append
    svc.start()
    try:
        assert ui.run_until(lambda: svc.status()[0].state == "ok")
        port.write(rdm6300.encode_frame("0A00BC614E"))
        ui.run_until(lambda: svc.status()[0].extra["readings"] == "1")
        ui.run_until(lambda: False, timeout=0.3)
        assert logins == [] and readings == []
        assert "BC614E" not in repr(svc.status()) and "(card)" in repr(svc.status())
    finally:
        svc.stop()
        port.close()


def test_live_heart_rate_and_finger_out(tmp_path):
    port = PtyPort(tmp_path / "oxi")
    ui = UiThread()
    svc = SensorsService(device_cfg(port.path, "cms50d", "oxi"), post=ui.post, layout=DataLayout(tmp_path))
    svc.start()
    try:
        assert ui.run_until(lambda: svc.devices()[0].state == "open")
        assert svc.heart_rate is None
        port.write(cms50d.encode_frame(cms50d.OxiFrame(signal=7, pulse_rate=72, spo2=98)) * 5)
        assert ui.run_until(lambda: svc.heart_rate == 72.0 and svc.spo2 == 98.0)
        port.write(cms50d.encode_frame(cms50d.OxiFrame(probe_error=True)) * 5)
        assert ui.run_until(lambda: svc.heart_rate is None and svc.spo2 is None)
        assert svc.latest("finger").value == "out"
    finally:
        svc.stop()
        port.close()


def test_simulators_when_nothing_is_present(tmp_path):
    missing = tmp_path / "no-such-port"
    cfg = config(
        f'[[sensors.devices]]\nname = "oxi"\ndriver = "cms50d"\nport = "{missing}"\n'
    )
    assert needs_simulators(cfg)
    assert not needs_simulators(config('[sensors]\nsimulate = "never"\n'))
    assert needs_simulators(config('[sensors]\nsimulate = "always"\n'))
    with PtyPort(tmp_path / "here") as port:
        present = config(
            f'[[sensors.devices]]\nname = "oxi"\ndriver = "cms50d"\nport = "{port.path}"\n'
        )
        assert not needs_simulators(present)

    ui = UiThread()
    svc = SensorsService(cfg, post=ui.post, layout=DataLayout(tmp_path), sim_seed=5)
    got = []
    svc.on_reading = got.append
    before = set(threads_named("sensor:", "sim:"))
    svc.start()
    try:
        sims = svc.simulated_paths
        assert sorted(sims) == ["cms50d", "rdm6300", "scale", "station"]
        assert ui.run_until(lambda: {r.device for r in got} >= {"sim-scale", "sim-cms50d"})
        rows = {r.name: r for r in svc.status()}
        assert rows["oxi"].state == "unavailable" and "not present" in rows["oxi"].detail
        for name in ("sim-rdm6300", "sim-cms50d", "sim-scale", "sim-station"):
            assert rows[name].state == "ok" and rows[name].extra["simulated"] == "yes"
    finally:
        svc.stop()
    assert all(not os.path.exists(p) for p in sims.values())
    assert set(threads_named("sensor:", "sim:")) <= before, "device thread leaked"


def test_no_devices_row(tmp_path):
    svc = SensorsService(config('[sensors]\nsimulate = "never"\n'), layout=DataLayout(tmp_path))
    svc.start()
    try:
        rows = svc.status()
        assert len(rows) == 1 and rows[0].state == "unavailable" and rows[0].area == "sensors"
    finally:
        svc.stop()


def test_config_errors_name_the_key_and_line():
    import pytest

    from kiosk.config import ConfigError

    text = (
        "[sensors]\n"
        "card_hold_s = 0.01\n"
        "[[sensors.devices]]\n"
        'name = "a"\n'
        'driver = "rfid"\n'
        'port = "/dev/ttyUSB0"\n'
        "[[sensors.devices]]\n"
        'name = "b"\n'
        'driver = "scale"\n'
    )
    with pytest.raises(ConfigError) as exc:
        parse_config(text)
    msg = str(exc.value)
    assert "sensors.card_hold_s (line 2)" in msg
    assert "sensors.devices.0.driver (line 5)" in msg and "'rdm6300'" in msg
    assert "sensors.devices.1 (line 7)" in msg and "give a port" in msg
    dup = '[[sensors.devices]]\nname = "a"\ndriver = "scale"\nport = "x"\n' * 2
    with pytest.raises(ConfigError, match="device names must be unique: a"):
        parse_config(dup)


def test_status_shows_driver_facts(tmp_path):
    from hardware.drivers import station

    oxi, st = PtyPort(tmp_path / "oxi"), PtyPort(tmp_path / "st")
    cfg = config(
        '[sensors]\nsimulate = "never"\n'
        f'[[sensors.devices]]\nname = "oxi"\ndriver = "cms50d"\nport = "{oxi.path}"\n'
        f'[[sensors.devices]]\nname = "bike"\ndriver = "station"\nport = "{st.path}"\n'
    )
    ui = UiThread()
    svc = SensorsService(cfg, post=ui.post, layout=DataLayout(tmp_path))
    svc.start()
    try:
        assert ui.run_until(lambda: all(d.state == "open" for d in svc.devices()))
        oxi.write(cms50d.encode_frame(cms50d.OxiFrame(signal=6, pulse_rate=70, spo2=97)) * 3)
        st.write(station.encode_sentence("HELLO", 1, "BIKE-9", "0.3"))
        st.write(station.encode_sentence("NEWKIND", "x"))

        def facts():
            return {r.name: r.extra for r in svc.status()}

        assert ui.run_until(lambda: facts()["oxi"].get("signal") == "6/15")
        assert facts()["oxi"]["finger"] == "in"
        assert ui.run_until(lambda: facts()["bike"].get("identity") == "BIKE-9 0.3 (protocol 1)")
        # NEWKIND comes after HELLO on the wire; wait until it has been read, too
        assert ui.run_until(lambda: facts()["bike"].get("ignored") == "1")
        assert facts()["bike"]["rejected"] == "0"
    finally:
        svc.stop()
        oxi.close()
        st.close()
