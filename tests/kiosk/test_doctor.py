"""``kiosk doctor`` prints a table and fails only on what the kiosk cannot run without."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path


def doctor(tmp_path: Path, config: str, *extra: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "k.toml"
    cfg.write_text(config)
    env = dict(os.environ, KIOSK_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-m", "kiosk", "doctor", "--config", str(cfg),
                           "--json", *extra], capture_output=True, text=True, timeout=60, env=env)


class Health(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200 if self.path == "/api/v1/health" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args):
        pass


def test_healthy_kiosk_passes_and_reports_a_reachable_server(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = doctor(tmp_path, f'[kiosk]\ndata_dir = "{tmp_path}/data"\n[sync]\n'
                        f'server_url = "http://127.0.0.1:{server.server_port}"\n')
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["server"]["status"] == "ok"
    assert report["data directory"]["status"] == "ok"
    assert report["fonts"]["status"] == "ok"
    assert "check" in result.stdout.splitlines()[0]


def test_unwritable_data_directory_fails(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = doctor(tmp_path, f'[kiosk]\ndata_dir = "{blocker}/sub"\n[sync]\nenabled = false\n')
    assert result.returncode == 1
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["data directory"]["status"] == "fail"


def test_unreachable_server_is_a_warning_and_strict_makes_it_fail(tmp_path):
    config = (f'[kiosk]\ndata_dir = "{tmp_path}/data"\n[sync]\n'
              'server_url = "http://127.0.0.1:9"\nconnect_timeout_s = 1.0\n')
    result = doctor(tmp_path, config)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["server"]["status"] == "warn"
    assert doctor(tmp_path, config, "--strict").returncode == 1


def test_community_key_check(tmp_path):
    base = f'[kiosk]\ndata_dir = "{tmp_path}/data"\n[sync]\nenabled = false\n'
    report = json.loads(doctor(tmp_path, base).stdout.strip().splitlines()[-1])
    assert report["community key"]["status"] == "warn"
    assert "will not match other kiosks" in report["community key"]["detail"]
    assert not (tmp_path / "data" / "community-key").exists()  # doctor only looks
    key = "6f1d0c5e9b7a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d"
    result = doctor(tmp_path, base + f'[residents]\ncommunity_key = "{key}"\n')
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["community key"]["status"] == "ok" and key not in result.stdout
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "community-key").write_text("secret\n")
    result = doctor(tmp_path, base)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["community key"]["status"] == "fail" and result.returncode == 1


def test_content_check_names_installed_bundles_and_the_last_failure(tmp_path):
    from kiosk.config import parse_config
    from kiosk.startup.doctor import check_content
    from tests.content.helpers import make_bundle, make_setup

    data = tmp_path / "kiosk"  # make_setup's kiosk keeps its content in <tmp>/kiosk/content
    base = f'[kiosk]\ndata_dir = "{data}"\n[sync]\nenabled = false\n'
    result = doctor(tmp_path, base)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["content"]["status"] == "warn" and result.returncode == 0
    assert "no content bundle installed" in report["content"]["detail"]
    assert "trusted root" in report["content"]["detail"]
    s = make_setup(tmp_path)
    s.publish(make_bundle(tmp_path, "demo", 2))
    s.export()
    assert s.kiosk.install_path(s.stick).ok
    cfg = parse_config(base + f'[content]\ntrusted_root = "{s.kiosk.trusted_root}"\n', "k.toml")
    check = check_content(cfg)
    assert check.status == "ok" and check.detail.startswith("demo v2"), check
    s.clock.advance(70)  # the stick's metadata has expired: refused, and the doctor says so
    assert not s.kiosk.install_path(s.stick).ok
    check = check_content(cfg)
    assert check.status == "warn" and "expired" in check.detail and "demo v2" in check.detail
