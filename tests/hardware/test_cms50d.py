"""CMS50D+ parser: documented layout, then hypothesis on random and damaged streams."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.drivers.cms50d import (
    CONFIRM,
    REPEAT_FRAMES,
    Cms50dParser,
    OxiFrame,
    decode_frame,
    encode_frame,
)
from tests.hardware.parsing import check_accounting, errors, feed_all, readings


def test_documented_layout():
    # pulse 180 needs bit 7 in byte 3 bit 6; signal 7, beep, bar graph 9, SpO2 97
    f = OxiFrame(signal=7, beep=True, pleth=100, bargraph=9, pulse_rate=180, spo2=97)
    raw = encode_frame(f)
    assert raw == bytes([0x80 | 0x40 | 7, 100, 0x40 | 9, 180 & 0x7F, 97])
    assert decode_frame(raw) == f
    assert decode_frame(bytes([0x87, 1, 2, 3, 0x81]))[0] == "malformed"
    probe = decode_frame(bytes([0x80, 0, 0x10, 0x7F, 0x7F]))
    assert probe.probe_error and probe.pulse_rate == 127


def test_confirmation_and_repeat():
    p = Cms50dParser()
    fr = encode_frame(OxiFrame(signal=6, pulse_rate=72, spo2=98))
    assert readings(p.feed(fr * (CONFIRM - 1))) == []
    got = readings(p.feed(fr))
    assert [(r.kind, r.value) for r in got] == [("finger", "in"), ("heart_rate", 72.0), ("spo2", 98.0)]
    # unchanged value is repeated about once a second, not 60 times
    got = readings(p.feed(fr * (REPEAT_FRAMES * 3)))
    assert [r.kind for r in got].count("heart_rate") == 3
    out = encode_frame(OxiFrame(probe_error=True, pulse_rate=255, spo2=127))
    got = readings(p.feed(out * CONFIRM))
    assert [(r.kind, r.value) for r in got] == [("finger", "out")]


def test_implausible_values_rejected():
    p = Cms50dParser()
    res = feed_all(p, encode_frame(OxiFrame(pulse_rate=10, spo2=60)) * 5)
    assert readings(res) == [] and {e.reason for e in errors(res)} == {"implausible"}
    check_accounting(p, res)


def observed_keys(results):
    """The sequence of states the parser reported: (pulse, spo2) pairs and "out"."""
    keys, rs = [], readings(results)
    for i, r in enumerate(rs):
        if r.kind == "heart_rate":
            assert rs[i + 1].kind == "spo2"
            keys.append((int(r.value), int(rs[i + 1].value)))
        elif r.kind == "finger" and r.value == "out":
            keys.append("out")
    return keys


def dedupe(seq):
    out = []
    for x in seq:
        if not out or out[-1] != x:
            out.append(x)
    return out


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_random_bytes(data, cuts):
    p = Cms50dParser()
    res = feed_all(p, data, cuts)
    check_accounting(p, res)
    # values only ever come from CONFIRM identical well-formed frames in a row
    for key in observed_keys(res):
        if key != "out":
            frame = encode_frame(OxiFrame(pulse_rate=key[0], spo2=key[1]))
            assert frame[3:] in data


KEY = st.one_of(
    st.tuples(st.integers(25, 250), st.integers(50, 100)),
    st.just("out"),
    st.just("searching"),
)


def frame_for(key, pleth, signal):
    if key == "out":
        return encode_frame(OxiFrame(probe_error=True, pleth=pleth))
    if key == "searching":
        return encode_frame(OxiFrame(searching=True, pleth=pleth, signal=signal))
    return encode_frame(OxiFrame(signal=signal, pleth=pleth, pulse_rate=key[0], spo2=key[1]))


SEGMENT = st.one_of(
    st.tuples(st.just("run"), KEY, st.integers(1, 8)),
    st.tuples(st.just("trunc"), KEY, st.integers(1, 4)),
    st.tuples(st.just("syncbreak"), KEY, st.integers(1, 4)),
    st.tuples(st.just("garbage"), st.binary(min_size=1, max_size=30), st.just(0)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(SEGMENT, max_size=25),
    st.integers(0, 127),
    st.lists(st.integers(0, 2000), max_size=10),
)
def test_damaged_and_interleaved_streams(segments, pleth, cuts):
    stream, runs, damaged, keys = b"", [], 0, set()
    for i, (kind, a, b) in enumerate(segments):
        if kind == "garbage":
            stream += a
            continue
        frame = frame_for(a, (pleth + i) % 128, 5)
        keys.add(a)
        if kind == "run":
            stream += frame * b
            runs.append((a, b))
            continue
        nxt = segments[i + 1][0] if i + 1 < len(segments) else "end"
        if kind == "trunc":
            stream += frame[:b]
        else:
            stream += frame[:b] + bytes([frame[b] | 0x80]) + frame[b + 1 :]
        if nxt != "garbage":  # garbage may complete a frame cut short: no checksum to tell
            damaged += 1
    p = Cms50dParser()
    res = feed_all(p, stream, cuts)
    check_accounting(p, res)
    seen = observed_keys(res)
    # never a false reading: every reported state is one that was really sent
    assert set(seen) <= keys
    # every run long enough to confirm is reported, in order
    expected = dedupe([k for k, n in runs if n >= CONFIRM and k != "searching"])
    it = iter(dedupe(seen))
    assert all(any(x == y for y in it) for x in expected)
    assert p.rejected >= damaged
    assert feed_all(Cms50dParser(), stream) == res
