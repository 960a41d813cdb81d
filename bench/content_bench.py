"""Bench: verify and install a 200 MB bundle (2,000 files) and a 20 MB one, against a plain copy.

Each install is the whole kiosk pipeline in a fresh child process (so its peak
memory can be read from the kernel): TUF metadata refresh from a stick folder,
the bundle's length and SHA-256 against the signed target, the zip's structure
against the manifest, every file streamed through SHA-256 into staging, the
file system synced, the atomic switch. The plain copy copies the same files
(the bundle's source tree) with ``shutil.copytree`` in the same run; shown
without and with a final sync of the file system. Files are incompressible
(like pictures, audio and video), stored in the zip. MB/s counts the files'
bytes. Each figure is the median of several runs.

Targets (issue 12): install >= 50 MB/s and >= 0.3 of the plain copy's speed;
peak memory of the 200 MB install within 20 MB of the 20 MB install.
Last line: ``{"install_mb_s", "copy_mb_s", "peak_mb_200", "peak_mb_20", "bundle_mb"}``.

Run: .venv/bin/python bench/content_bench.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, median, table  # noqa: E402


def make_tree(root: Path, files: int, total_bytes: int) -> int:
    size = total_bytes // files
    per_dir = 100
    for i in range(files):
        d = root / "lessons" / f"l{i // per_dir:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"p{i:05d}.png").write_bytes(os.urandom(size))
    return size * files


def child(content_dir: str, root: str, bundle: str) -> int:
    from content.service import ContentService

    svc = ContentService(Path(content_dir), Path(root), "0.1.0", builtin_exercises=set())
    t0 = time.perf_counter()
    result = svc.install_path(Path(bundle))
    elapsed = time.perf_counter() - t0
    print(json.dumps({"ok": result.ok, "errors": result.errors, "seconds": elapsed}))
    return 0 if result.ok else 1


def run_child(content_dir: Path, root: Path, bundle: Path) -> tuple[float, float]:
    """(install seconds, peak RSS MB) of one install in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(content_dir), str(root), str(bundle)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"install failed: {out.decode()} {err.decode()[-2000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return float(result["seconds"]), usage.ru_maxrss / 1024.0


def syncfs(path: Path) -> None:
    from content.store import sync_tree

    sync_tree(path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller bundles (a smoke run)")
    ap.add_argument("--child", nargs=3, metavar=("CONTENT", "ROOT", "BUNDLE"))
    args = ap.parse_args()
    if args.child:
        return child(*args.child)

    from content.bundle import manifest_for_tree, write_bundle
    from content.repository import ContentRepository

    scale = 10 if args.quick else 1
    sizes = {"200": (2000 // scale, 200_000_000 // scale), "20": (200 // scale, 20_000_000 // scale)}
    work = Path(tempfile.mkdtemp(prefix="content-bench-", dir=os.environ.get("BENCH_TMP")))
    rows = []
    results: dict[str, dict[str, float]] = {}
    try:
        repo = ContentRepository(work / "repo", work / "keys")
        repo.init()
        root = repo.metadata_dir / "1.root.json"
        trees: dict[str, Path] = {}
        for label, (files, total) in sizes.items():
            tree = work / f"tree-{label}"
            payload = make_tree(tree, files, total)
            m = manifest_for_tree(tree, id=f"bench{label}", version=1, title={"zh_CN": "测试", "en": "Bench"},
                                  min_app_version="0.1.0")
            write_bundle(tree, m, work / f"bench{label}.zip")
            repo.publish(work / f"bench{label}.zip")
            trees[label] = tree
            results[label] = {"payload": payload, "files": files}
        stick = repo.export(work / "stick")
        syncfs(work)
        for label in sizes:
            bundle = stick / "targets" / "bundles" / f"bench{label}" / f"bench{label}-1.zip"
            inst, peaks, copies, copies_sync = [], [], [], []
            for r in range(args.runs):
                content = work / f"kiosk-{label}-{r}"
                secs, peak = run_child(content, root, bundle)
                inst.append(secs)
                peaks.append(peak)
                shutil.rmtree(content)
                dest = work / f"copy-{label}-{r}"
                t0 = time.perf_counter()
                shutil.copytree(trees[label], dest)
                t1 = time.perf_counter()
                syncfs(dest)
                t2 = time.perf_counter()
                copies.append(t1 - t0)
                copies_sync.append(t2 - t0)
                shutil.rmtree(dest)
            mb = results[label]["payload"] / 1e6
            res = results[label]
            res.update(install_s=median(inst), copy_s=median(copies), copy_sync_s=median(copies_sync),
                       peak_mb=median(peaks), bundle_mb=bundle.stat().st_size / 1e6)
            rows.append([f"{mb:.0f} MB / {int(res['files'])} files", f"{res['install_s']:.2f}",
                         f"{mb / res['install_s']:.0f}", f"{mb / res['copy_s']:.0f}",
                         f"{mb / res['copy_sync_s']:.0f}", f"{res['peak_mb']:.1f}",
                         " ".join(f"{x:.2f}" for x in inst)])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"content bench on {machine()}, load {os.getloadavg()[0]:.2f}; medians of {args.runs} runs")
    print(table(["bundle", "install s", "install MB/s", "copy MB/s", "copy+sync MB/s", "peak RSS MB",
                 "install runs (s)"], rows))
    big, small = results["200"], results["20"]
    install_mb_s = big["payload"] / 1e6 / big["install_s"]
    copy_mb_s = big["payload"] / 1e6 / big["copy_s"]
    print(f"install/copy = {install_mb_s / copy_mb_s:.2f} (target >= 0.3); "
          f"install {install_mb_s:.0f} MB/s (target >= 50); "
          f"peak difference {big['peak_mb'] - small['peak_mb']:.1f} MB (target <= 20)")
    print(json.dumps({"install_mb_s": round(install_mb_s, 1), "copy_mb_s": round(copy_mb_s, 1),
                      "peak_mb_200": round(big["peak_mb"], 1), "peak_mb_20": round(small["peak_mb"], 1),
                      "bundle_mb": round(big["bundle_mb"], 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
