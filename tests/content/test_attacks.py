"""One test per attack on the bundle pipeline: each refused with a clear message, old content active.

Every test installs a good bundle first (version 1), then offers the attack
through the same path a kiosk uses (a stick folder written by export-usb, or
a bundle file in it), and checks the message and that version 1 is still
what the kiosk shows, file for file.
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata

from content.bundle import Limits
from content.manifest import MANIFEST_NAME
from content.repository import STICK_DIR
from content.service import ContentService
from tests.content.helpers import (
    APP_VERSION,
    Setup,
    TreeSpec,
    builtin_names,
    chair_squat_toml,
    lesson_json,
    make_bundle,
    make_setup,
    wav_bytes,
)


def installed(setup: Setup) -> dict[str, int]:
    return {k: b.version for k, b in setup.kiosk.store.state().bundles.items()}


def assert_v1_intact(setup: Setup) -> None:
    """Version 1 of ``demo`` is active and every file the kiosk reads is the original."""
    assert installed(setup) == {"demo": 1}
    content = setup.kiosk.store.root
    lesson = json.loads((content / "lessons" / "l1" / "lesson.json").read_text(encoding="utf-8"))
    assert lesson["id"] == "l1"
    assert (content / "voice" / "en" / "count.1.wav").read_bytes() == wav_bytes()
    assert not any((content / "staging").iterdir())


@pytest.fixture
def v1(setup: Setup) -> Setup:
    setup.publish(make_bundle(setup.tmp, "demo", 1))
    setup.export()
    result = setup.kiosk.install_path(setup.stick)
    assert result.ok, result.errors
    assert_v1_intact(setup)
    return setup


def stick_targets(setup: Setup) -> Path:
    return setup.stick / STICK_DIR / "targets"


def offer(setup: Setup, bundle: Path, version: int = 2, bundle_id: str = "demo") -> list[str]:
    """Sign ``bundle`` as demo version 2 (no checks, as a compromised build machine could), export, install."""
    setup.repo.add_bundle_target(bundle, bundle_id, version, {"title": {"zh_CN": "x", "en": "x"},
                                                              "min_app_version": "0.1.0"})
    setup.export()
    result = setup.kiosk.install_path(setup.stick)
    return result.errors


def refused(errors: list[str], *needles: str) -> str:
    assert errors, "the bundle was accepted"
    text = " | ".join(errors)
    for n in needles:
        assert n.lower() in text.lower(), f"{n!r} not in {text!r}"
    assert "Traceback" not in text
    return text


def last_failure(setup: Setup) -> str:
    st = setup.kiosk.status()
    assert st.failures, "no failure recorded in the status"
    return st.failures[-1].reason


def craft_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for info, data in entries:
            z.writestr(info, data)
    return path


def good_entries(tmp: Path, version: int = 2) -> tuple[dict[str, object], list[tuple[zipfile.ZipInfo | str, bytes]]]:
    """The manifest (as a dict) and the entries of a valid demo bundle."""
    b = make_bundle(tmp / f"src{version}", "demo", version)
    with zipfile.ZipFile(b) as z:
        entries: list[tuple[zipfile.ZipInfo | str, bytes]] = [(i.filename, z.read(i)) for i in z.infolist()]
    manifest = json.loads(entries[0][1])
    return manifest, entries


def with_manifest(manifest: dict[str, object], entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> list[tuple[zipfile.ZipInfo | str, bytes]]:
    return [(MANIFEST_NAME, json.dumps(manifest).encode())] + entries[1:]


def add_file(manifest: dict[str, object], path: str, data: bytes) -> None:
    files = manifest["files"]
    assert isinstance(files, list)
    files.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


# -- signatures ----------------------------------------------------------------------


def resign_snapshot_and_timestamp(setup: Setup) -> None:
    setup.repo._resign_snapshot_timestamp()


def tamper_targets(setup: Setup, how: str) -> None:
    """Publish v2, then damage the signatures on targets.json (snapshot/timestamp re-signed properly)."""
    setup.publish(make_bundle(setup.tmp, "demo", 2))
    path = setup.repo.metadata_dir / "targets.json"
    md = Metadata.from_file(str(path))
    if how == "unsigned":
        md.signatures.clear()
    elif how == "wrong":
        for keyid, sig in md.signatures.items():
            sig.signature = ("00" if sig.signature[:2] != "00" else "11") + sig.signature[2:]
            md.signatures[keyid] = sig
    elif how == "untrusted":
        from securesystemslib.signer import CryptoSigner

        md.signatures.clear()
        md.sign(CryptoSigner.generate_ed25519())
    md.to_file(str(path))
    resign_snapshot_and_timestamp(setup)
    setup.export_raw = True  # type: ignore[attr-defined]


def export_without_resigning(setup: Setup) -> Path:
    """Copy the repository to the stick as it is (``export`` would re-sign the damage away)."""
    import shutil

    out = setup.stick / STICK_DIR
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(setup.repo.repo_dir, out)
    return out


@pytest.mark.parametrize("how", ["unsigned", "wrong", "untrusted"])
def test_bad_signatures_refused(v1: Setup, how: str) -> None:
    tamper_targets(v1, how)
    export_without_resigning(v1)
    errors = v1.kiosk.install_path(v1.stick).errors
    refused(errors, "signature", "targets")
    assert_v1_intact(v1)
    assert "signature" in last_failure(v1)


def test_threshold_of_two(tmp_path: Path) -> None:
    s = make_setup(tmp_path, threshold=2, keys=3)
    root = Metadata.from_file(str(s.repo.metadata_dir / "root.json"))
    assert root.signed.roles["targets"].threshold == 2 and len(root.signed.roles["targets"].keyids) == 3
    assert root.signed.roles["root"].threshold == 2
    s.publish(make_bundle(tmp_path, "demo", 1))
    s.export()
    assert s.kiosk.install_path(s.stick).ok
    # version 2 signed by only one of the targets keys
    s.repo.publish(make_bundle(tmp_path, "demo", 2))
    targets = s.repo.targets()
    targets.signatures.clear()
    targets.sign(s.repo.signers("targets")[0])
    targets.to_file(str(s.repo.metadata_dir / "targets.json"))
    s.repo._resign_snapshot_timestamp()
    export_without_resigning(s)
    errors = s.kiosk.install_path(s.stick).errors
    text = refused(errors, "not enough valid signatures")
    assert "1/2" in text
    assert installed(s) == {"demo": 1}
    # two of three signatures are enough
    targets.sign(s.repo.signers("targets")[1], append=True)
    targets.to_file(str(s.repo.metadata_dir / "targets.json"))
    s.repo._resign_snapshot_timestamp()
    export_without_resigning(s)
    result = s.kiosk.install_path(s.stick)
    assert result.ok, result.errors
    assert installed(s) == {"demo": 2}


def test_key_rotation_followed_by_kiosk(v1: Setup) -> None:
    """The targets key is replaced through root version 2; a kiosk that trusts root 1 follows."""
    old = v1.repo.root().signed.roles["targets"].keyids
    new_id = v1.repo.rotate_key("targets")
    assert v1.repo.root().signed.version == 2 and new_id not in old
    v1.publish(make_bundle(v1.tmp, "demo", 2))
    v1.export()
    result = v1.kiosk.install_path(v1.stick)
    assert result.ok, result.errors
    assert installed(v1) == {"demo": 2}
    # metadata signed with the revoked key is now refused
    from tuf.api.metadata import Metadata as M

    v1.publish(make_bundle(v1.tmp, "demo", 3))
    targets = M.from_file(str(v1.repo.metadata_dir / "targets.json"))
    targets.signatures.clear()
    targets.sign(v1.repo._load_key(old[0]))  # type: ignore[arg-type]
    targets.to_file(str(v1.repo.metadata_dir / "targets.json"))
    v1.repo._resign_snapshot_timestamp()
    export_without_resigning(v1)
    refused(v1.kiosk.install_path(v1.stick).errors, "signature")
    assert installed(v1) == {"demo": 2}


# -- time: expiry, freeze and rollback -----------------------------------------------


def test_stick_prepared_60_days_ago_installs_older_is_refused(tmp_path: Path) -> None:
    s = make_setup(tmp_path)
    s.publish(make_bundle(tmp_path, "demo", 1))
    s.export()  # prepared now
    s.clock.advance(60)  # the kiosk has been offline for 60 days; the stick is 60 days old
    result = s.kiosk.install_path(s.stick)
    assert result.ok, result.errors
    # a second kiosk offered the same stick a few days later refuses it
    other = ContentService(tmp_path / "kiosk2", s.kiosk.trusted_root, APP_VERSION, clock=s.clock,
                           builtin_exercises=builtin_names())
    s.clock.advance(2)
    errors = other.install_path(s.stick).errors
    refused(errors, "expired")
    assert other.store.state().bundles == {}


def test_frozen_timestamp_refused(v1: Setup) -> None:
    """A source that keeps serving the same (once valid) metadata is refused once it expires."""
    v1.clock.advance(62)
    errors = v1.kiosk.install_path(v1.stick).errors
    refused(errors, "expired")
    assert_v1_intact(v1)


def test_metadata_rollback_refused(v1: Setup) -> None:
    """After seeing newer metadata, an older stick (lower timestamp version) is refused."""
    import shutil

    old_stick = v1.tmp / "old-stick"
    shutil.copytree(v1.stick, old_stick)
    v1.publish(make_bundle(v1.tmp, "demo", 2))
    v1.export()
    assert v1.kiosk.install_path(v1.stick).ok
    errors = v1.kiosk.install_path(old_stick).errors
    refused(errors, "rollback")
    assert installed(v1) == {"demo": 2}


def test_bundle_version_rollback_refused(v1: Setup) -> None:
    """A signed, older version of an installed bundle is refused (versions only go up)."""
    v1.publish(make_bundle(v1.tmp, "demo", 2))
    v1.export()
    assert v1.kiosk.install_path(v1.stick).ok
    old = stick_targets(v1) / "bundles" / "demo" / "demo-1.zip"
    import shutil

    shutil.copyfile(v1.repo.targets_dir / "bundles" / "demo" / "demo-1.zip", old)
    errors = v1.kiosk.install_path(old).errors
    refused(errors, "older than the installed version 2", "rollback")
    assert installed(v1) == {"demo": 2}


def test_same_version_is_not_reinstalled(v1: Setup) -> None:
    bundle = stick_targets(v1) / "bundles" / "demo" / "demo-1.zip"
    refused(v1.kiosk.install_path(bundle).errors, "already installed")
    assert_v1_intact(v1)


# -- the bundle file against its signed target ----------------------------------------


def test_bundle_modified_after_signing(v1: Setup) -> None:
    v1.publish(make_bundle(v1.tmp, "demo", 2))
    v1.export()
    f = stick_targets(v1) / "bundles" / "demo" / "demo-2.zip"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    refused(v1.kiosk.install_path(v1.stick).errors, "does not match the signed metadata")
    assert_v1_intact(v1)


def test_truncated_bundle(v1: Setup) -> None:
    v1.publish(make_bundle(v1.tmp, "demo", 2))
    v1.export()
    f = stick_targets(v1) / "bundles" / "demo" / "demo-2.zip"
    f.write_bytes(f.read_bytes()[:-100])
    refused(v1.kiosk.install_path(v1.stick).errors, "truncated")
    assert_v1_intact(v1)


def test_bundle_missing_from_stick(v1: Setup) -> None:
    v1.publish(make_bundle(v1.tmp, "demo", 2))
    v1.export()
    (stick_targets(v1) / "bundles" / "demo" / "demo-2.zip").unlink()
    refused(v1.kiosk.install_path(v1.stick).errors, "demo-2.zip", "not on the stick")
    assert_v1_intact(v1)


def test_bundle_without_metadata(v1: Setup) -> None:
    loose = v1.tmp / "loose" / "demo-2.zip"
    loose.parent.mkdir()
    loose.write_bytes(make_bundle(v1.tmp, "demo", 2).read_bytes())
    refused(v1.kiosk.install_path(loose).errors, "no signed metadata")
    assert_v1_intact(v1)


# -- inside a signed bundle: what a compromised build could produce -------------------


def test_file_modified_inside_signed_bundle(v1: Setup) -> None:
    manifest, entries = good_entries(v1.tmp)
    entries = [(n, (b"X" + d[1:]) if n == "lessons/l1/slide1.png" else d) for n, d in entries]
    text = refused(offer(v1, craft_zip(v1.tmp / "bad.zip", entries)), "lessons/l1/slide1.png", "SHA-256")
    assert "modified" in text
    assert_v1_intact(v1)


def test_file_missing_from_bundle(v1: Setup) -> None:
    _m, entries = good_entries(v1.tmp)
    entries = [e for e in entries if e[0] != "voice/en/count.1.wav"]
    refused(offer(v1, craft_zip(v1.tmp / "bad.zip", entries)), "missing", "voice/en/count.1.wav")
    assert_v1_intact(v1)


def test_extra_file_in_bundle(v1: Setup) -> None:
    _m, entries = good_entries(v1.tmp)
    entries.append(("lessons/l1/extra.png", b"surprise"))
    refused(offer(v1, craft_zip(v1.tmp / "bad.zip", entries)), "extra file", "lessons/l1/extra.png")
    assert_v1_intact(v1)


@pytest.mark.parametrize("name,needle", [
    ("lessons/../../evil.txt", "'..'"),
    ("../outside.txt", "'..'"),
    ("/etc/evil.txt", "absolute"),
    ("C:/evil.txt", "absolute"),
    ("lessons\\..\\evil.txt", "backslash"),
])
def test_unsafe_paths(v1: Setup, name: str, needle: str) -> None:
    manifest, entries = good_entries(v1.tmp)
    entries.append((name, b"evil"))
    text = refused(offer(v1, craft_zip(v1.tmp / "bad.zip", entries)), needle)
    assert "unsafe path" in text
    assert_v1_intact(v1)
    assert not (v1.tmp / "evil.txt").exists() and not Path("/etc/evil.txt").exists()


@pytest.mark.parametrize("kind,needle", [
    (stat.S_IFLNK, "symbolic link"),
    (stat.S_IFCHR, "character device"),
    (stat.S_IFBLK, "block device"),
    (stat.S_IFIFO, "FIFO"),
])
def test_links_and_devices(v1: Setup, kind: int, needle: str) -> None:
    manifest, entries = good_entries(v1.tmp)
    info = zipfile.ZipInfo("lessons/l1/link.png")
    info.create_system = 3
    info.external_attr = (kind | 0o777) << 16
    data = b"/etc/passwd"
    add_file(manifest, "lessons/l1/link.png", data)
    entries = with_manifest(manifest, entries) + [(info, data)]
    refused(offer(v1, craft_zip(v1.tmp / "bad.zip", entries)), needle, "lessons/l1/link.png")
    assert_v1_intact(v1)


def test_zip_bomb_ratio(v1: Setup) -> None:
    manifest, entries = good_entries(v1.tmp)
    data = bytes(50 * 1024 * 1024)
    add_file(manifest, "lessons/l1/bomb.png", data)
    info = zipfile.ZipInfo("lessons/l1/bomb.png")
    info.compress_type = zipfile.ZIP_DEFLATED
    entries = with_manifest(manifest, entries) + [(info, data)]
    refused(offer(v1, craft_zip(v1.tmp / "bomb.zip", entries)), "compression ratio", "zip bomb")
    assert_v1_intact(v1)


def test_zip_bomb_total_size_and_count(tmp_path: Path) -> None:
    s = make_setup(tmp_path)
    s.kiosk.installer.limits = Limits(max_files=10, max_total_bytes=200_000)
    s.publish(make_bundle(tmp_path, "demo", 1))
    s.export()
    assert s.kiosk.install_path(s.stick).ok
    # too many files
    many = TreeSpec(extra={f"lessons/l1/f{i}.png": b"x" for i in range(20)})
    s.publish(make_bundle(tmp_path / "many", "demo", 2, many))
    s.export()
    refused(s.kiosk.install_path(s.stick).errors, "too many entries")
    # too many bytes in total
    big = TreeSpec(extra={"lessons/l1/big.png": bytes(300_000)})
    s.publish(make_bundle(tmp_path / "big", "demo", 3, big))
    s.export()
    refused(s.kiosk.install_path(s.stick).errors, "over the limit", "zip bomb")
    assert installed(s) == {"demo": 1}


def test_zip_entry_lies_about_its_size(v1: Setup) -> None:
    """Headers and manifest say 10 bytes fewer than the data holds: caught while streaming."""
    import struct

    manifest, entries = good_entries(v1.tmp)
    name = "lessons/l1/slide1.png"
    real = next(d for n, d in entries if n == name)
    for f in manifest["files"]:  # type: ignore[attr-defined]
        if f["path"] == name:
            f["size"] = len(real) - 10
            f["sha256"] = hashlib.sha256(real[:-10]).hexdigest()
    path = craft_zip(v1.tmp / "lie.zip", with_manifest(manifest, entries))
    raw = bytearray(path.read_bytes())
    old, new = struct.pack("<I", len(real)), struct.pack("<I", len(real) - 10)
    patched = 0
    start = 0
    while (i := raw.find(name.encode(), start)) != -1:
        # uncompressed size: 8 bytes before the name length in a local header (offset 22),
        # 4 bytes before it in a central directory header (offset 24)
        for off in (i - 30 + 22, i - 46 + 24):
            if off >= 0 and raw[off:off + 4] == old:
                raw[off:off + 4] = new
                patched += 1
        start = i + 1
    assert patched == 2
    path.write_bytes(bytes(raw))
    refused(offer(v1, path), name, "damaged")
    assert_v1_intact(v1)


def test_manifest_not_json(v1: Setup) -> None:
    _m, entries = good_entries(v1.tmp)
    entries[0] = (MANIFEST_NAME, b"{not json")
    refused(offer(v1, craft_zip(v1.tmp / "bad.zip", entries)), "manifest", "not valid JSON")
    assert_v1_intact(v1)


@pytest.mark.parametrize("field", ["id", "version", "title", "files", "min_app_version"])
def test_manifest_missing_field(v1: Setup, field: str) -> None:
    manifest, entries = good_entries(v1.tmp)
    del manifest[field]
    refused(offer(v1, craft_zip(v1.tmp / "bad.zip", with_manifest(manifest, entries))), field, "missing")
    assert_v1_intact(v1)


def test_manifest_not_first(v1: Setup) -> None:
    _m, entries = good_entries(v1.tmp)
    entries = entries[1:] + entries[:1]
    refused(offer(v1, craft_zip(v1.tmp / "bad.zip", entries)), "first entry must be manifest.json")
    assert_v1_intact(v1)


def test_signed_id_differs_from_manifest(v1: Setup) -> None:
    """A signed bundle of another id put in place of this one is refused."""
    other = make_bundle(v1.tmp, "other", 2)
    refused(offer(v1, other, 2, "demo"), "manifest says other version 2")
    assert_v1_intact(v1)


def test_needs_newer_app(v1: Setup) -> None:
    v1.publish(make_bundle(v1.tmp, "demo", 2, min_app_version="9.0"))
    v1.export()
    result = v1.kiosk.install_path(v1.stick)
    # not offered for install (the index says so), and refused when forced through the file
    assert any(a.action == "needs app 9.0" for a in result.available)
    errors = v1.kiosk.install_path(stick_targets(v1) / "bundles" / "demo" / "demo-2.zip").errors
    refused(errors, "needs app version 9.0", APP_VERSION)
    assert_v1_intact(v1)


def test_bad_exercise_and_lesson_skipped_rest_installed(v1: Setup) -> None:
    bad_lesson = lesson_json("l2")
    bad_lesson["steps"][1]["questions"][1]["answer"] = 7  # type: ignore[index]
    spec = TreeSpec(
        lessons=["l1", "l2", "l3"],
        exercises={"chair_squat": chair_squat_toml(), "broken": chair_squat_toml("broken").replace('metric = "knee_angle"', 'metric = "elbow_wiggle"', 1)},
        lesson_overrides={"l2": bad_lesson, "l3": lesson_json("l3", exercise="no_such_exercise")},
    )
    v1.publish(make_bundle(v1.tmp, "demo", 2, spec))
    v1.export()
    result = v1.kiosk.install_path(v1.stick)
    assert result.ok, result.errors
    (report,) = result.reports
    assert report.lessons == ["l1"] and report.exercises == ["chair_squat"]
    skipped = {s.path: s.reason for s in report.skipped}
    assert "exercises/broken.toml" in skipped and "elbow_wiggle" in skipped["exercises/broken.toml"]
    assert "steps[1].questions[1].answer" in skipped["lessons/l2/lesson.json"]
    assert "no_such_exercise" in skipped["lessons/l3/lesson.json"]
    content = v1.kiosk.store.root
    assert sorted(p.name for p in (content / "lessons").iterdir()) == ["l1"]
    assert sorted(p.name for p in (content / "exercises").iterdir()) == ["chair_squat.toml"]
    # the installed exercise loads through vision exactly like a built-in one
    from vision.exercises import load_exercises_with_errors

    specs, errors = load_exercises_with_errors(content / "exercises")
    assert "chair_squat" in specs and not errors
    assert any("skipped" in line for line in report.lines())


def test_rollback_command(v1: Setup) -> None:
    v1.publish(make_bundle(v1.tmp, "demo", 2, TreeSpec(lessons=["l1", "l9"])))
    v1.export()
    assert v1.kiosk.install_path(v1.stick).ok
    assert (v1.kiosk.store.root / "lessons" / "l9").is_dir()
    report = v1.kiosk.rollback("demo")
    assert (report.version, report.previous_version) == (1, 2)
    assert_v1_intact(v1)
    assert not (v1.kiosk.store.root / "lessons" / "l9").exists()
    # the rolled-back version is not installed again automatically ...
    result = v1.kiosk.install_path(v1.stick)
    assert [a.action for a in result.available] == ["held"] and not result.reports
    # ... but can be on purpose; and a second rollback returns to 1
    assert v1.kiosk.install_path(stick_targets(v1) / "bundles" / "demo" / "demo-2.zip").ok
    assert installed(v1) == {"demo": 2}
    from content.installer import InstallError

    with pytest.raises(InstallError, match="not installed"):
        v1.kiosk.rollback("nothing")
