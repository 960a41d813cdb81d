"""The fitness tests in the real app under Xvfb, taken by the simulated person: each test from
the instructions to the stored result (with the practice, each leg, two trials), a test that
stops itself when the person leaves the picture, Stop, the SpO2 refusal, grip strength and
BMI from the simulated station devices. Screenshots in both languages and large text.

The simulated person runs faster than real time (``speed``): the tests are timed on the
frames' own clock, so a 2-minute step test takes 30 s here and sees all two minutes."""

from __future__ import annotations

import re

import pytest

from sync.records import FitnessTestResult

pytestmark = pytest.mark.ui


def number_in(text: str) -> float:
    """The first number in a result line, whichever the language ("30秒站起12次" has two)."""
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    return float(numbers[-1] if "秒站起" in text or "秒弯举" in text or "分钟踏步" in text
                 else numbers[0])


def fitness_results(ui) -> list[FitnessTestResult]:
    recs = ui.app.services.store.store.recent("fitness_test", limit=10_000)
    return [r for r in recs if isinstance(r, FitnessTestResult)]


def open_menu(ui, age: str | None = "70-74", sex: str | None = "female"):
    app = ui.app
    ui.tap(ui.screen)  # attract -> home (a guest)
    ui.tap(app.screen("home").tiles["fitness"])
    assert app.sm.current == "fitness"
    menu = app.screen("fitness")
    chips = {c.value: c for c in menu.ids.ages.children}
    if age:
        ui.tap(chips[age])
    if sex:
        ui.tap({c.value: c for c in menu.ids.sexes.children}[sex])
    return menu


def use_sim(ui, make):
    """The run screen takes the simulated person from ``make(protocol, plan)``."""
    ui.app.screen("fitness_run").make_source = make


def run_trial(ui, timeout: float = 60.0):
    """From the intro (or a result) into the run, until the result screen."""
    app = ui.app
    run = app.screen("fitness_run")
    ui.wait_for(lambda: app.sm.current == "fitness_run", timeout=5, what="the trial")
    ui.wait_for(lambda: run.phase == "active", timeout=40, what="go")
    return run


def wait_result(ui, timeout: float = 60.0):
    app = ui.app
    ui.wait_for(lambda: app.sm.current == "fitness_result", timeout=timeout, what="the result")
    ui.pump(0.3)
    return app.screen("fitness_result")


def wait_saved(ui, run, side=None):
    ui.wait_for(lambda: run.saved.get(side) is True, timeout=10, what="the result saved")


def test_chair_stand_from_instructions_practice_and_trial_to_the_stored_result(ui):
    app = ui.app
    before = {r.uuid for r in fitness_results(ui)}
    use_sim(ui, lambda p, plan: ("simfit:chair_stand?count=2&period=2.4&lead_in=4&speed=3"
                                 if plan.practice else
                                 "simfit:chair_stand?count=12&period=2.4&lead_in=4&speed=3"))
    menu = open_menu(ui)
    ui.screenshot("40_fitness_menu_zh")
    ui.tap(menu.cards["chair_stand_30s"])
    intro = app.screen("fitness_intro")
    assert app.sm.current == "fitness_intro" and intro.practice_next
    ui.pump(0.5)
    ui.screenshot("41_fitness_intro_chair_stand_zh")
    assert "椅子" in intro.ids.safety.text or "chair" in intro.ids.safety.text
    ui.tap(intro.ids.start)  # the practice
    run = run_trial(ui)
    assert run.trial_text  # "Practice"
    result = wait_result(ui)
    assert "练习" in result.ids.lines.children[-1].text or \
        "Practice" in result.ids.lines.children[-1].text
    assert result.has_next and not result.can_retry
    ui.screenshot("42_fitness_practice_done_zh")
    ui.tap(result.ids.next)  # the test itself
    run = run_trial(ui)
    ui.wait_for(lambda: run.count_text not in ("", "0"), timeout=20, what="counting")
    ui.screenshot("43_fitness_run_chair_stand_zh")
    assert ":" in run.clock_text  # the large clock counts down
    result = wait_result(ui, timeout=90)
    visit = app.screen("fitness").visit
    wait_saved(ui, visit.run)
    result.refresh()
    assert number_in(result.value_text) == 12
    lines = " ".join(w.text for w in result.ids.lines.children)
    assert "70–74" in lines and "10" in lines and "15" in lines
    assert result.ids.band.shown
    ui.screenshot("44_fitness_result_chair_stand_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    lines = " ".join(w.text for w in result.ids.lines.children)
    assert "Within the normal range for women aged 70–74 (10 to 15)." in lines
    ui.screenshot("44_fitness_result_chair_stand_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("44_fitness_result_chair_stand_large_en")
    new = [r for r in fitness_results(ui) if r.uuid not in before]
    assert len(new) == 1
    rec = new[0]
    assert (rec.test, rec.value, rec.unit, rec.device) == ("chair_stand_30s", 12, "reps", "camera")
    assert rec.age_group == "70-74" and rec.sex == "female" and rec.resident == "guest"
    ui.tap(result.ids.done)
    assert app.sm.current == "fitness"
    ui.screenshot("40_fitness_menu_large_en")
    ui.tap(app.screen("fitness").cards["chair_stand_30s"])
    ui.pump(0.5)
    ui.screenshot("41_fitness_intro_chair_stand_large_en")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.pump(0.3)
    ui.screenshot("41_fitness_intro_chair_stand_large_zh")
    ui.tap(ui.shell.ids.topbar.ids.large)


def test_arm_curl_without_practice_and_the_step_test_with_heart_rate(ui):
    app = ui.app
    before = {r.uuid for r in fitness_results(ui)}
    use_sim(ui, lambda p, plan: "simfit:arm_curl?count=14&period=2.0&lead_in=4&speed=3"
            if p.id == "arm_curl_30s" else
            "simfit:step_test?count=80&period=1.4&lead_in=4&speed=3&fps=15")
    menu = open_menu(ui, age="65-69", sex="male")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.tap(menu.cards["arm_curl_30s"])
    intro = app.screen("fitness_intro")
    ui.screenshot("45_fitness_intro_arm_curl_en")
    ui.tap(intro.ids.skip)
    assert not intro.practice_next
    ui.tap(intro.ids.start)
    run_trial(ui)
    result = wait_result(ui, timeout=90)
    assert result.value_text == "14 curls in 30 seconds"
    ui.tap(result.ids.done)
    ui.tap(menu.cards["step_test_2min"])
    assert not intro.practice_next  # the step test has no practice
    ui.tap(intro.ids.start)
    run = run_trial(ui)
    ui.wait_for(lambda: run.heart_text != "", timeout=30, what="the heart rate shown")
    ui.screenshot("46_fitness_run_step_test_en")
    result = wait_result(ui, timeout=120)
    assert result.value_text == "40 steps in 2 minutes"  # right-knee lifts only
    ui.screenshot("47_fitness_result_step_test_en")
    new = {r.test: r for r in fitness_results(ui) if r.uuid not in before}
    ui.wait_for(lambda: len({r.test for r in fitness_results(ui) if r.uuid not in before}) == 2,
                timeout=10, what="both saved")
    new = {r.test: r for r in fitness_results(ui) if r.uuid not in before}
    assert new["arm_curl_30s"].value == 14 and new["step_test_2min"].value == 40
    assert new["step_test_2min"].sex == "male" and new["step_test_2min"].age_group == "65-69"


def test_one_leg_stance_on_each_leg(ui):
    app = ui.app
    before = {r.uuid for r in fitness_results(ui)}
    use_sim(ui, lambda p, plan: f"simfit:stance?hold={8 if plan.side == 'right' else 5}"
            f"&side={plan.side}&lead_in=4&speed=2")
    menu = open_menu(ui, age="75-79", sex=None)
    ui.tap(menu.cards["one_leg_stance"])
    intro = app.screen("fitness_intro")
    ui.screenshot("48_fitness_intro_stance_zh")
    ui.tap(intro.ids.start)
    run_trial(ui)
    result = wait_result(ui)
    assert abs(number_in(result.value_text) - 8.1) < 0.5 and "右" in result.value_text
    assert result.has_next
    ui.tap(result.ids.next)  # the left leg
    run_trial(ui)
    result = wait_result(ui)
    assert abs(number_in(result.value_text) - 5.1) < 0.5 and "左" in result.value_text
    assert not result.has_next
    lines = " ".join(w.text for w in result.ids.lines.children)
    assert "性别" in lines or "sex" in lines  # no sex given: no comparison, and it says why
    ui.screenshot("49_fitness_result_stance_no_sex_zh")
    ui.wait_for(lambda: len([r for r in fitness_results(ui) if r.uuid not in before]) == 2,
                timeout=10, what="both legs saved")
    sides = {r.side: r.value for r in fitness_results(ui) if r.uuid not in before}
    assert set(sides) == {"left", "right"}
    assert abs(sides["right"] - 8.1) < 0.5 and abs(sides["left"] - 5.1) < 0.5


def test_up_and_go_practice_and_two_trials_the_faster_counts(ui):
    app = ui.app
    before = {r.uuid for r in fitness_results(ui)}
    speeds = {"practice": 0.8, 1: 0.6, 2: 1.0}  # the second trial is the faster one
    use_sim(ui, lambda p, plan: "simfit:tug?lead_in=4&speed=2&walk_speed="
            f"{speeds['practice' if plan.practice else plan.number]}")
    menu = open_menu(ui, age="80-84", sex="male")
    ui.tap(menu.cards["up_and_go_8ft"])
    intro = app.screen("fitness_intro")
    ui.tap(intro.ids.start)
    run = run_trial(ui)
    ui.wait_for(lambda: run.caption not in ("", "坐着"), timeout=30, what="walking")
    ui.screenshot("50_fitness_run_up_and_go_zh")
    result = wait_result(ui)  # practice
    ui.tap(result.ids.next)
    run_trial(ui)
    first = wait_result(ui)
    assert first.has_next
    slow = number_in(first.value_text)
    ui.tap(first.ids.next)
    run_trial(ui)
    result = wait_result(ui)
    fast = number_in(result.value_text)
    assert fast < slow - 1.0
    ui.screenshot("51_fitness_result_up_and_go_zh")
    ui.wait_for(lambda: any(r.uuid not in before and r.value == fast
                            for r in fitness_results(ui)), timeout=10, what="best saved")
    mine = [r for r in fitness_results(ui) if r.uuid not in before]
    assert len(mine) == 1 and mine[0].test == "up_and_go_8ft" and mine[0].value == fast


def test_a_test_stops_itself_when_the_person_leaves_and_stop_saves_nothing(ui):
    app = ui.app
    before = {r.uuid for r in fitness_results(ui)}
    use_sim(ui, lambda p, plan: "simfit:arm_curl?count=14&period=2.0&lead_in=4&speed=2"
            "&leave_at=9")
    menu = open_menu(ui)
    ui.tap(menu.cards["arm_curl_30s"])
    intro = app.screen("fitness_intro")
    ui.tap(intro.ids.skip)
    ui.tap(intro.ids.start)
    run_trial(ui)
    result = wait_result(ui, timeout=90)
    assert result.can_retry and not result.has_next and result.value_text == ""
    assert "离开" in result.stop_text  # "you left the camera's view ... nothing was saved"
    ui.screenshot("52_fitness_stopped_left_the_view_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    assert "left the camera's view" in result.stop_text
    ui.screenshot("52_fitness_stopped_left_the_view_en")
    # Stop is always there: pressing it ends the trial and stores nothing
    use_sim(ui, lambda p, plan: "simfit:arm_curl?count=14&period=2.0&lead_in=4&speed=2")
    ui.tap(result.ids.retry)
    run = run_trial(ui)
    ui.pump(1.0)
    ui.tap(run.ids.stop)
    result = wait_result(ui, timeout=5)
    assert "stopped the test" in result.stop_text
    ui.pump(0.5)
    assert [r for r in fitness_results(ui) if r.uuid not in before] == []


def test_step_test_refused_when_blood_oxygen_is_low(ui):
    app = ui.app
    original = app.cfg
    sensors = app.services.sensors
    ui.wait_for(lambda: sensors.spo2 is not None, timeout=30, what="an SpO2 reading")
    app.cfg = original.model_copy(update={"fitness": original.fitness.model_copy(
        update={"min_spo2": 100})})
    try:
        menu = open_menu(ui)
        ui.tap(menu.cards["step_test_2min"])
        intro = app.screen("fitness_intro")
        ui.wait_for(lambda: sensors.spo2 is not None, timeout=30, what="an SpO2 reading")
        intro._check_spo2()
        assert not intro.can_start and "%" in intro.refusal
        ui.pump(0.3)
        ui.screenshot("53_fitness_step_test_refused_low_spo2_zh")
        assert intro.ids.start.disabled
    finally:
        app.cfg = original


def test_grip_strength_and_bmi_from_the_station_devices(ui):
    app = ui.app
    before = {r.uuid for r in fitness_results(ui)}
    menu = open_menu(ui, age="70-74", sex="female")
    ui.wait_for(lambda: menu.available(__import__("vision.fitness_tests", fromlist=["x"])
                                       .PROTOCOLS["grip_strength"]) == "",
                timeout=10, what="the station device")
    menu._labels()
    ui.tap(menu.cards["grip_strength"])
    sensor = app.screen("fitness_sensor")
    assert app.sm.current == "fitness_sensor" and sensor.step == "grip"
    ui.screenshot("54_fitness_grip_zh")
    # the simulated dynamometer squeezes with each hand once per round of the station's
    # scenario (grip, bike, blood pressure: about 30 s); played five times faster here
    station = ui.sims["station"]
    station.speed = 5.0
    try:
        ui.wait_for(lambda: sensor.step == "done", timeout=90, what="four squeezes")
    finally:
        station.speed = 1.0
    ui.pump(0.3)
    ui.screenshot("55_fitness_grip_done_zh")
    assert "公斤" in sensor.results_text or "kg" in sensor.results_text
    ui.tap(sensor.ids.done)
    ui.tap(menu.cards["bmi"])
    assert sensor.step == "weight"
    ui.wait_for(lambda: sensor.step == "height", timeout=60, what="a stable weight")
    ui.screenshot("56_fitness_bmi_height_zh")
    keys = {b.key: b for b in sensor.ids.keypad.children}
    for d in "162":
        ui.tap(keys[d])
    ui.tap(keys["ok"])
    assert sensor.step == "done" and "BMI" in sensor.results_text
    ui.screenshot("57_fitness_bmi_done_zh")
    ui.wait_for(lambda: {"grip_strength", "bmi", "body_weight", "body_height"} <= {
        r.test for r in fitness_results(ui) if r.uuid not in before}, timeout=10,
        what="grip and BMI saved")
    mine = [r for r in fitness_results(ui) if r.uuid not in before]
    grips = {r.side for r in mine if r.test == "grip_strength"}
    assert grips == {"left", "right"}
    bmi = next(r for r in mine if r.test == "bmi")
    weight = next(r for r in mine if r.test == "body_weight")
    assert bmi.value == pytest.approx(weight.value / 1.62 ** 2, abs=0.1)
