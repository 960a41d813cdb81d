"""``make install-kiosk`` for real: into a root prefix, then run inside a throwaway root.

The installer runs with ``--root PREFIX`` (as when preparing a kiosk image):
the prefix starts with this machine's account files, as a system root would.
The tests check what it made (user, release links, config, unit, session
launcher), then mount the prefix over this machine's root (see
``throwaway.py``) and run what was installed there: ``systemd-analyze
verify`` on the unit, the app's ``kiosk`` command as the kiosk user and as
root, the session launcher. A second run upgrades in place and keeps config
and data; ``rollback-kiosk`` switches back and forth; only two releases stay.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, REPO, Prefix, install_kiosk
from tests.deploy.throwaway import ThrowawayRoot
from tests.deploy.units import parse_unit

pytestmark = [pytest.mark.usefixtures("throwaway_ok"), pytest.mark.install]

APP = "opt/community-kiosk"
ETC = "etc/community-kiosk"
DATA = "var/lib/community-kiosk"


@pytest.fixture(scope="module")
def prefix(kiosk_prefix: Prefix) -> Prefix:
    return kiosk_prefix


@pytest.fixture
def system(prefix: Prefix, tmp_path: Path) -> Iterator[ThrowawayRoot]:
    """This machine with the prefix mounted over it: the installed kiosk as if booted."""
    with ThrowawayRoot(tmp_path / "root", seed=prefix.root) as root:
        yield root


def test_user_release_config_data_and_session_are_in_place(prefix: Prefix) -> None:
    (entry,) = [ln for ln in prefix.p("etc/passwd").read_text().splitlines()
                if ln.startswith("kiosk:")]
    fields = entry.split(":")
    assert fields[6] == "/usr/sbin/nologin" and fields[5] == "/var/lib/community-kiosk"
    groups = prefix.p("etc/group").read_text()
    for g in ("video", "input", "dialout", "audio"):
        line = next((ln for ln in groups.splitlines() if ln.startswith(f"{g}:")), None)
        if line is not None:
            assert "kiosk" in line.split(":")[3].split(","), line

    current = prefix.p(f"{APP}/current")
    assert current.is_symlink() and str(current.readlink()).startswith("releases/")
    assert json.loads((current / "release.json").read_text())["source"] == str(REPO)
    assert not prefix.p(f"{APP}/previous").exists()

    config = prefix.p(f"{ETC}/config.toml").read_text()
    assert 'id = "park-east-1"' in config and 'server_url = "https://srv.example:8443"' in config
    assert "fullscreen = true" in config and 'data_dir = "/var/lib/community-kiosk"' in config
    pin = re.search(r'^pin = "(\d+)"', config, re.M)
    assert pin and len(pin.group(1)) == 6 and pin.group(1) != "2468"
    assert prefix.p(f"{ETC}/config.toml").stat().st_mode & 0o777 == 0o640
    assert prefix.owner(f"{ETC}/config.toml") == ("root", "kiosk")
    assert prefix.owner(DATA) == ("kiosk", "kiosk")
    assert prefix.p(DATA).stat().st_mode & 0o777 == 0o750
    assert "KIOSK_SESSION=cage" in prefix.p(f"{ETC}/session.env").read_text()
    assert prefix.p(f"{ETC}/config.example.toml").read_text() == (
        REPO / "config.example.toml").read_text()
    assert os.access(prefix.p("usr/lib/community-kiosk/kiosk-session"), os.X_OK)
    assert "/etc/community-kiosk/config.toml" in prefix.p("usr/local/bin/kiosk").read_text()


def test_unit_is_locked_down_restarting_notify_and_verifies(
    prefix: Prefix, system: ThrowawayRoot
) -> None:
    unit = parse_unit(prefix.p("etc/systemd/system/kiosk.service"))
    s = unit.get
    assert s("Service", "Restart") == "always" and s("Unit", "StartLimitIntervalSec") == "0"
    assert s("Service", "Type") == "notify" and s("Service", "NotifyAccess") == "all"
    assert int(s("Service", "WatchdogSec")) > 0
    assert s("Service", "User") == "kiosk" and s("Service", "PAMName") == "login"
    assert s("Service", "TTYPath") == "/dev/tty1" and "getty@tty1.service" in s("Unit", "Conflicts")
    assert s("Service", "NoNewPrivileges") == "yes"
    assert s("Install", "WantedBy") == "graphical.target"
    (start,) = unit.command("ExecStart")
    assert start == ["/usr/lib/community-kiosk/kiosk-session"]

    verify = system.run(["systemd-analyze", "verify", "/etc/systemd/system/kiosk.service"],
                        check=False)
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr


def test_installed_app_runs_for_the_kiosk_user_and_for_root(
    prefix: Prefix, system: ThrowawayRoot
) -> None:
    version = system.run(["kiosk", "--version"], user="kiosk")
    assert version.stdout.strip()
    for user in ("kiosk", None):
        done = system.run(["kiosk", "doctor", "--json"], user=user, check=False, timeout=300,
                          env={"HOME": "/var/lib/community-kiosk" if user else "/root"})
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 1), done.stderr  # 1: this machine has no camera/screen
        checks = json.loads(done.stdout.strip().splitlines()[-1])
        data = next(v for k, v in checks.items() if "data" in k.lower())
        assert data["status"] == "ok", (user, data)
    # root's doctor left nothing in the data directory the kiosk user cannot use
    data_dir = system.path("/var/lib/community-kiosk")
    uid = int(next(ln.split(":")[2] for ln in prefix.p("etc/passwd").read_text().splitlines()
                   if ln.startswith("kiosk:")))
    for path in [data_dir, *data_dir.rglob("*")]:
        assert path.stat().st_uid == uid, f"{path} is not owned by the kiosk user"


def test_session_launcher_refuses_unknown_sessions_and_names_missing_compositors(
    system: ThrowawayRoot,
) -> None:
    bad = system.run(["/usr/lib/community-kiosk/kiosk-session"], user="kiosk",
                     env={"KIOSK_SESSION": "desktop"}, check=False)
    assert bad.returncode == 2 and "must be cage, xorg or none" in bad.stderr
    if shutil.which("cage") is None:
        missing = system.run(["/usr/lib/community-kiosk/kiosk-session"], user="kiosk",
                             env={"KIOSK_SESSION": "cage"}, check=False)
        assert missing.returncode == 1 and "cage is not installed" in missing.stderr


def test_rerun_upgrades_in_place_keeps_config_and_data_and_rolls_back(prefix: Prefix) -> None:
    first = str(prefix.p(f"{APP}/current").readlink())
    config = prefix.p(f"{ETC}/config.toml")
    config.write_text(config.read_text().replace("fullscreen = true", "fullscreen = false"))
    store = prefix.p(f"{DATA}/store")
    store.mkdir(exist_ok=True)
    (store / "keep-me").write_text("a resident's session")
    uid, gid = prefix.ids("kiosk")  # as the running app would have left them
    for path in (store, store / "keep-me"):
        os.chown(path, uid, gid)
    time.sleep(1.1)  # release ids are stamped to the second
    done = install_kiosk(prefix.root)
    assert "kept /etc/community-kiosk/config.toml" in done.stdout
    assert "fullscreen = false" in config.read_text()
    assert (store / "keep-me").read_text() == "a resident's session"
    second = str(prefix.p(f"{APP}/current").readlink())
    assert second != first and str(prefix.p(f"{APP}/previous").readlink()) == first

    def rollback() -> str:
        out = subprocess.run(["bash", str(DEPLOY / "rollback-kiosk"), "--root", str(prefix.root)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert "rolled back" in rollback()
    assert str(prefix.p(f"{APP}/current").readlink()) == first
    assert subprocess.run([str(prefix.p(f"{APP}/current/bin/kiosk")), "--version"],
                          capture_output=True).returncode == 0
    rollback()  # and forward again
    assert str(prefix.p(f"{APP}/current").readlink()) == second

    time.sleep(1.1)
    install_kiosk(prefix.root)
    releases = sorted(p.name for p in prefix.p(f"{APP}/releases").iterdir())
    assert len(releases) == 2 and f"releases/{releases[0]}" == second, releases


def test_install_scripts_pass_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (Debian package shellcheck; scripts/system-deps.sh)")
    scripts = [*DEPLOY.glob("*.sh"), DEPLOY / "rollback-kiosk", DEPLOY / "rollback-server",
               DEPLOY / "kiosk" / "kiosk-session"]
    done = subprocess.run(["shellcheck", "-x", *map(str, scripts)], capture_output=True,
                          text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout
