"""The kiosk config's ``[content]`` section: trusted root, repository URL, USB mount roots.

Why this module exists: the kiosk config names the root of trust and where
content comes from; the section is defined next to the code that uses it and
plugged into ``kiosk.config.Config`` as ``content: ContentSection``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MOUNT_ROOTS = ("/media", "/run/media", "/mnt")


class ContentSection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    trusted_root: str = ""
    """The repository's root metadata (``root.json`` from ``kiosk-server content init``);
    empty = ``<data dir>/content/trusted-root.json``."""
    repository_url: str = Field(default="", pattern=r"^$|^off$|^https?://\S+$")
    """Base URL of the content repository (``.../metadata/``, ``.../targets/`` below it):
    the central server's ``<server_url>/content`` or any static file server; empty = the
    sync server's ``/content``; ``off`` = no network updates."""
    check_interval_s: Annotated[float, Field(ge=60, le=7 * 86400)] = 6 * 3600.0
    auto_install: bool = True
    """Install newer bundles found on the network without asking."""
    usb_mount_roots: list[str] = Field(default_factory=lambda: list(DEFAULT_MOUNT_ROOTS))
    """Folders under which USB sticks are mounted (polled when udev is not available)."""
    usb_poll_s: Annotated[float, Field(ge=0.2, le=60)] = 2.0
    download_timeout_s: Annotated[float, Field(gt=0, le=600)] = 30.0


def trusted_root_path(section: ContentSection, content_dir: Path) -> Path:
    if section.trusted_root:
        return Path(section.trusted_root).expanduser()
    return content_dir / "trusted-root.json"


def repository_url(section: ContentSection, server_url: str) -> str | None:
    if section.repository_url == "off":
        return None
    if section.repository_url:
        return section.repository_url.rstrip("/")
    return server_url.rstrip("/") + "/content"
