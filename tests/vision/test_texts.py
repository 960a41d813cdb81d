"""Vision returns keys; every msgid it returns is in both kiosk catalogues, every text key in the data."""

from __future__ import annotations

from kiosk import i18n
from vision.engine import FRAMING_MSGIDS, GOOD_TIP_MSGID, Cue, Engine
from vision.sim import SimulatedPerson


def test_framing_and_generic_msgids_are_in_both_catalogues():
    wanted = set(FRAMING_MSGIDS.values()) | {GOOD_TIP_MSGID}
    for lang in i18n.LANGUAGES:
        entries = i18n.parse_po(i18n.po_path(lang).read_text(encoding="utf-8"))
        assert not wanted - set(entries), (lang, sorted(wanted - set(entries)))
    assert i18n.tr(FRAMING_MSGIDS["one_person"], "zh_CN") == "请只留一个人在画面中"
    assert i18n.tr(FRAMING_MSGIDS["one_person"], "en") == "Only one person, please"


def test_every_cue_and_tip_the_engine_can_give_has_its_text_in_the_exercise_file(specs):
    for spec in specs.values():
        for rule in spec.form:
            assert spec.has_text(rule.cue_key), (spec.name, rule.key)
        for key in (k for k in spec.texts if k.startswith("tip.")):
            flag = key[4:]
            assert flag == "good" or any(r.key == flag for r in spec.form), (spec.name, key)


def test_engine_cues_are_keys_and_the_kiosk_renders_them(specs):
    spec = specs["squat"]
    sp = SimulatedPerson("squat", reps=3, period_s=2.0, depth=0.62, noise=0.002, seed=15,
                         realtime=False, render=False)
    eng = Engine(spec, aspect=640 / 480)
    cues: list[Cue] = []
    framings: list[Cue] = []
    for f in sp:
        u = eng.process(f.t, f.landmarks, 128.0, world=f.world)
        if u.cue is not None:
            cues.append(u.cue)
        if u.framing is not None:
            framings.append(u.framing)
    assert cues and cues[0] == Cue("squat_depth", text_key="cue.squat_depth")
    assert framings and all(c.msgid and c.text_key is None for c in framings)
    assert i18n.cue_text(cues[0], spec, "zh_CN") == "再蹲低一点"
    assert i18n.cue_text(framings[0], spec, "en") == FRAMING_MSGIDS[framings[0].key]
    tips = eng.finish().tips
    assert [t.key for t in tips] == ["tip.squat_depth"]
    assert "低" in i18n.cue_text(tips[0], spec, "zh_CN")
