"""Config errors name the key and line, exit non-zero, and never show a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import Config, ConfigError, key_lines, load_config, parse_config

REPO = Path(__file__).resolve().parents[2]


def run_kiosk(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                          text=True, timeout=60, env=full_env, cwd=REPO)


def test_example_config_is_valid_and_complete():
    cfg = load_config(str(REPO / "config.example.toml"))
    assert cfg.model_dump() == Config().model_dump()


def test_missing_default_file_means_embedded_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    cfg = load_config(None)
    assert cfg.source == "<embedded defaults>"
    assert cfg.kiosk.language == "zh_CN"


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "k.toml"
    path.write_text('[kiosk]\nlanguage = "en"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert load_config(None).kiosk.language == "en"
    assert load_config(str(REPO / "config.example.toml")).kiosk.language == "zh_CN"


def test_every_problem_is_reported_with_key_and_line():
    text = ('[kiosk]\nlanguage = "fr"\nidle_timeout_s = "soon"\n\n[sync]\nbatch_siz = 3\n'
            '[[sensors.devices]]\nname = "card"\ndriver = "rdm6300"\nbaudrate = 12\n')
    with pytest.raises(ConfigError) as info:
        parse_config(text, "k.toml")
    problems = {p.key: p for p in info.value.problems}
    assert problems["kiosk.language"].line == 2
    assert problems["kiosk.idle_timeout_s"].line == 3
    assert problems["sync.batch_siz"].line == 6
    assert "unknown key" in problems["sync.batch_siz"].message
    assert problems["sensors.devices.0.baudrate"].line == 10
    assert "k.toml" in str(info.value)


def test_key_lines_handles_tables_arrays_and_comments():
    lines = key_lines('# c\n[a]\nx = 1 # note\n[[b.c]]\ny = 2\n[[b.c]]\ny = 3\n"q" = 4\n')
    assert lines["a.x"] == 3
    assert lines["b.c.0.y"] == 5
    assert lines["b.c.1.y"] == 7
    assert lines["b.c.1.q"] == 8


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[kiosk\nid = 'x'\n", "not valid TOML"),
        ("[kiosk]\nlarge_text = 'yes'\n", "kiosk.large_text (line 2)"),
        ("[kiosk]\nidle_timeout_s = 30\ncolour = 'red'\n", "kiosk.colour (line 3): unknown key"),
        ("[maintainer]\npin = '12'\n", "maintainer.pin (line 2)"),
        ("[camera]\nwidth = 10\n", "camera.width (line 2)"),
        ("[content]\n\nrepository_url = 'ftp://x'\n", "content.repository_url (line 3)"),
    ],
    ids=["malformed", "wrong-type", "unknown-key", "bad-pin", "out-of-range", "content-url"],
)
def test_bad_config_file_exits_non_zero_with_a_clear_message(tmp_path, content, expected):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    for command in (["run"], ["doctor"]):
        result = run_kiosk(*command, "--config", str(path))
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr
        assert str(path) in result.stderr
        assert "Traceback" not in result.stderr + result.stdout


def test_missing_config_file_is_an_error_when_asked_for(tmp_path):
    result = run_kiosk("run", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "file not found" in result.stderr and "Traceback" not in result.stderr


def test_config_that_is_not_utf8_or_a_directory(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"[kiosk]\nid = '\xe9'\n")
    result = run_kiosk("run", "--config", str(bad))
    assert result.returncode == 2 and "not UTF-8" in result.stderr
    result = run_kiosk("run", "--config", str(tmp_path))
    assert result.returncode == 2 and "directory" in result.stderr


def test_version_and_help():
    result = run_kiosk("--version")
    assert result.returncode == 0 and result.stdout.startswith("kiosk ")
    result = run_kiosk()
    assert result.returncode == 2 and "run" in result.stdout and "doctor" in result.stdout
