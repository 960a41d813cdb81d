"""A feature is one folder: dropped into a copy of the package, it gets a home tile and a screen.

The copy is run as a real kiosk in its own process (Kivy allows one window per
process), under Xvfb when there is no display, and nothing outside the new
folder is changed. Broken folders and unknown names in ``[home] features``
stop the kiosk at start with a message naming the folder or the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import OUTPUT

REPO = Path(__file__).resolve().parents[2]

FEATURE = '''"""A throwaway feature made by a test."""

from kiosk.features.registry import Feature, ScreenDecl

FEATURE = Feature(
    id="garden",
    title="Community garden",
    subtitle="Who waters the plants this week",
    icon="★",
    colour=(0.2, 0.5, 0.2, 1),
    order=15,
    screens=(ScreenDecl("garden", ".screen:GardenScreen", "Community garden",
                        kv=("garden.kv",)),),
)
'''

SCREEN = '''from kivy.uix.screenmanager import Screen


class GardenScreen(Screen):
    pass
'''

KV = '''<GardenScreen>:
    Label:
        id: hello
        text: 'Water the tomatoes'
        color: app.c('text', app.hc)
        font_size: app.fs(5, app.u, app.large)
'''

# Runs inside the copy: start the real kiosk, tap into home, open the new tile.
DRIVER = r'''
import json, os, sys, time
from pathlib import Path
from kiosk.config import parse_config
from kiosk.startup.launch import start_kiosk
import kiosk

cfg = parse_config(sys.argv[1], "test")
app = start_kiosk(cfg, windowed=True)
from kivy.base import EventLoop, runTouchApp
from kivy.core.window import Window
app._run_prepare()
runTouchApp(embedded=True)

def pump(s):
    end = time.monotonic() + s
    while time.monotonic() < end:
        EventLoop.idle()

pump(0.5)
app.start_visit("")
pump(0.5)
home = app.screen("home")
tiles = list(home.tiles)
built_before = app.sm.has_screen("garden")
tile = home.tiles.get("garden")
out = {"kiosk": kiosk.__file__, "tiles": tiles, "built_before_visit": built_before}
if tile is not None:
    out["tile_title"] = tile.title
    name = Window.screenshot(name=sys.argv[2])
    Path(name).replace(sys.argv[2])
    tile.dispatch("on_release")
    pump(0.5)
    out["screen"] = app.sm.current
    out["title"] = app.screen_title
    out["label"] = app.screen("garden").ids.hello.text
    name = Window.screenshot(name=sys.argv[3])
    Path(name).replace(sys.argv[3])
app.stop()
print("RESULT " + json.dumps(out), flush=True)
'''

CONFIG = """
[kiosk]
window_size = [1280, 800]
[sensors]
simulate = "never"
[sync]
enabled = false
[camera]
source = "sim"
"""


def _copy_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO / "kiosk", src / "kiosk",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return src


def _digests(root: Path, skip: Path | None = None) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and (skip is None or skip not in p.parents):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _run(src: Path, tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(src), KIOSK_DATA_DIR=str(tmp_path / "data"),
               KIOSK_CACHE_DIR=str(OUTPUT / "cache"), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-c", DRIVER, config, *args], cwd=src, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.ui
def test_a_new_feature_folder_gets_a_home_tile_and_its_screen(tmp_path):
    src = _copy_package(tmp_path)
    folder = src / "kiosk" / "features" / "garden"
    folder.mkdir()
    (folder / "__init__.py").write_text(FEATURE)
    (folder / "screen.py").write_text(SCREEN)
    (folder / "garden.kv").write_text(KV)
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    home_png, garden_png = shots / "09_new_feature_home.png", shots / "09_new_feature_screen.png"
    result = _run(src, tmp_path, CONFIG, str(home_png), str(garden_png))
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, result.stdout[-2000:] + result.stderr[-3000:]
    out = json.loads(line[len("RESULT "):])
    assert Path(out["kiosk"]).resolve().is_relative_to(src.resolve()), out["kiosk"]
    # The new tile sits where its declared order puts it: after Exercise (10), before Lessons (20).
    assert out["tiles"] == ["exercise", "garden", "lessons", "fitness", "records", "community"]
    assert out["tile_title"] == "Community garden"
    assert out["built_before_visit"] is False  # built on the first visit, not at start
    assert out["screen"] == "garden" and out["title"] == "Community garden"
    assert out["label"] == "Water the tomatoes"
    # Nothing outside the new folder was touched.
    assert _digests(src / "kiosk", skip=folder) == _digests(REPO / "kiosk")


def test_home_features_in_the_config_choose_and_order_the_tiles(tmp_path):
    from kiosk.config import ConfigError, parse_config
    from kiosk.features.registry import discover, home_features

    features = discover()
    cfg = parse_config('[home]\nfeatures = ["records", "exercise"]\n')
    assert [f.id for f in home_features(features, cfg.home.features)] == ["records", "exercise"]
    assert [f.id for f in home_features(features, None)] == ["exercise", "lessons", "fitness",
                                                             "records", "community"]
    for bad, message in [('["exercise", "garden"]', "unknown feature 'garden'"),
                         ('["maintainer"]', "'maintainer' has no home tile"),
                         ('["records", "records"]', "listed twice: records"),
                         ("[]", "give 1 to 8 features")]:
        with pytest.raises(ConfigError) as info:
            parse_config(f"[kiosk]\nid = 'k'\n[home]\nfeatures = {bad}\n", "k.toml")
        (problem,) = info.value.problems
        assert problem.key == "home.features" and problem.line == 4
        assert message in problem.message and "features with a tile: exercise" in problem.message


def test_a_broken_feature_folder_stops_the_kiosk_with_its_name(tmp_path):
    src = _copy_package(tmp_path)
    folder = src / "kiosk" / "features" / "broken"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""No declaration here."""\n')
    env = dict(os.environ, PYTHONPATH=str(src), KIOSK_DATA_DIR=str(tmp_path / "data"),
               KIOSK_CACHE_DIR=str(OUTPUT / "cache"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("DISPLAY", None)
    cfg = tmp_path / "k.toml"
    cfg.write_text(CONFIG)
    result = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(cfg)],
                            cwd=src, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "feature folder 'broken'" in result.stderr and "FEATURE = Feature(" in result.stderr
    assert "Traceback" not in result.stderr


def test_feature_declarations_are_checked():
    import importlib

    from kiosk.features.registry import Feature, FeatureError, ScreenDecl, _check

    ok = importlib.import_module("kiosk.features.records").FEATURE
    folder = Path(importlib.import_module("kiosk.features.records").__file__).parent
    assert _check(ok, "records", folder) is ok
    bad = Feature(id="Records", title="x", subtitle="", icon="", colour=(2, 0, 0),
                  order=1, screens=(ScreenDecl("home", "nowhere", "x", kv=("none.kv",)),),
                  services=("camera",))
    with pytest.raises(FeatureError) as info:
        _check(bad, "records", folder)
    text = str(info.value)
    for part in ("must equal the folder name", "lower-case", "title and an icon", "colour",
                 "unknown service 'camera'", "belongs to the shell", "not 'module:Class'",
                 "kv file 'none.kv' not found"):
        assert part in text, part
