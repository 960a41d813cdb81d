"""Every place under a kiosk's data directory, named once.

Why this module exists: the store, the community key, installed content,
voice clips, logs and the sync token all live under one writable directory,
and the app, the CLI commands, the development server and the tests must agree
on where. Before this module each of them spelt the paths as string literals.
Kivy-free and dependency-free (platformdirs only), so ``kiosk-server run
--dev`` can use it too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "community-kiosk"
DATA_DIR_ENV = "KIOSK_DATA_DIR"


def default_data_dir() -> Path:
    """``$KIOSK_DATA_DIR``, else the user data directory (``~/.local/share/community-kiosk``)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


@dataclass(frozen=True)
class DataLayout:
    """The paths under one data directory. Nothing is created until a caller writes."""

    root: Path

    @classmethod
    def default(cls) -> DataLayout:
        return cls(default_data_dir())

    @property
    def store(self) -> Path:
        """The local record store (month segment files)."""
        return self.root / "store"

    @property
    def in_progress(self) -> Path:
        """The session being measured right now, checkpointed while it runs
        (``kiosk/system/checkpoint.py``); saved as partial at the next start after a crash."""
        return self.root / "in-progress"

    @property
    def community_key(self) -> Path:
        """The community key that makes card pseudonyms equal on every kiosk of a community."""
        return self.root / "community-key"

    @property
    def residents(self) -> Path:
        """Resident profiles and login codes kept on this kiosk."""
        return self.root / "residents"

    @property
    def content(self) -> Path:
        """Installed content bundles (lessons, exercise programs, voice packs)."""
        return self.root / "content"

    @property
    def voice(self) -> Path:
        """Recorded voice clips: ``voice/<lang>/<key>.wav``."""
        return self.content / "voice"

    @property
    def exercises(self) -> Path:
        """Exercise definitions installed from content bundles."""
        return self.content / "exercises"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def sync_token(self) -> Path:
        return self.root / "sync-token"

    @property
    def sync_state(self) -> Path:
        """The sync client's last success and last error, kept across restarts."""
        return self.root / "sync-state.json"

    @property
    def community(self) -> Path:
        """The last community feed from the server and its announcements' pictures."""
        return self.root / "community"

    @property
    def kivy_home(self) -> Path:
        """Kivy's own settings (``KIVY_HOME``), so a read-only home directory is fine."""
        return self.root / "kivy"

    @property
    def dev_server(self) -> Path:
        """The database of ``kiosk-server run --dev`` (``make run``)."""
        return self.root / "dev-server"
