"""Camera pictures never touch disk or network: no code in any package has a way to write one.

Scans every package of the project (and every kv file) for the ways a picture
can be written: OpenCV's writers and encoders, NumPy's raw dumps, PIL and
imageio, and Kivy's own image writers (``export_to_png``, ``export_as_image``,
``Texture.save``/``Image.save``, ``Window.screenshot``). Kivy screenshots are
allowed in the tests only (the UI tests save screenshots of the screens).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["kiosk", "vision", "hardware", "content", "sync"]
WRITERS = re.compile(
    r"imwrite|VideoWriter|imencode|\.tofile\(|np\.save|numpy\.save|imsave|imageio"
    r"|(?-i:\bPIL\b)|Image\.save|\.save\(\s*['\"][^'\"]*\.(png|jpe?g|bmp|gif|webp)"
    r"|export_to_png|export_as_image|texture\w*\.save|Texture\.save|screenshot",
    re.IGNORECASE,
)


DRAWN_NOT_CAPTURED = {
    "content/illustrations.py": "draws the sample lessons' slide pictures at build time",
    "content/build.py": "renders the sample lesson's stick-figure video at build time",
}
"""Modules allowed to write pictures because they draw them: they must never import a camera."""
CAMERA_MODULES = re.compile(r"vision\.(sources|worker|live|pose|pipeline)|cv2\.VideoCapture")


def sources() -> list[Path]:
    files: list[Path] = []
    for pkg in PACKAGES:
        root = REPO / pkg
        files += [p for p in root.rglob("*") if p.suffix in (".py", ".kv")
                  and "__pycache__" not in p.parts]
    return files


def test_every_package_is_scanned():
    files = sources()
    scanned = {p.relative_to(REPO).parts[0] for p in files}
    assert {"kiosk", "vision", "hardware", "sync"} <= scanned
    names = {str(p.relative_to(REPO)) for p in files}
    # the screens and widgets that receive camera frames are among them
    assert "kiosk/shell/widgets/pose_view.py" in names
    assert any(n.startswith("kiosk/features/exercise/coach") for n in names)


def test_no_code_can_write_a_picture():
    offenders = []
    for path in sources():
        if str(path.relative_to(REPO)) in DRAWN_NOT_CAPTURED:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if WRITERS.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("line", [
    "cv2.imwrite('x.png', frame)", "Window.screenshot(name='a.png')", "w.export_to_png('a.png')",
    "self.texture.save('frame.png')", "np.save('frames.npy', frames)", "from PIL import Image",
    "img.save('pic.jpg')", "widget.export_as_image()", "frame.tofile(f)",
])
def test_the_scan_catches_each_way_of_writing_a_picture(line):
    assert WRITERS.search(line)


def test_modules_that_draw_pictures_never_see_the_camera():
    for name in DRAWN_NOT_CAPTURED:
        text = (REPO / name).read_text(encoding="utf-8")
        assert not CAMERA_MODULES.search(text), f"{name} draws pictures and must not use the camera"
