"""The bundle file: one zip holding ``manifest.json`` first, then the files it lists.

Why this module exists: USB sticks and the network carry the same single
file, and the kiosk must open it without trusting it. Writing is
deterministic (fixed entry times, sorted paths) so a rebuild of the same
sources gives the same bytes. Reading checks everything the zip's central
directory can show before a byte is extracted (entry names, entry types, the
set of files against the manifest, declared sizes, zip-bomb limits) and then
streams each file through SHA-256 in fixed-size chunks: a bundle is never read
into memory whole. Every refusal is a ``BundleError`` whose message names the
entry and the problem.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from content.manifest import (
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    FileEntry,
    Manifest,
    ManifestError,
    UnsafePathError,
    check_path,
    parse_manifest,
)

CHUNK = 1024 * 1024
"""Bytes per read and write while streaming a file."""

STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".mp4", ".wav", ".ogg", ".mp3", ".webm")
"""Already compressed (or not worth it): stored, so installing them is a plain copy."""

_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


SMALL_FILE = 4 * 1024 * 1024
"""Files up to this size are verified in memory and written by a writer thread."""
IN_FLIGHT = 16 * 1024 * 1024
"""Most bytes verified but not yet written at any time."""
WRITERS = 4


def _create(target: Path) -> BinaryIO:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    return os.fdopen(fd, "wb", buffering=0)


def _finished(f: Future[None]) -> bool:
    if f.done():
        f.result()  # raise a writer's error now
        return True
    return False


class BundleError(ValueError):
    """The bundle is refused; the message names the problem (and the entry)."""


@dataclass(frozen=True)
class Limits:
    """Zip-bomb limits, checked on the central directory and again while streaming."""

    max_files: int = 20_000
    max_total_bytes: int = 4 * 1024**3
    max_file_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0
    """Largest allowed uncompressed/compressed size, per entry and for the whole bundle."""


DEFAULT_LIMITS = Limits()

Progress = Callable[[str, int, int], None]
"""``progress(path, bytes_done, bytes_total)`` after each chunk (totals over the bundle)."""


# -- writing -------------------------------------------------------------------------


def sha256_file(path: Path) -> tuple[int, str]:
    """(size, hex SHA-256) of a file, read in chunks."""
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            n += len(chunk)
    return n, h.hexdigest()


def tree_files(root: Path) -> list[str]:
    """Relative POSIX paths of the regular files under ``root`` (sorted), refusing anything else."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            st = full.lstat()
            if not stat.S_ISREG(st.st_mode):
                raise BundleError(f"{rel}: not a regular file (links and devices cannot go in a bundle)")
            try:
                check_path(rel)
            except UnsafePathError as exc:
                raise BundleError(str(exc)) from None
            out.append(rel)
    return out


def manifest_for_tree(root: Path, **fields: object) -> Manifest:
    """A manifest listing every file under ``root`` with size and SHA-256; ``fields`` fill the rest."""
    from content.manifest import manifest_from_json

    files = []
    for rel in tree_files(root):
        size, digest = sha256_file(root / rel)
        files.append({"path": rel, "size": size, "sha256": digest})
    obj = {"format": 1, **fields, "files": files}
    return manifest_from_json(obj)


def write_bundle(root: Path, manifest: Manifest, out: Path) -> Path:
    """Write the bundle for the tree at ``root`` (which ``manifest`` describes) to ``out`` atomically."""
    tmp = out.with_name(out.name + ".tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as z:
            info = zipfile.ZipInfo(MANIFEST_NAME, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            z.writestr(info, manifest.to_bytes())
            for entry in manifest.files:
                info = zipfile.ZipInfo(entry.path, _ZIP_TIME)
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                info.compress_type = (
                    zipfile.ZIP_STORED if entry.path.lower().endswith(STORED_SUFFIXES)
                    else zipfile.ZIP_DEFLATED
                )
                info.file_size = entry.size
                with open(root / entry.path, "rb") as src, z.open(info, "w", force_zip64=entry.size > 2**31) as dst:
                    while chunk := src.read(CHUNK):
                        dst.write(chunk)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


# -- reading -------------------------------------------------------------------------

_BAD_TYPES = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def _entry_type_problem(info: zipfile.ZipInfo) -> str | None:
    mode = (info.external_attr >> 16) & 0xFFFF
    kind = stat.S_IFMT(mode)
    if kind in _BAD_TYPES:
        return _BAD_TYPES[kind]
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return f"an entry of unknown type {oct(kind)}"
    return None


class BundleReader:
    """An opened, checked bundle. Use ``open_bundle``; close it (or use ``with``)."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, manifest: Manifest,
                 infos: dict[str, zipfile.ZipInfo]):
        self.path = path
        self._zf = zf
        self._raw = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.manifest = manifest
        self._infos = infos

    def close(self) -> None:
        self._raw.close()
        self._zf.close()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(self, entry: FileEntry, limits: Limits = DEFAULT_LIMITS) -> Iterator[bytes]:
        """Yield the entry's bytes in chunks; raise ``BundleError`` if size or hash differ."""
        info = self._infos[entry.path]
        if info.compress_type == zipfile.ZIP_STORED:
            yield from self._stream_stored(entry, info)
            return
        h = hashlib.sha256()
        n = 0
        try:
            with self._zf.open(info, "r") as f:
                while True:
                    chunk = f.read(min(CHUNK, entry.size - n + 1))
                    if not chunk:
                        break
                    n += len(chunk)
                    if n > entry.size:
                        raise BundleError(f"{entry.path}: longer than the {entry.size} bytes the manifest says")
                    h.update(chunk)
                    yield chunk
        except zipfile.BadZipFile as exc:
            raise BundleError(f"{entry.path}: damaged in the bundle ({exc})") from None
        except (EOFError, zlib.error) as exc:
            raise BundleError(f"{entry.path}: truncated or damaged in the bundle ({exc})") from None
        if n != entry.size:
            raise BundleError(f"{entry.path}: {n} bytes, the manifest says {entry.size} (truncated)")
        if h.hexdigest() != entry.sha256:
            raise BundleError(f"{entry.path}: SHA-256 differs from the manifest (file modified)")

    def _stream_stored(self, entry: FileEntry, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """A stored entry's bytes read straight from the file: SHA-256 is the check (no CRC-32 pass)."""
        if info.compress_size != info.file_size:
            raise BundleError(f"{entry.path}: damaged in the bundle (stored entry with {info.compress_size} packed and {info.file_size} unpacked bytes)")
        f = self._raw
        f.seek(info.header_offset)
        header = f.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise BundleError(f"{entry.path}: damaged in the bundle (bad local header)")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        name = f.read(name_len)
        if name.decode("utf-8", "replace") != info.filename and name.decode("cp437", "replace") != info.filename:
            raise BundleError(f"{entry.path}: damaged in the bundle (local name differs)")
        f.seek(extra_len, os.SEEK_CUR)
        h = hashlib.sha256()
        left = entry.size
        if info.file_size != entry.size:
            raise BundleError(f"{entry.path}: the zip says {info.file_size} bytes, the manifest {entry.size}")
        while left:
            chunk = f.read(min(CHUNK, left))
            if not chunk:
                raise BundleError(f"{entry.path}: {entry.size - left} bytes, the manifest says {entry.size} (truncated)")
            left -= len(chunk)
            h.update(chunk)
            yield chunk
        if h.hexdigest() != entry.sha256:
            raise BundleError(f"{entry.path}: SHA-256 differs from the manifest (file modified)")

    def extract_to(self, dest: Path, limits: Limits = DEFAULT_LIMITS,
                   progress: Progress | None = None,
                   on_file: Callable[[FileEntry], None] | None = None) -> None:
        """Extract every file into ``dest`` (which must be new), verifying each while streaming.

        Files are written with ``O_EXCL`` under ``dest`` only; nothing is
        synced here (the caller syncs the whole tree once). Reading and
        hashing stay on this thread, in order; small files (up to
        ``SMALL_FILE``) are handed to a few writer threads, because creating a
        file can block on the file system's journal for milliseconds and many
        small files would otherwise wait in line. At most ``IN_FLIGHT`` bytes
        are queued, so memory does not grow with the bundle. A file is written
        only after its bytes matched the manifest's SHA-256.
        """
        from concurrent.futures import ThreadPoolExecutor

        dest.mkdir(parents=True, exist_ok=False)
        total = self.manifest.total_size
        done = 0
        made: set[Path] = {dest}
        budget = threading.BoundedSemaphore(IN_FLIGHT // CHUNK)
        pending: list[Future[None]] = []

        def target_for(entry: FileEntry) -> Path:
            target = dest.joinpath(*entry.path.split("/"))
            parent = target.parent
            if parent not in made:
                parent.mkdir(parents=True, exist_ok=True)
                made.add(parent)
            return target

        def write_small(target: Path, data: bytes, units: int) -> None:
            try:
                with _create(target) as out:
                    out.write(data)
            finally:
                for _ in range(units):
                    budget.release()

        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="extract") as pool:
            try:
                for entry in self.manifest.files:
                    target = target_for(entry)
                    if entry.size <= SMALL_FILE:
                        data = b"".join(self.stream(entry, limits))  # verified before it is written
                        units = max(1, -(-len(data) // CHUNK))
                        for _ in range(units):
                            budget.acquire()
                        pending.append(pool.submit(write_small, target, data, units))
                        done += len(data)
                        if progress is not None:
                            progress(entry.path, done, total)
                    else:
                        with _create(target) as out:
                            for chunk in self.stream(entry, limits):
                                out.write(chunk)
                                done += len(chunk)
                                if progress is not None:
                                    progress(entry.path, done, total)
                    if on_file is not None:
                        on_file(entry)
                    if len(pending) > 256:
                        pending = [f for f in pending if not _finished(f)]
                for f in pending:
                    f.result()
            except BaseException:
                for f in pending:
                    f.cancel()
                raise

    def verify(self, limits: Limits = DEFAULT_LIMITS, progress: Progress | None = None) -> None:
        """Stream every file through its size and hash check without writing anything."""
        total = self.manifest.total_size
        done = 0
        for entry in self.manifest.files:
            for chunk in self.stream(entry, limits):
                done += len(chunk)
                if progress is not None:
                    progress(entry.path, done, total)


def _read_manifest(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BundleError(f"manifest.json is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        with zf.open(info) as f:
            data = f.read(MAX_MANIFEST_BYTES + 1)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise BundleError(f"manifest.json is damaged ({exc})") from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise BundleError(f"manifest.json is larger than {MAX_MANIFEST_BYTES} bytes")
    return data


def open_bundle(path: Path, limits: Limits = DEFAULT_LIMITS) -> BundleReader:
    """Open ``path`` and check its structure against its manifest; raise ``BundleError``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        zf = zipfile.ZipFile(path, "r")
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except zipfile.BadZipFile as exc:
        raise BundleError(f"{path.name}: not a bundle (not a zip file: {exc}; truncated?)") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        infos = _check_entries(zf, size, limits)
        data = _read_manifest(zf, infos[MANIFEST_NAME])
        try:
            manifest = parse_manifest(data)
        except ManifestError as exc:
            raise BundleError(f"manifest.json: {exc}") from None
        _check_against_manifest(manifest, infos, limits)
        return BundleReader(path, zf, manifest, infos)
    except BaseException:
        zf.close()
        raise


def _check_entries(zf: zipfile.ZipFile, bundle_size: int, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    entries = zf.infolist()
    if not entries:
        raise BundleError("empty bundle (no manifest.json)")
    if entries[0].filename != MANIFEST_NAME:
        raise BundleError(f"the first entry must be manifest.json (found {entries[0].filename!r})")
    if len(entries) > limits.max_files + 1:
        raise BundleError(f"too many entries: {len(entries) - 1} files (limit {limits.max_files})")
    infos: dict[str, zipfile.ZipInfo] = {}
    lowered: set[str] = set()
    total = 0
    for info in entries:
        name = info.filename
        problem = _entry_type_problem(info)
        if problem is not None:
            raise BundleError(f"{name!r}: {problem} (only regular files are allowed)")
        if info.flag_bits & 0x1:
            raise BundleError(f"{name!r}: encrypted entry")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleError(f"{name!r}: unsupported compression method {info.compress_type}")
        if info.is_dir():
            raise BundleError(f"{name!r}: directory entries are not allowed (folders are implicit)")
        if name != MANIFEST_NAME:
            try:
                check_path(name)
            except UnsafePathError as exc:
                raise BundleError(f"unsafe path: {exc}") from None
        if name.lower() in lowered:
            raise BundleError(f"{name!r}: appears twice in the bundle")
        lowered.add(name.lower())
        if info.file_size > limits.max_file_bytes:
            raise BundleError(f"{name!r}: {info.file_size} bytes, over the per-file limit of {limits.max_file_bytes}")
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise BundleError(
                f"{name!r}: compression ratio {info.file_size / max(info.compress_size, 1):.0f}:1 "
                f"over the limit {limits.max_ratio:.0f}:1 (zip bomb?)")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise BundleError(f"unpacked size over the limit of {limits.max_total_bytes} bytes (zip bomb?)")
        infos[name] = info
    if total > 1024 * 1024 and total > limits.max_ratio * max(bundle_size, 1):
        raise BundleError(f"unpacked size {total} is over {limits.max_ratio:.0f} times the bundle's size (zip bomb?)")
    return infos


def _check_against_manifest(manifest: Manifest, infos: dict[str, zipfile.ZipInfo], limits: Limits) -> None:
    if len(manifest.files) > limits.max_files:
        raise BundleError(f"manifest lists {len(manifest.files)} files (limit {limits.max_files})")
    if manifest.total_size > limits.max_total_bytes:
        raise BundleError(f"manifest's files add up to {manifest.total_size} bytes, over the limit")
    listed = {f.path for f in manifest.files}
    present = set(infos) - {MANIFEST_NAME}
    extra = sorted(present - listed)
    if extra:
        raise BundleError(f"extra file not in the manifest: {extra[0]}" + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""))
    missing = sorted(listed - present)
    if missing:
        raise BundleError(f"file missing from the bundle: {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    for f in manifest.files:
        if infos[f.path].file_size != f.size:
            raise BundleError(f"{f.path}: the zip says {infos[f.path].file_size} bytes, the manifest {f.size} (file modified)")


def read_manifest_only(path: Path, limits: Limits = DEFAULT_LIMITS) -> Manifest:
    with open_bundle(path, limits) as b:
        return b.manifest
