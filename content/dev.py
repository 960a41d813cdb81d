"""``make run``'s content step: a local signed repository with the sample bundle, installed.

Why this module exists: a developer's kiosk should show real lessons, and
they must arrive the way they do on a real kiosk (TUF-signed, through the
one install pipeline). ``python -m content.dev BUNDLE`` makes a repository
with keys under ``<kiosk data dir>/dev-server/content/`` (once), publishes the
bundle if it is newer than what is published, puts the repository's root
where the kiosk's default config looks for it
(``<data dir>/content/trusted-root.json``) if none is there, and installs from
the repository folder. Safe to run again: an installed version is left alone.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from content.bundle import BundleError, read_manifest_only
from content.repository import ContentRepository, RepositoryError
from content.service import ContentService


def dev_install(bundle: Path, data_dir: Path, app_version: str) -> int:
    repo_root = data_dir / "dev-server" / "content"
    repo = ContentRepository(repo_root / "repo", repo_root / "keys")
    try:
        manifest = read_manifest_only(bundle)
        if not repo.exists():
            repo.init()
            print(f"content: made a development repository in {repo_root}")
        published = repo.index()["bundles"].get(manifest.id)
        if published is None or int(published["version"]) < manifest.version:
            repo.publish(bundle)
            print(f"content: published {manifest.id} version {manifest.version}")
        else:
            repo.refresh()  # keep the metadata from expiring on a long-lived dev machine
    except (BundleError, RepositoryError) as exc:
        print(f"content: error: {exc}", file=sys.stderr)
        return 1
    content_dir = data_dir / "content"
    trusted = content_dir / "trusted-root.json"
    if not trusted.exists():
        content_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo.metadata_dir / "1.root.json", trusted)
    svc = ContentService(content_dir, trusted, app_version)
    svc.start()
    result = svc.install_path(repo.repo_dir)
    for r in result.reports:
        print("content: " + "\n  ".join(r.lines()))
    if not result.reports and not result.errors:
        print(f"content: {manifest.id} version {manifest.version} is installed")
    for e in result.errors:
        print(f"content: error: {e}", file=sys.stderr)
    return 1 if result.errors else 0


def main(argv: list[str] | None = None) -> int:
    from kiosk import __version__
    from kiosk.config.data_layout import default_data_dir

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m content.dev BUNDLE", file=sys.stderr)
        return 2
    return dev_install(Path(args[0]), default_data_dir(), __version__)


if __name__ == "__main__":
    sys.exit(main())
