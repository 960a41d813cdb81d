"""The central server needs none of the kiosk's stack (the ``kiosk`` extra).

``deploy/install-server.sh`` installs ``.[server]`` only: no Kivy, MediaPipe,
OpenCV, numpy, pyserial or TinyDB. This test imports every server module and
builds the app in a process where those packages cannot be imported at all.
"""

from __future__ import annotations

import subprocess
import sys

from tests.deploy.conftest import REPO

KIOSK_ONLY = ("kivy", "mediapipe", "cv2", "numpy", "serial", "tinydb", "vision", "hardware")

CODE = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed on a server")
        return None
BLOCKED = set(sys.argv[1].split(","))
sys.meta_path.insert(0, Refuse())
import pkgutil, sync.server
for m in pkgutil.walk_packages(sync.server.__path__, "sync.server."):
    if ".migrations" not in m.name:
        importlib.import_module(m.name)
from sync.server.app import create_app
from sync.server.db import Database
from sync.server.cli import build_parser
import tempfile, os
create_app(Database("sqlite:///" + os.path.join(tempfile.mkdtemp(), "s.db")))
build_parser().parse_args(["backup", "--dir", "/tmp"])
print("ok")
"""


def test_every_server_module_imports_without_the_kiosk_stack() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CODE, ",".join(KIOSK_ONLY)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]
