"""The real kiosk shell in a real window: navigation, languages, large text, idle, maintainer."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui

TILES = {
    "exercise": ("exercise", "健身", "Exercise"),
    "lessons": ("lessons", "学习", "Lessons"),
    "fitness": ("fitness", "体测", "Fitness test"),
    "records": ("records", "我的", "My records"),
    "community": ("community", "社区", "Community"),
}


def home_screen(ui):
    return ui.app.screen("home")


def topbar(ui):
    return ui.shell.ids.topbar


def test_starts_on_attract_and_a_touch_opens_home(ui):
    assert ui.app.sm.current == "attract"
    ui.screenshot("01_attract_zh")
    ui.tap(ui.screen)
    assert ui.app.sm.current == "home"
    assert ui.app.visit_active
    assert ui.app.resident_label == "访客"
    ui.screenshot("02_home_zh")


@pytest.mark.parametrize("tile_id", list(TILES))
def test_each_tile_opens_its_screen_and_back_returns_home(ui, tile_id):
    ui.tap(ui.screen)
    screen_name, zh, _en = TILES[tile_id]
    tile = home_screen(ui).tiles[tile_id]
    assert tile.title == zh
    ui.tap(tile)
    assert ui.app.sm.current == screen_name
    assert ui.shell.ids.topbar.ids.title.text == zh
    ui.screenshot(f"03_{screen_name}_zh")
    ui.tap(topbar(ui).ids.back)
    assert ui.app.sm.current == "home"


def test_home_button_from_a_feature_screen(ui):
    ui.tap(ui.screen)
    ui.tap(home_screen(ui).tiles["lessons"])
    ui.tap(topbar(ui).ids.home)
    assert ui.app.sm.current == "home"


def test_back_and_home_stay_in_the_same_place_on_every_screen(ui):
    ui.tap(ui.screen)
    positions = set()
    for tile_id in TILES:
        ui.tap(home_screen(ui).tiles[tile_id])
        bar = topbar(ui)
        positions.add((tuple(bar.ids.back.pos), tuple(bar.ids.home.pos),
                       tuple(bar.ids.lang.pos), tuple(bar.ids.large.pos)))
        ui.tap(bar.ids.back)
    assert len(positions) == 1


def test_language_switch_changes_every_label(ui):
    bar = topbar(ui)
    attract = ui.app.screen("attract")
    assert attract.ids.invite.text == "轻触屏幕开始"
    ui.tap(bar.ids.lang)
    assert ui.app.lang == "en"
    assert attract.ids.invite.text == "Touch the screen to start"
    ui.screenshot("01_attract_en")
    ui.tap(ui.screen)
    home = home_screen(ui)
    for tile_id, (_name, _zh, en) in TILES.items():
        assert home.tiles[tile_id].title == en
    assert bar.ids.back.text.endswith("Back")
    assert bar.ids.lang.text == "中文"
    assert ui.app.resident_label == "Guest"
    ui.screenshot("02_home_en")
    for tile_id, (name, _zh, en) in TILES.items():
        ui.tap(home.tiles[tile_id])
        assert bar.ids.title.text == en
        ui.screenshot(f"03_{name}_en")
        ui.tap(bar.ids.back)
    ui.tap(bar.ids.lang)
    assert home.tiles["exercise"].title == "健身"
    assert bar.ids.lang.text == "English"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_large_text_high_contrast_mode(ui, lang):
    ui.app.lang = lang
    ui.tap(ui.screen)
    home = home_screen(ui)
    label = home.ids.greeting
    normal_size = label.font_size
    normal_bg = ui.app.c("bg", ui.app.hc)
    ui.tap(topbar(ui).ids.large)
    assert ui.app.large and ui.app.hc
    assert label.font_size == pytest.approx(normal_size * 1.3)
    assert ui.app.c("bg", ui.app.hc) != normal_bg
    ui.screenshot(f"04_home_large_{lang}")
    ui.tap(home.tiles["records"])
    ui.screenshot(f"04_records_large_{lang}")
    ui.tap(topbar(ui).ids.large)
    assert not ui.app.large
    assert label.font_size == pytest.approx(normal_size)


def test_idle_timeout_clears_the_visit_and_returns_to_attract(ui):
    app = ui.app
    original = app.cfg
    app.cfg = original.model_copy(
        update={"kiosk": original.kiosk.model_copy(update={"idle_timeout_s": 5.0})})
    try:
        ended = []
        app.bind(on_visit_end=lambda _a, reason: ended.append(reason))
        ui.tap(ui.screen)
        ui.tap(topbar(ui).ids.lang)
        ui.tap(topbar(ui).ids.large)
        ui.tap(home_screen(ui).tiles["lessons"])
        assert app.sm.current == "lessons"
        ui.pump(3.0)
        assert app.sm.current == "lessons", "timed out too early"
        ui.wait_for(lambda: app.sm.current == "attract", timeout=5.0, what="idle timeout")
        assert ended == ["idle"]
        assert not app.visit_active and app.resident_id == "" and app.resident_label == ""
        assert app.lang == "zh_CN" and not app.large
    finally:
        app.cfg = original


def _corner(ui):
    return ui.shell.ids.bottom.ids.corner


def test_short_touch_on_the_corner_does_nothing(ui):
    ui.tap(ui.screen)
    ui.tap(_corner(ui), hold=0.3)
    ui.pump(1.5)
    assert ui.app.sm.current == "home"


def test_maintainer_mode_refuses_a_wrong_pin_and_accepts_the_right_one(ui):
    ui.tap(ui.screen)
    ui.tap(_corner(ui), hold=1.8)
    assert ui.app.sm.current == "pin"
    pin = ui.app.screen("pin")
    keys = {b.key: b for b in pin.ids.keypad.children}
    for d in "1111":
        ui.tap(keys[d])
    ui.tap(keys["ok"])
    assert ui.app.sm.current == "pin"
    assert pin.message == "密码错误，请重试。"
    ui.screenshot("05_pin_refused_zh")
    for d in "4321":
        ui.tap(keys[d])
    assert pin.entered == "4321"
    ui.tap(keys["ok"])
    assert ui.app.sm.current == "maintainer"
    status = ui.app.screen("maintainer")
    rows = status.rows()
    by_area: dict[str, list] = {}
    for r in rows:
        by_area.setdefault(r.area, []).append(r)
    # Each part is reported by its running service, not by the page's filler rows.
    assert any("simulated" in r.detail for r in by_area["camera"]), by_area["camera"]
    assert {"oximeter", "card"} <= {r.name for r in by_area["sensors"]}
    assert by_area["store"][0].name.endswith("store") and by_area["store"][0].state == "ok"
    assert by_area["sync"][0].name == ui.app.cfg.sync.server_url
    assert by_area["vision"][0].name == "pose worker"
    assert by_area["voice"][0].state != "not_available_yet"
    # the test kiosk has no provisioned community key: it made one and says so
    assert by_area["residents"][0].state == "warning"
    assert "will not match other kiosks" in by_area["residents"][0].detail
    # Content is reported by its service: what is installed (or that nothing is, and
    # whether a trusted root is there to verify bundles with) and the USB watcher.
    content = by_area["content"]
    assert content and all(r.state != "not_available_yet" for r in content)
    usb = next(r for r in content if r.name == "usb")
    assert "polling" in usb.detail or "udev" in usb.detail
    assert all(r.state != "not_available_yet" for r in rows)
    lines = status.ids.rows.children
    assert len(lines) == len(rows) + 1  # a heading and one line per row
    assert any(line.name == "card" for line in lines)
    ui.screenshot("06_maintainer_zh")
    ui.tap(topbar(ui).ids.lang)
    ui.screenshot("06_maintainer_en")
    ui.tap(ui.app.screen("maintainer").ids.exit)
    assert ui.app.sm.current == "home"


def test_too_many_wrong_pins_lock_the_keypad(ui):
    app = ui.app
    ui.tap(ui.screen)
    app.request_maintainer()
    ui.pump()
    pin = app.screen("pin")
    keys = {b.key: b for b in pin.ids.keypad.children}
    try:
        for _ in range(5):
            for d in "0000":
                ui.tap(keys[d])
            ui.tap(keys["ok"])
        for d in "4321":  # the right PIN, but the keypad is locked
            ui.tap(keys[d])
        ui.tap(keys["ok"])
        assert app.sm.current == "pin"
        assert "一分钟" in pin.message
    finally:
        pin.gate.unlock()


@pytest.mark.parametrize("size", [(800, 1280), (1920, 1080), (1080, 1920)],
                         ids=["portrait-1280x800", "landscape-1920x1080", "portrait-1920x1080"])
def test_other_screen_sizes_and_orientations(ui, size):
    from kivy.core.window import Window

    old = Window.size
    try:
        Window.size = size
        ui.pump(0.5)
        ui.tap(ui.screen)
        home = home_screen(ui)
        for t in (home.tiles[t] for t in TILES):
            assert t.width > 0 and t.right <= Window.width + 1 and t.y >= 0
        ui.screenshot(f"07_home_{size[0]}x{size[1]}_zh")
        ui.tap(home.tiles["exercise"])
        ui.pump(0.3)
        ui.screenshot(f"07_choose_{size[0]}x{size[1]}_zh")
    finally:
        Window.size = old
        ui.pump(0.5)


def _tiles(ui, n):
    """``n`` tile features made from the real ones (ids f1..fn), for layout checks."""
    from dataclasses import replace

    real = [f for f in ui.app.features if f.tile]
    return [replace(real[i % len(real)], id=f"f{i + 1}") for i in range(n)]


def _assert_tiles_fit(ui, home):
    from kivy.core.window import Window

    boxes = []
    for tile in home.tiles.values():
        assert tile.width > 0 and tile.x >= 0 and tile.right <= Window.width + 1
        assert tile.y >= 0 and tile.top <= Window.height + 1
        for label in (tile.ids.symbol, tile.ids.title, tile.ids.subtitle):
            # the text is drawn inside its label (not cut off, not spilling over the next one)
            assert label.texture_size[1] <= label.height + 2, (tile.title, label.text)
            assert label.texture_size[0] <= tile.width, (tile.title, label.text)
        boxes.append((tile.x, tile.y, tile.right, tile.top))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] + 1 or b[2] <= a[0] + 1 or a[3] <= b[1] + 1 or b[3] <= a[1] + 1


@pytest.mark.parametrize("size", [(1280, 800), (800, 1280)], ids=["landscape", "portrait"])
@pytest.mark.parametrize("count", [1, 2, 3, 5, 6, 7, 8])
def test_home_grid_adapts_to_the_number_of_tiles(ui, size, count):
    from kivy.core.window import Window

    from kiosk.shell.tile_grid import grid_shape

    home = home_screen(ui)
    old = Window.size
    try:
        Window.size = size
        ui.tap(ui.screen)
        home.show_tiles(_tiles(ui, count))
        ui.pump(0.4)
        cols, rows = grid_shape(count, home.ids.grid.width, home.ids.grid.height)
        assert (home.ids.grid.cols, home.ids.grid.rows) == (cols, rows)
        _assert_tiles_fit(ui, home)
        orient = "landscape" if size[0] > size[1] else "portrait"
        ui.screenshot(f"08_home_{count}_tiles_{orient}_zh")
        if count in (3, 8):
            ui.tap(topbar(ui).ids.lang)
            ui.tap(topbar(ui).ids.large)
            ui.pump(0.3)
            _assert_tiles_fit(ui, home)
            ui.screenshot(f"08_home_{count}_tiles_{orient}_large_en")
    finally:
        home.show_tiles(ui.app.home_tiles)
        Window.size = old
        ui.pump(0.4)


def test_a_tile_whose_service_is_missing_says_so_and_does_not_open(ui):
    from dataclasses import replace

    app = ui.app
    home = home_screen(ui)
    needs_voice = replace(app.feature("lessons"), id="needs_voice", services=("voice",))
    voice, app.services.voice = app.services.voice, None
    try:
        ui.tap(ui.screen)
        home.show_tiles([needs_voice, *app.home_tiles[:3]])
        ui.pump(0.3)
        tile = home.tiles["needs_voice"]
        assert not tile.ready and tile.subtitle == "本机暂时无法使用"
        assert home.tiles["exercise"].ready
        ui.screenshot("08_home_tile_not_available_zh")
        ui.tap(tile)
        assert app.sm.current == "home"
    finally:
        app.services.voice = voice
        home.show_tiles(app.home_tiles)
        ui.pump(0.2)
