"""The central server's content route: the TUF repository as static files with HTTP Range.

Why this module exists: kiosks fetch metadata and bundles from
``<server>/content/metadata/...`` and ``<server>/content/targets/...``. The
files are static (signed by the maintainer's tools), so any static file
server or object store can serve the same tree; this router is for a
community that runs only the central server. Starlette's ``FileResponse``
answers ``Range`` requests (206), which is what a kiosk resuming a download
sends. Only files under ``metadata/`` and ``targets/`` are served; names
are resolved inside the repository folder (no ``..``, no links out).

Plug it into the app factory with::

    from content.server_routes import content_router
    app.include_router(content_router(repo_dir))
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

SERVED_DIRS = ("metadata", "targets")


def resolve(repo_dir: Path, path: str) -> Path | None:
    """The file for a request path, or None if it is not a servable repository file."""
    parts = path.split("/")
    if not parts or parts[0] not in SERVED_DIRS or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    if any(p.endswith(".tmp") for p in parts):
        return None
    root = repo_dir.resolve()
    full = (repo_dir / path).resolve()
    if root not in full.parents or not full.is_file():
        return None
    return full


def content_router(repo_dir: Path, prefix: str = "/content") -> APIRouter:
    """A router serving ``repo_dir`` (made by ``kiosk-server content init``) under ``prefix``."""
    repo_dir = Path(repo_dir)
    router = APIRouter(prefix=prefix, tags=["content"])

    @router.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def repository_file(path: str) -> FileResponse:
        full = resolve(repo_dir, path)
        if full is None:
            raise HTTPException(status_code=404, detail="not found")
        # metadata changes in place: always revalidate; bundles never change (versioned names)
        cache = "no-cache" if path.startswith("metadata/") or path.endswith("index.json") else "public, max-age=86400"
        media = "application/json" if full.suffix == ".json" else "application/zip"
        return FileResponse(full, media_type=media, headers={"Cache-Control": cache})

    return router
