"""The maintainer's and the kiosk's content commands, run as a maintainer would (subprocesses):
the whole path init -> build -> publish -> export-usb -> install -> list -> verify -> rollback,
and each failure as one line on stderr with a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SOURCE_BUNDLE = """
id = "cli-demo"
version = {version}
min_app_version = "0.1.0"
title = {{ zh_CN = "命令行演示", en = "CLI demo" }}
"""

SOURCE_LESSON = """
id = "hello"
topic = "daily_life"
duration_min = 2
title = { zh_CN = "你好", en = "Hello" }
summary = { zh_CN = "一节很短的课", en = "A very short lesson" }

[[steps]]
type = "slide"
picture = "drink_water"
title = { zh_CN = "喝水", en = "Drink water" }
text = { zh_CN = "少量多次。", en = "Sip often." }

[[steps]]
type = "quiz"
title = { zh_CN = "测验", en = "Quiz" }
[[steps.questions]]
kind = "true_false"
prompt = { zh_CN = "口渴再喝就够了。", en = "Drink only when thirsty." }
answer = false
explanation = { zh_CN = "要主动喝水。", en = "Sip regularly." }
"""


class Env:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.env = dict(os.environ, PYTHONPATH=str(REPO), KIOSK_CONTENT_REPO=str(tmp / "repo"),
                        KIOSK_CONTENT_KEYS=str(tmp / "keys"), KIOSK_DATA_DIR=str(tmp / "kiosk"),
                        KIOSK_CONFIG=str(tmp / "kiosk.toml"))
        (tmp / "kiosk.toml").write_text('[sync]\nserver_url = "http://127.0.0.1:9"\n', encoding="utf-8")

    def server(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sync.server.cli", "content", *args],
                              capture_output=True, text=True, env=self.env, cwd=REPO, timeout=300)

    def kiosk(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kiosk", "content",
                               "--trusted-root", str(self.tmp / "repo" / "metadata" / "1.root.json"), *args],
                              capture_output=True, text=True, env=self.env, cwd=REPO, timeout=300)


def one_line_error(p: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert p.returncode != 0, p.stdout
    assert "Traceback" not in p.stderr, p.stderr
    lines = [x for x in p.stderr.strip().splitlines() if x]
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def write_source(d: Path, version: int) -> Path:
    (d / "lessons" / "hello").mkdir(parents=True, exist_ok=True)
    (d / "bundle.toml").write_text(SOURCE_BUNDLE.format(version=version), encoding="utf-8")
    (d / "lessons" / "hello" / "lesson.toml").write_text(SOURCE_LESSON, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Env:
    e = Env(tmp_path_factory.mktemp("cli"))
    p = e.server("init")
    assert p.returncode == 0, p.stderr
    assert "1.root.json" in p.stdout
    for v in (1, 2):
        src = write_source(e.tmp / f"src{v}", v)
        p = e.server("build", str(src), "-o", str(e.tmp / f"cli-demo-{v}.zip"))
        assert p.returncode == 0, p.stderr
        assert f"cli-demo version {v}" in p.stdout
    return e


def test_full_path(cli: Env) -> None:
    assert cli.server("publish", str(cli.tmp / "cli-demo-1.zip")).returncode == 0
    p = cli.server("export-usb", str(cli.tmp / "stick"))
    assert p.returncode == 0 and "cli-demo v1" in p.stdout, p.stderr
    p = cli.kiosk("install", str(cli.tmp / "stick"))
    assert p.returncode == 0, p.stderr
    assert "cli-demo version 1" in p.stdout and "ok       lesson hello" in p.stdout
    p = cli.kiosk("list", "--json")
    assert p.returncode == 0
    assert [b["version"] for b in json.loads(p.stdout)["installed"]] == [1]
    # version 2 from a second stick; then roll back
    assert cli.server("publish", str(cli.tmp / "cli-demo-2.zip")).returncode == 0
    assert cli.server("export-usb", str(cli.tmp / "stick2")).returncode == 0
    stick_file = cli.tmp / "stick2" / "community-kiosk-content" / "targets" / "bundles" / "cli-demo" / "cli-demo-2.zip"
    p = cli.kiosk("verify", str(stick_file))
    assert p.returncode == 0 and "signature ok" in p.stdout, p.stderr
    p = cli.kiosk("list", "--source", str(cli.tmp / "stick2"))
    assert "offered: cli-demo v2" in p.stdout and "update" in p.stdout
    p = cli.kiosk("install", str(stick_file))
    assert p.returncode == 0 and "(was 1)" in p.stdout, p.stderr
    p = cli.kiosk("rollback", "cli-demo")
    assert p.returncode == 0 and "from version 2 to 1" in p.stdout
    p = cli.kiosk("status")
    assert p.returncode == 0 and "cli-demo" in p.stdout and "version 1" in p.stdout
    p = cli.server("list")
    assert p.returncode == 0 and "cli-demo" in p.stdout and "v2" in p.stdout


def test_server_errors(cli: Env) -> None:
    one_line_error(cli.server("publish", str(cli.tmp / "nothing.zip")), "no such file")
    one_line_error(cli.server("init"), "already exists")
    one_line_error(cli.server("build", str(cli.tmp / "nowhere"), "-o", str(cli.tmp / "x.zip")), "no bundle.toml")
    bad = write_source(cli.tmp / "bad-src", 3)
    (bad / "lessons" / "hello" / "lesson.toml").write_text(SOURCE_LESSON.replace('topic = "daily_life"', 'topic = "gossip"'), encoding="utf-8")
    one_line_error(cli.server("build", str(bad), "-o", str(cli.tmp / "x.zip")), "lessons/hello/lesson.json", "topic")
    junk = cli.tmp / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    one_line_error(cli.server("publish", str(junk)), "not a zip file")
    one_line_error(cli.server("publish", str(cli.tmp / "cli-demo-1.zip")), "not newer")


def test_kiosk_errors(cli: Env) -> None:
    one_line_error(cli.kiosk("install", str(cli.tmp / "no-such-stick")), "no such file")
    one_line_error(cli.kiosk("rollback", "unknown"), "not installed")
    one_line_error(cli.kiosk("install", "some-bundle-id"), "cannot download")
    damaged = cli.tmp / "stick-damaged"
    subprocess.run(["cp", "-r", str(cli.tmp / "stick2"), str(damaged)], check=True)
    f = damaged / "community-kiosk-content" / "targets" / "bundles" / "cli-demo" / "cli-demo-2.zip"
    f.write_bytes(f.read_bytes()[:-10])
    one_line_error(cli.kiosk("verify", str(f)), "truncated")
    p = subprocess.run([sys.executable, "-m", "kiosk", "content", "--trusted-root", str(cli.tmp / "missing-root.json"),
                        "install", str(cli.tmp / "stick2")], capture_output=True, text=True, env=cli.env, cwd=REPO, timeout=120)
    one_line_error(p, "trusted root", "cannot be read")
