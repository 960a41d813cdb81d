"""Card pseudonyms under the community key: equal on every kiosk that shares it, never the card."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, DataLayout, parse_config
from kiosk.residents.community_key import (
    CommunityKeyError,
    KeySource,
    load_community_key,
    new_key,
    write_key,
)
from kiosk.residents.identity import card_pseudonym
from kiosk.services.residents import ResidentsService

CARD = "0A00BC614E"
KEY = "6f1d0c5e9b7a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d"
REPO = Path(__file__).resolve().parents[2]


def kiosk(tmp_path: Path, name: str, config: str = "") -> ResidentsService:
    svc = ResidentsService(parse_config(config), DataLayout(tmp_path / name))
    svc.start()
    return svc


def test_two_kiosks_with_the_same_key_file_give_the_same_pseudonym(tmp_path):
    for name in ("north", "south"):
        write_key(DataLayout(tmp_path / name).community_key, KEY)
    north, south = kiosk(tmp_path, "north"), kiosk(tmp_path, "south")
    assert north.card_login(CARD) == south.card_login(CARD)
    assert north.card_login(CARD.lower() + " ") == north.card_login(CARD)  # reader differences
    assert north.card_login(CARD).startswith("card-") and CARD not in north.card_login(CARD)
    assert north.key.fingerprint == south.key.fingerprint
    # ... and from the config, the same key gives the same pseudonym as from the file
    east = kiosk(tmp_path, "east", f'[residents]\ncommunity_key = "{KEY}"\n')
    assert east.key.source is KeySource.CONFIG
    assert east.card_login(CARD) == north.card_login(CARD)


def test_different_keys_give_different_pseudonyms(tmp_path):
    write_key(DataLayout(tmp_path / "a").community_key, KEY)
    write_key(DataLayout(tmp_path / "b").community_key, new_key())
    a, b = kiosk(tmp_path, "a"), kiosk(tmp_path, "b")
    assert a.card_login(CARD) != b.card_login(CARD)
    assert a.key.fingerprint != b.key.fingerprint
    assert a.card_login("0A00BC614F") != a.card_login(CARD)


def test_a_kiosk_without_a_key_makes_its_own_and_says_so(tmp_path):
    svc = kiosk(tmp_path, "dev")
    path = DataLayout(tmp_path / "dev").community_key
    assert svc.key.source is KeySource.MADE_HERE and path.is_file()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    row = svc.status()[0]
    assert row.state == "warning" and "will not match other kiosks" in row.detail
    assert str(path) in row.detail and path.read_text().strip() not in repr(row)
    again = kiosk(tmp_path, "dev")  # kept: the same pseudonyms after a restart
    assert again.key.source is KeySource.FILE
    assert again.card_login(CARD) == svc.card_login(CARD)


@pytest.mark.parametrize("weak", ["short", "ab" * 20, "x" * 64])
def test_a_weak_key_file_turns_card_logins_off_with_a_reason(tmp_path, weak):
    path = DataLayout(tmp_path).community_key
    path.write_text(weak + "\n")
    with pytest.raises(CommunityKeyError, match="too weak"):
        load_community_key("", path)
    svc = ResidentsService(parse_config(""), DataLayout(tmp_path))
    svc.start()
    assert svc.card_login(CARD) is None
    row = svc.status()[0]
    assert row.state == "error" and "Card logins are off" in row.detail and str(path) in row.detail
    assert path.read_text().strip() == weak  # never overwritten


def test_config_refuses_a_weak_key_and_the_old_salt(tmp_path):
    with pytest.raises(ConfigError) as info:
        parse_config('[residents]\ncommunity_key = "1234"\n', "k.toml")
    (problem,) = info.value.problems
    assert problem.key == "residents.community_key" and problem.line == 2
    assert "at least 32" in problem.message
    with pytest.raises(ConfigError) as info:
        parse_config('[sensors]\ncard_salt = "abc"\n', "k.toml")
    assert "replaced by [residents] community_key" in str(info.value)


def test_pseudonym_is_an_hmac_not_a_plain_hash(tmp_path):
    import hashlib

    write_key(DataLayout(tmp_path).community_key, KEY)
    key = load_community_key("", DataLayout(tmp_path).community_key)
    plain = hashlib.sha256(CARD.encode()).hexdigest()
    assert card_pseudonym(CARD, key)[5:] not in plain


def run_kiosk(*args: str, data: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    cfg = data.parent / f"{data.name}.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{data}"\n')
    return subprocess.run([sys.executable, "-m", "kiosk", "community-key", *args, "--config",
                           str(cfg)] if args[0] != "new" else
                          [sys.executable, "-m", "kiosk", "community-key", "new"],
                          input=stdin, capture_output=True, text=True, timeout=60, cwd=REPO)


def test_community_key_command_installs_and_compares(tmp_path):
    made = run_kiosk("new", data=tmp_path / "x")
    key = made.stdout.strip()
    assert made.returncode == 0 and len(key) == 64
    shown = []
    for name in ("north", "south"):
        data = tmp_path / name
        assert run_kiosk("show", data=data).returncode == 1  # nothing yet
        done = run_kiosk("install", "-", data=data, stdin=key + "\n")
        assert done.returncode == 0, done.stderr
        out = run_kiosk("show", data=data)
        assert out.returncode == 0 and key not in out.stdout
        shown.append(out.stdout.split("fingerprint ")[-1].strip())
    assert shown[0] == shown[1]
    again = run_kiosk("install", "-", data=tmp_path / "north", stdin=new_key())
    assert again.returncode == 2 and "--force" in again.stderr
    weak = run_kiosk("install", "-", data=tmp_path / "west", stdin="password")
    assert weak.returncode == 2 and "too weak" in weak.stderr and "Traceback" not in weak.stderr
