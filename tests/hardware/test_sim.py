"""Simulators and fault injection: the bytes they write are what the parsers expect (or reject)."""

from __future__ import annotations

import itertools
import os
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.drivers import DRIVERS, cms50d, rdm6300, scale, station
from hardware.events import Measurement
from hardware.sim import Faults, PtyPort, uart_resample
from hardware.sim.faults import apply_faults
from hardware.sim.scenarios import SIM_CARDS, STREAMS


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_uart_same_baud_is_identity(data):
    assert uart_resample(data, 9600, 9600) == data


def test_uart_wrong_baud_garbles():
    frame = station.encode_sentence("GRIP", "R", "32.5")
    for wrong in (4800, 19200, 14400):
        out = uart_resample(frame, wrong, 9600)
        assert out != frame
    # twice as slow a sender: each bit is seen twice, so every byte becomes ~two
    assert len(uart_resample(frame, 4800, 9600)) > len(frame)


def take(driver, n, seed=1):
    steps = STREAMS[driver](random.Random(seed))
    return [f for _, f in itertools.islice(steps, n) if f]


def test_clean_scenarios_parse_without_a_single_rejection():
    for driver, n in (("rdm6300", 400), ("cms50d", 4000), ("scale", 600), ("station", 60)):
        d = DRIVERS[driver]()
        out = []
        t = 0.0
        for f in take(driver, n):
            out += d.feed(f, t)
            t += 0.1
        assert d.parser.rejected == 0, driver
        assert any(isinstance(r, Measurement) for r in out), driver


def test_faulty_scenarios_are_rejected_and_counted_never_misread():
    rng = random.Random(3)
    faults = Faults(garbage=0.1, bad_checksum=0.1, truncated=0.1, baud_noise=0.1)
    for driver, n in (("rdm6300", 400), ("cms50d", 4000), ("scale", 600), ("station", 200)):
        p = DRIVERS[driver].make_parser()
        applied = []
        values = []
        for f in take(driver, n):
            data, fault = apply_faults(driver, f, faults, rng, DRIVERS[driver].default_baudrate)
            applied.append(fault)
            values += [r for r in p.feed(data) if isinstance(r, Measurement)]
        values += [r for r in p.reset() if isinstance(r, Measurement)]
        assert p.rejected >= applied.count("bad_checksum") // 2, driver
        for r in values:  # whatever got through is a value the device really sent
            if driver == "rdm6300":
                assert r.value in SIM_CARDS
            elif r.kind == "heart_rate":
                assert 50 <= r.value <= 140
            elif r.kind == "spo2":
                assert 93 <= r.value <= 100
            elif r.kind == "weight":
                assert -5 <= r.value <= 100


def test_pty_port_unplug_and_plug(tmp_path):
    port = PtyPort(tmp_path / "dev")
    first = port.pts
    assert os.path.realpath(port.path) == first
    port.unplug()
    assert not os.path.lexists(port.path) and not port.present
    assert port.write(b"lost") == 0 and port.dropped == 4
    port.plug()
    assert os.path.realpath(port.path) == port.pts
    assert port.write(rdm6300.encode_frame(SIM_CARDS[0])) == 14
    deadline = time.monotonic() + 2
    while port.pending() != 14 and time.monotonic() < deadline:  # through the flip buffer
        time.sleep(0.002)
    assert port.pending() == 14
    port.close()
    assert not os.path.lexists(port.path)


def test_encoders_round_trip():
    assert scale.parse_frame(scale.encode_line(-1.25, stable=False, net=True).strip()) == (
        "US", "NT", -1.25)
    f = cms50d.OxiFrame(signal=3, spo2_dropping=True, searching=True, pulse_rate=130, spo2=90)
    assert cms50d.decode_frame(cms50d.encode_frame(f)) == f
