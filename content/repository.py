"""The maintainer's content repository: TUF metadata signed with tuf.api.metadata.

Why this module exists: kiosks trust content only through metadata signed
with The Update Framework (python-tuf), never through a home-made scheme. This
module is the repository side: ``init`` makes the keys and the first root,
``publish`` adds a bundle file as a TUF target and re-signs targets, snapshot
and timestamp, ``refresh`` re-signs them with a fresh expiry, ``export``
copies the repository (metadata and the newest bundle of each id) onto a USB
stick, ``rotate_key`` replaces a role's key through a new root version.

Layout (served as static files under ``/content/`` by the server, or by any
static file server or object store)::

    <repo>/metadata/1.root.json, 2.root.json, ...   every root version (clients walk the chain)
    <repo>/metadata/root.json                        the newest root
    <repo>/metadata/{timestamp,snapshot,targets}.json
    <repo>/targets/index.json                        the newest version of each bundle (a TUF target)
    <repo>/targets/bundles/<id>/<id>-<version>.zip   the bundles (TUF targets)

Private keys live in a separate keys folder, one PEM file per key named by
its key id, never under the served folder.

Expiry: targets, snapshot and timestamp are signed for ``EXPIRY_DAYS`` = 61
days, so a stick exported (which re-signs) 60 days ago still installs on a
kiosk that has been offline all that time, and older metadata is refused.
Root is signed for two years; ``refresh`` and ``rotate_key`` extend it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from content.bundle import BundleError, read_manifest_only
from content.manifest import Manifest

EXPIRY_DAYS = 61
"""targets/snapshot/timestamp lifetime: a stick prepared 60 days ago still installs."""
ROOT_EXPIRY_DAYS = 730
INDEX_PATH = "index.json"
INDEX_FORMAT = 1
KEEP_VERSIONS = 2
"""Bundle versions kept in the repository per id (the newest and the one before)."""
ROLES = ("root", "targets", "snapshot", "timestamp")
STICK_DIR = "community-kiosk-content"
"""The folder ``export`` writes on a stick; the kiosk looks for it on mounted media."""

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class RepositoryError(Exception):
    """A maintainer-side problem, with a one-line message."""


def bundle_target_path(bundle_id: str, version: int) -> str:
    return f"bundles/{bundle_id}/{bundle_id}-{version}.zip"


def _write_json(path: Path, md: Metadata[Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    md.to_file(str(tmp), serializer=JSONSerializer(compact=False))
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ContentRepository:
    """A TUF repository on disk plus the folder of private keys that sign it."""

    def __init__(self, repo_dir: Path, keys_dir: Path, clock: Clock = utcnow):
        self.repo_dir = Path(repo_dir)
        self.keys_dir = Path(keys_dir)
        self.clock = clock
        self.metadata_dir = self.repo_dir / "metadata"
        self.targets_dir = self.repo_dir / "targets"

    # -- keys -----------------------------------------------------------------------

    def _new_key(self) -> CryptoSigner:
        signer = CryptoSigner.generate_ed25519()
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.keys_dir, 0o700)
        path = self.keys_dir / f"{signer.public_key.keyid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(signer.private_bytes)
            f.flush()
            os.fsync(f.fileno())
        return signer

    def _load_key(self, keyid: str) -> CryptoSigner | None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        path = self.keys_dir / f"{keyid}.pem"
        if not path.exists():
            return None
        try:
            priv = load_pem_private_key(path.read_bytes(), None)
        except (ValueError, TypeError, OSError) as exc:
            raise RepositoryError(f"{path}: not a usable private key ({exc})") from None
        signer = CryptoSigner(priv)
        if signer.public_key.keyid != keyid:
            raise RepositoryError(f"{path}: key id does not match its file name")
        return signer

    def signers(self, role: str, root: Root | None = None) -> list[Signer]:
        """The private keys for ``role`` found in the keys folder."""
        root = root or self.root().signed
        out: list[Signer] = []
        for keyid in root.roles[role].keyids:
            s = self._load_key(keyid)
            if s is not None:
                out.append(s)
        return out

    # -- reading --------------------------------------------------------------------

    def _path(self, role: str) -> Path:
        return self.metadata_dir / f"{role}.json"

    def exists(self) -> bool:
        return self._path("root").exists()

    def _load(self, role: str) -> Metadata[Any]:
        path = self._path(role)
        if not path.exists():
            raise RepositoryError(
                f"no repository at {self.repo_dir} (run `kiosk-server content init` first)")
        try:
            return Metadata.from_file(str(path))
        except Exception as exc:  # DeserializationError and friends: one line for the maintainer
            raise RepositoryError(f"{path}: unreadable metadata ({exc})") from None

    def root(self) -> Metadata[Root]:
        return self._load("root")

    def targets(self) -> Metadata[Targets]:
        return self._load("targets")

    def index(self) -> dict[str, Any]:
        path = self.targets_dir / INDEX_PATH
        if not path.exists():
            return {"format": INDEX_FORMAT, "bundles": {}}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    # -- writing --------------------------------------------------------------------

    def _expires(self, days: int) -> datetime:
        return (self.clock() + timedelta(days=days)).replace(microsecond=0)

    def _sign_and_write(self, md: Metadata[Any], role: str, signers: list[Signer] | None = None,
                        root: Root | None = None) -> None:
        md.signatures.clear()
        signers = self.signers(role, root) if signers is None else signers
        root_obj = root or self.root().signed
        threshold = root_obj.roles[role].threshold
        if len(signers) < threshold:
            raise RepositoryError(
                f"{role}: {len(signers)} of the {threshold} keys needed are in {self.keys_dir}")
        for s in signers:
            md.sign(s, append=True)
        _write_json(self._path(role), md)

    def init(self, threshold: int = 1, keys: int | None = None, force: bool = False) -> Metadata[Root]:
        """Make keys and version 1 of every role; root and targets need ``threshold`` signatures."""
        if self.exists() and not force:
            raise RepositoryError(f"a repository already exists at {self.repo_dir}")
        keys = keys or threshold
        if not 1 <= threshold <= keys <= 10:
            raise RepositoryError("need 1 <= threshold <= keys <= 10")
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        root = Root(expires=self._expires(ROOT_EXPIRY_DAYS), consistent_snapshot=False)
        for role in ROLES:
            n = keys if role in ("root", "targets") else 1
            for _ in range(n):
                root.add_key(self._new_key().public_key, role)
            root.roles[role].threshold = threshold if role in ("root", "targets") else 1
        root_md = Metadata(root)
        root_md.signatures.clear()
        for s in self.signers("root", root):
            root_md.sign(s, append=True)
        _write_json(self.metadata_dir / "1.root.json", root_md)
        _write_json(self._path("root"), root_md)
        self._write_index({"format": INDEX_FORMAT, "bundles": {}})
        targets = Metadata(Targets(expires=self._expires(EXPIRY_DAYS)))
        self._add_index_target(targets.signed)
        self._sign_and_write(targets, "targets", root=root)
        self._resign_snapshot_timestamp(root=root)
        return root_md

    def _write_index(self, index: dict[str, Any]) -> None:
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        _atomic_bytes(self.targets_dir / INDEX_PATH,
                      (json.dumps(index, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode())

    def _add_index_target(self, targets: Targets) -> None:
        targets.targets[INDEX_PATH] = TargetFile.from_file(INDEX_PATH, str(self.targets_dir / INDEX_PATH))

    def _resign_snapshot_timestamp(self, root: Root | None = None) -> None:
        targets = self.targets()
        snap_path = self._path("snapshot")
        if snap_path.exists():
            snapshot: Metadata[Snapshot] = self._load("snapshot")
            snapshot.signed.version += 1
        else:
            snapshot = Metadata(Snapshot(expires=self._expires(EXPIRY_DAYS)))
        snapshot.signed.expires = self._expires(EXPIRY_DAYS)
        snapshot.signed.meta["targets.json"] = MetaFile(version=targets.signed.version)
        self._sign_and_write(snapshot, "snapshot", root=root)
        ts_path = self._path("timestamp")
        if ts_path.exists():
            ts: Metadata[Timestamp] = self._load("timestamp")
            ts.signed.version += 1
        else:
            ts = Metadata(Timestamp(expires=self._expires(EXPIRY_DAYS)))
        ts.signed.expires = self._expires(EXPIRY_DAYS)
        ts.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
        self._sign_and_write(ts, "timestamp", root=root)

    def _bump_targets(self, change: Callable[[Targets], None], signers: list[Signer] | None = None) -> None:
        targets = self.targets()
        change(targets.signed)
        targets.signed.version += 1
        targets.signed.expires = self._expires(EXPIRY_DAYS)
        self._sign_and_write(targets, "targets", signers=signers)
        self._resign_snapshot_timestamp()

    def publish(self, bundle: Path) -> Manifest:
        """Add ``bundle`` (a newer version than any published) and re-sign; return its manifest."""
        try:
            manifest = read_manifest_only(Path(bundle))
        except BundleError as exc:
            raise RepositoryError(f"{bundle}: {exc}") from None
        self.root()  # the repository must exist
        index = self.index()
        entry = index["bundles"].get(manifest.id)
        if entry and manifest.version <= int(entry["version"]):
            raise RepositoryError(
                f"{manifest.id}: version {manifest.version} is not newer than the published "
                f"{entry['version']} (versions only go up)")
        self.add_bundle_target(bundle, manifest.id, manifest.version, {
            "title": manifest.title,
            "min_app_version": manifest.min_app_version,
            "lessons": list(manifest.lessons),
            "exercises": list(manifest.exercises),
        })
        return manifest

    def add_bundle_target(self, bundle: Path, bundle_id: str, version: int,
                          info: dict[str, Any]) -> str:
        """Copy ``bundle`` in as a signed target and make it the newest of ``bundle_id``.

        ``publish`` checks the bundle first; this does not (tests use it to sign
        deliberately bad bundles, as a compromised build machine could).
        """
        index = self.index()
        entry = index["bundles"].get(bundle_id)
        rel = bundle_target_path(bundle_id, version)
        dest = self.targets_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.copyfile(bundle, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        old_versions = sorted(int(v) for v in (entry or {}).get("versions", []) if int(v) != version)
        versions = sorted(old_versions + [version])[-KEEP_VERSIONS:]
        dropped = [v for v in old_versions if v not in versions]
        index["bundles"][bundle_id] = {
            "version": version, "versions": versions, "path": rel,
            "size": dest.stat().st_size, **info,
        }
        self._write_index(index)

        def change(t: Targets) -> None:
            tf = TargetFile.from_file(rel, str(dest))
            tf.unrecognized_fields["custom"] = {"bundle": {"id": bundle_id, "version": version}}
            t.targets[rel] = tf
            for v in dropped:
                t.targets.pop(bundle_target_path(bundle_id, v), None)
            self._add_index_target(t)

        self._bump_targets(change)
        for v in dropped:
            (self.targets_dir / bundle_target_path(bundle_id, v)).unlink(missing_ok=True)
        return rel

    def refresh(self) -> None:
        """Re-sign targets, snapshot and timestamp with a fresh expiry (and root if under 6 months)."""
        root = self.root()
        if root.signed.expires - self.clock() < timedelta(days=180):
            self._new_root(lambda r: None)
        self._bump_targets(lambda t: None)

    def _new_root(self, change: Callable[[Root], None]) -> Metadata[Root]:
        old = self.root()
        old_signers = self.signers("root", old.signed)
        new = self.root()
        change(new.signed)
        new.signed.version += 1
        new.signed.expires = self._expires(ROOT_EXPIRY_DAYS)
        new.signatures.clear()
        # signed by the old root keys (so clients accept it) and the new ones (its own threshold)
        seen: set[str] = set()
        for s in old_signers + self.signers("root", new.signed):
            if s.public_key.keyid not in seen:
                new.sign(s, append=True)
                seen.add(s.public_key.keyid)
        if len([k for k in new.signed.roles["root"].keyids if k in seen]) < new.signed.roles["root"].threshold:
            raise RepositoryError("not enough root keys to sign the new root")
        _write_json(self.metadata_dir / f"{new.signed.version}.root.json", new)
        _write_json(self._path("root"), new)
        return new

    def rotate_key(self, role: str) -> str:
        """Replace every key of ``role`` by a new one (a new root version); return the new key id."""
        if role not in ROLES:
            raise RepositoryError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
        signer = self._new_key()

        def change(r: Root) -> None:
            for keyid in list(r.roles[role].keyids):
                r.revoke_key(keyid, role)
            r.add_key(signer.public_key, role)
            r.roles[role].threshold = 1

        self._new_root(change)
        # every role signed by the rotated key is re-signed under the new root
        if role == "targets":
            self._bump_targets(lambda t: None)
        elif role in ("snapshot", "timestamp"):
            self._resign_snapshot_timestamp()
        return signer.public_key.keyid

    def export(self, dest: Path, bundle_ids: list[str] | None = None) -> Path:
        """Re-sign (fresh expiry), then copy metadata and the newest bundles to ``dest/STICK_DIR``."""
        self.refresh()
        out = Path(dest) / STICK_DIR
        tmp = Path(dest) / (STICK_DIR + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        (tmp / "metadata").mkdir(parents=True)
        for p in sorted(self.metadata_dir.glob("*.json")):
            shutil.copyfile(p, tmp / "metadata" / p.name)
        (tmp / "targets").mkdir()
        shutil.copyfile(self.targets_dir / INDEX_PATH, tmp / "targets" / INDEX_PATH)
        index = self.index()
        wanted = bundle_ids or sorted(index["bundles"])
        for bid in wanted:
            if bid not in index["bundles"]:
                shutil.rmtree(tmp)
                raise RepositoryError(f"no published bundle {bid!r}")
            rel = index["bundles"][bid]["path"]
            (tmp / "targets" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.targets_dir / rel, tmp / "targets" / rel)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
        if hasattr(os, "sync"):
            os.sync()  # a stick is pulled out right after: make the bytes reach it
        return out
