"""Start the real kiosk once per test session in a real window (Xvfb when headless)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import OUTPUT

SHOTS = OUTPUT / "screenshots"
FAILURES = OUTPUT / "failures"

TEST_CONFIG = """
[kiosk]
id = "kiosk-test"
language = "zh_CN"
idle_timeout_s = 600
window_size = [1280, 800]

[maintainer]
pin = "4321"
long_press_s = 1.5
"""


@pytest.fixture(scope="session")
def kiosk_ui(tmp_path_factory):
    from kiosk.config import parse_config
    from kiosk.startup.display import ensure_display

    data = tmp_path_factory.mktemp("kiosk-data")
    media = tmp_path_factory.mktemp("media")  # the USB mount root: a folder there is a stick
    saved_env = {k: os.environ.get(k) for k in ("KIOSK_DATA_DIR", "KIOSK_CACHE_DIR")}
    os.environ["KIOSK_DATA_DIR"] = str(data)
    os.environ.setdefault("KIOSK_CACHE_DIR", str(OUTPUT / "cache"))
    vd = ensure_display(1920, 1920)  # room for landscape and portrait windows
    SHOTS.mkdir(parents=True, exist_ok=True)  # emptied once per run: tests/conftest.py
    # Sensors: a simulated pulse oximeter (live heart rate) and a card reader on a
    # pseudo-terminal whose other end the tests write to, like a real reader would.
    from kiosk.services.sensors import start_simulated_devices

    sims, sim_devices = start_simulated_devices(drivers=["cms50d", "station", "scale"], seed=1)
    card_master, card_slave = os.openpty()
    sensors = (
        '[sensors]\nsimulate = "never"\n'
        f'[[sensors.devices]]\nname = "oximeter"\ndriver = "cms50d"\nport = "{sim_devices[0].port}"\n'
        f'[[sensors.devices]]\nname = "station"\ndriver = "station"\nport = "{sim_devices[1].port}"\n'
        f'[[sensors.devices]]\nname = "scale"\ndriver = "scale"\nport = "{sim_devices[2].port}"\n'
        f'[[sensors.devices]]\nname = "card"\ndriver = "rdm6300"\nport = "{os.ttyname(card_slave)}"\n'
    )
    content = (f'[content]\nrepository_url = "off"\nusb_mount_roots = ["{media}"]\n'
               'usb_poll_s = 0.3\n')
    cfg = parse_config(TEST_CONFIG + sensors + content, "tests/kiosk/conftest.py")
    from kiosk.startup.launch import start_kiosk

    app = start_kiosk(cfg, windowed=True)
    from kivy.base import runTouchApp

    app._run_prepare()
    runTouchApp(embedded=True)
    from tests.kiosk.ui_harness import UIHarness

    ui = UIHarness(app, SHOTS)
    ui.card_writer = card_master
    ui.sims = {sim.driver: sim for sim in sims}  # a test may speed one up (``sim.speed``)
    ui.media = media
    ui.pump(0.5)
    yield ui
    app.stop()
    for sim in sims:
        sim.stop()
    os.close(card_master)
    os.close(card_slave)
    for key, value in saved_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if vd is not None:
        vd.stop()


@pytest.fixture(scope="session")
def sample_installed(kiosk_ui, sample_bundle):
    """The sample lessons installed in the running kiosk's data directory the way
    ``make run`` does it: a signed development repository and the one install pipeline."""
    from content.dev import dev_install
    from kiosk import __version__

    assert dev_install(sample_bundle, kiosk_ui.app.layout.root, __version__) == 0
    return kiosk_ui.app.layout.root / "dev-server" / "content"


@pytest.fixture
def ui(kiosk_ui):
    kiosk_ui.reset()
    yield kiosk_ui
    kiosk_ui.reset()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "ui" in item.fixturenames:
        harness = item.funcargs.get("ui")
        if harness is not None:
            FAILURES.mkdir(parents=True, exist_ok=True)
            from tests.kiosk.ui_harness import save_screenshot

            path = save_screenshot(Path(FAILURES / f"{item.name}.png"))
            report.sections.append(("screenshot", str(path)))
