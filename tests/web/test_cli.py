"""``kiosk-server add-user`` / ``list-users`` / ``rebuild-aggregates`` and the pages of ``run``."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sync.server.cli import main
from sync.server.db import Database
from tests.sync.helpers import REPO, process_server, session


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync.server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    """``kiosk-server ARGS`` in this process (cheap password hashes); exit code, out, err."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse refuses
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_add_user_then_log_in_to_the_running_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    # once as the administrator runs it: the console command in its own process
    r = cli(
        "add-user",
        "li.wei",
        "--community",
        "东城",
        "--password-stdin",
        "--db",
        url,
        stdin="a long and fine password\n",
    )
    assert r.returncode == 0, r.stderr
    assert "manager 'li.wei' created: sees community '东城'" in r.stdout
    assert "a long and fine password" not in r.stdout + r.stderr
    code, out, _ = run_cli(
        monkeypatch,
        capsys,
        "add-user",
        "boss",
        "--all",
        "--language",
        "en",
        "--password-stdin",
        "--db",
        url,
        stdin="another fine password\n",
    )
    assert code == 0 and "sees every community" in out
    code, out, _ = run_cli(monkeypatch, capsys, "list-users", "--db", url)
    assert code == 0 and "li.wei" in out and "东城" in out and "(all)" in out
    for args, stdin, message in (
        (["add-user", "li.wei", "--community", "x"], "a long and fine password\n", "exists"),
        (["add-user", "bad name!", "--all"], "a long and fine password\n", "account name"),
        (["add-user", "short", "--all"], "short\n", "at least 10"),
        (["add-user", "nobody"], "x\n", "--community"),  # one of --community/--all is required
    ):
        code, _, err = run_cli(
            monkeypatch, capsys, *args, "--password-stdin", "--db", url, stdin=stdin
        )
        assert code != 0 and message in err and "Traceback" not in err

    db = Database(url)
    token = db.add_kiosk("e1", community="东城")
    db.dispose()
    with process_server(url) as srv:
        body = {"records": [session(i, "e1").to_json_dict() for i in range(6)]}
        assert requests.post(
            f"{srv.url}/api/v1/records",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).ok
        s = requests.Session()
        page = s.get(f"{srv.url}/login", timeout=10)
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        page = s.post(
            f"{srv.url}/login",
            data={"name": "li.wei", "password": "a long and fine password", "csrf_token": csrf},
            timeout=10,
        )
        assert page.status_code == 200 and page.url.endswith("/overview") and "东城" in page.text


def test_rebuild_aggregates_reproduces_the_figures_kept_at_ingest(tmp_path: Path) -> None:
    from sqlalchemy import select

    from sync.server.tables import agg_cells, agg_members

    url = f"sqlite:///{tmp_path / 'server.db'}"
    db = Database(url)
    db.add_kiosk("e1", community="东城")
    db.upsert("e1", [session(i, "e1") for i in range(40)])

    def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        with db.engine.connect() as conn:
            return (
                sorted(tuple(r) for r in conn.execute(select(agg_cells))),
                sorted(tuple(r) for r in conn.execute(select(agg_members))),
            )

    before = snapshot()
    assert before[0], "ingest kept aggregates"
    r = cli("rebuild-aggregates", "--db", url)
    assert r.returncode == 0 and "from 40 records" in r.stdout
    assert snapshot() == before
    db.dispose()


def test_the_server_config_file_sets_the_pages_options(tmp_path: Path) -> None:
    from sync.server.serve import RunPlan, build_app
    from sync.server.settings import SettingsError, parse_settings
    from sync.server.web.pages import WebState

    s = parse_settings(
        '[web]\ntimezone = "Europe/Berlin"\nstale_after_min = 5\nsecure_cookies = "always"\n'
    )
    assert (s.web.timezone, s.web.stale_after_min, s.web.secure_cookies) == (
        "Europe/Berlin",
        5,
        "always",
    )
    for bad, key in (
        ('timezone = "Nowhere/City"', "timezone"),
        ("stale_after_min = 0", "stale"),
        ('secure_cookies = "yes"', "secure_cookies"),
        ("colour = 1", "colour"),
    ):
        with pytest.raises(SettingsError) as err:
            parse_settings(f"[web]\n{bad}\n", "server.toml")
        assert key in str(err.value) and "server.toml" in str(err.value)
    plan = RunPlan(
        host="127.0.0.1",
        port=1,
        db_url=f"sqlite:///{tmp_path / 's.db'}",
        timezone="Europe/Berlin",
        stale_after_s=300,
        secure_cookies="always",
    )
    app = build_app(plan, migrate=True)
    state: WebState = app.state.web
    assert (
        state.settings.timezone,
        state.settings.stale_after_s,
        state.settings.cookie_secure,
    ) == ("Europe/Berlin", 300, "always")
    app.state.db.dispose()
    r = cli("run", "--timezone", "Nowhere/City", "--db", plan.db_url)
    assert r.returncode == 2 and "unknown time zone 'Nowhere/City'" in r.stderr
