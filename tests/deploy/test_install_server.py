"""``make install-server`` for real, in a throwaway root (see ``throwaway.py``).

The root is this machine's system with its PostgreSQL cluster hidden, so the
installer finds PostgreSQL installed but not initialised: it must create a
cluster, start it, create the role and database and migrate. Then the tests
run the installed server exactly as its unit says (user, environment,
ExecStartPre, ExecStart: uvicorn workers with the self-signed TLS
certificate), sync real records to it over HTTPS, run the backup unit, and
perform the restore documented in docs/deploy.md line by line. A second run
of the installer upgrades in place and keeps the config; ``rollback-server``
switches back.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from sync.client import SyncClient, SyncSettings
from sync.store import Store
from tests.deploy.conftest import DEPLOY, INSTALL_PATH, REPO
from tests.deploy.throwaway import ThrowawayRoot
from tests.deploy.units import Unit, parse_unit
from tests.sync.helpers import free_port, session

pytestmark = [pytest.mark.usefixtures("throwaway_ok"), pytest.mark.install]

APP = "/opt/community-kiosk-server"
CONFIG = "/etc/community-kiosk-server/server.toml"
CERT = "/etc/community-kiosk-server/tls/server.crt"
BACKUPS = "/var/backups/community-kiosk-server"
UNITS = ("kiosk-server.service", "kiosk-server-backup.service", "kiosk-server-backup.timer")

ALLOWED_CHANGES = (
    "/etc/.pwd.lock", "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/subuid", "/etc/subgid",
    "/etc/community-kiosk-server", "/etc/systemd/system/kiosk-server",
    "/etc/postgresql", "/var/lib/postgresql", "/var/log/postgresql",
    "/opt/community-kiosk-server", "/usr/local/bin/kiosk-server",
    "/var/lib/community-kiosk-server", "/var/backups/community-kiosk-server",
    "/root/.cache/uv", "/tmp", "/var/cache/community-kiosk-server",
)


@dataclass
class InstalledServer:
    root: ThrowawayRoot
    pg_port: int
    install_log: str

    def unit(self, name: str) -> Unit:
        return parse_unit(self.root.path(f"/etc/systemd/system/{name}"))

    def as_unit_user(self, name: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
        unit = self.unit(name)
        return self.root.run(argv, user=unit.get("Service", "User"), env=unit.environment())

    def psql(self, sql: str) -> str:
        return self.root.run(
            ["runuser", "-u", "postgres", "--", "psql", "-d", "community_kiosk", "-Atc", sql]
        ).stdout.strip()


def _stop_clusters(root: ThrowawayRoot) -> None:
    root.run(
        ["sh", "-c", "pg_lsclusters --no-header | while read v c rest; do "
         "pg_ctlcluster --force \"$v\" \"$c\" stop -- -m immediate || true; done"],
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstalledServer]:
    root = ThrowawayRoot(tmp_path_factory.mktemp("server-root"))
    try:
        # A machine with PostgreSQL's packages but no cluster yet.
        root.run(["sh", "-c", "rm -rf /etc/postgresql/* /var/lib/postgresql/*"])
        pg_port = free_port()
        done = root.run(
            ["bash", str(DEPLOY / "install-server.sh"), "--skip-packages",
             "--pg-port", str(pg_port), "--hostname", "localhost"],
            env={"PATH": INSTALL_PATH}, timeout=900,
        )
        yield InstalledServer(root, pg_port, done.stdout + done.stderr)
    finally:
        _stop_clusters(root)
        root.close()


class RunningServer:
    """The installed server started the way kiosk-server.service starts it."""

    def __init__(self, inst: InstalledServer, log: Path) -> None:
        self.inst = inst
        unit = inst.unit("kiosk-server.service")
        self.user = unit.get("Service", "User")
        self.env = unit.environment()
        for argv in unit.command("ExecStartPre"):
            inst.root.run(argv, user=self.user, env=self.env)
        (start,) = unit.command("ExecStart")
        self.proc = inst.root.popen(start, user=self.user, env=self.env, log=log)
        self.log = log

    def stop(self) -> None:
        for pid in self.server_pids():
            subprocess.run(["kill", "-TERM", str(pid)], check=False)
        deadline = time.monotonic() + 20
        while self.server_pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in self.server_pids():
            subprocess.run(["kill", "-KILL", str(pid)], check=False)
        self.proc.wait(20)

    def server_pids(self) -> list[int]:
        out = []
        for pid in self.inst.root.processes():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"kiosk-server" in cmd or b"multiprocessing" in cmd:
                out.append(pid)
        return out


def _config_set(inst: InstalledServer, section: str, key: str, value: str) -> None:
    """Change one key in the installed config, as an administrator would with an editor."""
    path = inst.root.path(CONFIG)
    text = path.read_text()
    pattern = re.compile(rf"(?ms)(^\[{section}\].*?^){key}\s*=.*?$")
    assert pattern.search(text), f"{section}.{key} not in {CONFIG}"
    path.write_text(pattern.sub(lambda m: f"{m.group(1)}{key} = {value}", text, count=1))


def _wait_healthy(url: str, cert: Path, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/v1/health", verify=str(cert), timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server not healthy at {url}:\n{log.read_text()[-3000:]}")


def test_install_makes_user_release_config_cluster_and_valid_units(installed: InstalledServer) -> None:
    root = installed.root
    passwd = root.path("/etc/passwd").read_text()
    (line,) = [x for x in passwd.splitlines() if x.startswith("kiosk-server:")]
    assert line.endswith(":/usr/sbin/nologin"), line

    current = root.path(f"{APP}/current")
    assert current.is_symlink() and str(current.readlink()).startswith("releases/")
    release = json.loads((current / "release.json").read_text())
    assert release["source"] == str(REPO)

    key = root.path("/etc/community-kiosk-server/tls/server.key")
    assert key.stat().st_mode & 0o777 == 0o640
    assert root.path(CONFIG).stat().st_mode & 0o777 == 0o640

    clusters = root.run(["pg_lsclusters", "--no-header"]).stdout
    assert "online" in clusters and str(installed.pg_port) in clusters, clusters
    migrated = root.run(["kiosk-server", "migrate"], user="kiosk-server").stdout
    assert "schema is up to date" in migrated, migrated
    assert installed.psql("SELECT count(*) FROM kiosks") == "0"

    # What the installer wrote, before systemd-analyze runs: it formats the units'
    # Documentation= man pages and may leave them in /var/cache/man.
    strays = [p for p in root.changed() if not p.startswith(ALLOWED_CHANGES)]
    assert not strays, f"the installer wrote outside its places: {strays[:20]}"

    verify = root.run(
        ["systemd-analyze", "verify", *(f"/etc/systemd/system/{u}" for u in UNITS)], check=False
    )
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr
    timer = installed.unit("kiosk-server-backup.timer")
    assert timer.get("Timer", "OnCalendar") and timer.get("Timer", "Persistent") == "true"



def test_installed_server_runs_as_its_unit_with_workers_and_tls(
    installed: InstalledServer, tmp_path: Path
) -> None:
    port = free_port()
    _config_set(installed, "server", "port", str(port))
    _config_set(installed, "server", "host", '"127.0.0.1"')
    token = installed.root.run(
        ["kiosk-server", "add-kiosk", "park-1", "--community", "park"], user="kiosk-server"
    ).stdout.strip().splitlines()[-2]
    server = RunningServer(installed, tmp_path / "server.log")
    url = f"https://localhost:{port}"
    cert = installed.root.path(CERT)
    try:
        _wait_healthy(url, cert, server.proc, server.log)
        workers = [
            p for p in server.server_pids()
            if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()
        ]
        assert len(workers) == 2, f"expected the config's 2 worker processes: {workers}"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{url}/api/v1/health", timeout=5)  # not trusted without the cert

        store = Store(tmp_path / "kiosk-store", retention_days=None)
        recs = [session(i, "park-1") for i in range(300)]
        store.save_many(recs)
        client = SyncClient(store, SyncSettings(server_url=url, token=token, kiosk_id="park-1",
                                                batch_size=100, verify=str(cert)))
        report = client.sync_once()
        client.close()
        assert store.waiting() == 0, report
        assert installed.psql("SELECT count(*) FROM records WHERE kiosk_id = 'park-1'") == "300"
        store.close()
    finally:
        server.stop()
    assert "listening on https://127.0.0.1" in server.log.read_text()


def _restore_block() -> list[str]:
    text = (REPO / "docs" / "deploy.md").read_text()
    m = re.search(r"```sh restore\n(.*?)```", text, re.S)
    assert m, "docs/deploy.md has no ```sh restore block"
    return m.group(1).strip().splitlines()


def test_backup_unit_then_the_documented_restore_brings_every_record_back(
    installed: InstalledServer, tmp_path: Path
) -> None:
    n_before = int(installed.psql("SELECT count(*) FROM records"))
    if n_before == 0:  # run alone: store some records the way ingest does
        script = (
            "from sync.server.db import Database; from sync.records import parse_record; "
            "import json,sys; db=Database(sys.argv[1]); db.add_kiosk('park-2'); "
            "db.upsert('park-2', [parse_record(r) for r in json.load(open(sys.argv[2]))])"
        )
        data = installed.root.path("/tmp/records.json")
        data.write_text(json.dumps([session(i, "park-2").to_json_dict() for i in range(250)]))
        url = installed.root.run(
            ["sh", "-c", f"grep '^url' {CONFIG} | cut -d'\"' -f2"]
        ).stdout.strip()
        installed.root.run([f"{APP}/current/bin/python", "-c", script, url, "/tmp/records.json"],
                           user="kiosk-server")
    before = installed.psql("SELECT kiosk_id || '/' || uuid || '/' || payload_hash FROM records "
                            "ORDER BY 1")
    assert before

    backup_unit = installed.unit("kiosk-server-backup.service")
    for argv in backup_unit.command("ExecStart"):
        installed.as_unit_user("kiosk-server-backup.service", argv)
    dumps = sorted(installed.root.path(BACKUPS).glob("community-kiosk-*.dump"))
    assert len(dumps) == 1 and dumps[0].stat().st_mode & 0o777 == 0o600

    installed.psql("DELETE FROM records")  # the disaster
    assert installed.psql("SELECT count(*) FROM records") == "0"

    lines = [ln for ln in _restore_block() if not ln.startswith("systemctl ")]
    assert any("kiosk-server restore" in ln for ln in lines)
    done = installed.root.run(["bash", "-euo", "pipefail", "-c", "\n".join(lines)])
    assert "restored" in done.stdout

    after = installed.psql("SELECT kiosk_id || '/' || uuid || '/' || payload_hash FROM records "
                           "ORDER BY 1")
    assert after == before
    assert installed.psql("SELECT count(*) FROM kiosks") != "0"


def test_second_install_upgrades_in_place_keeps_config_and_rolls_back(
    installed: InstalledServer,
) -> None:
    root = installed.root
    first = str(root.path(f"{APP}/current").readlink())
    root.path(CONFIG).write_text(root.path(CONFIG).read_text() + "# kept by upgrades\n")
    time.sleep(1.1)  # release ids are stamped to the second
    done = root.run(
        ["bash", str(DEPLOY / "install-server.sh"), "--skip-packages",
         "--pg-port", str(installed.pg_port)],
        env={"PATH": INSTALL_PATH}, timeout=900,
    )
    assert "kept /etc/community-kiosk-server/server.toml" in done.stdout
    assert root.path(CONFIG).read_text().endswith("# kept by upgrades\n")
    second = str(root.path(f"{APP}/current").readlink())
    assert second != first and str(root.path(f"{APP}/previous").readlink()) == first
    assert "created database" not in done.stdout  # the database was already there
    assert "schema is up to date" in done.stdout

    rolled = root.run(["bash", str(DEPLOY / "rollback-server")])
    assert "rolled back" in rolled.stdout
    assert str(root.path(f"{APP}/current").readlink()) == first
    assert str(root.path(f"{APP}/previous").readlink()) == second
    assert root.run(["kiosk-server", "--help"], user="kiosk-server").returncode == 0
