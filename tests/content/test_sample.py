"""The sample content: built from content/sample with the real tools, then checked as a resident
would meet it (installed through the pipeline, lessons loaded, narration, pictures, video)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from content.bundle import read_manifest_only
from content.dev import dev_install
from content.lessons import PracticeStep, QuizStep, SlideStep, VideoStep, load_lessons
from content.manifest import Manifest
from tests.content.helpers import builtin_names

REPO = Path(__file__).resolve().parents[2]
LESSONS = {"knee_friendly_squat", "fall_prevention_home", "healthy_eating", "phone_scams"}


@pytest.fixture(scope="session")
def sample(sample_bundle: Path) -> tuple[Path, Manifest]:
    """The bundle built by the real tool (``tests/conftest.py``: once per change of its sources)."""
    return sample_bundle, read_manifest_only(sample_bundle)


@pytest.fixture(scope="session")
def installed(sample: tuple[Path, Manifest], tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("kiosk-data")
    assert dev_install(sample[0], data, "0.1.0") == 0
    assert dev_install(sample[0], data, "0.1.0") == 0  # again: nothing to do, still fine
    return data / "content"


def test_sample_bundle_contents(sample: tuple[Path, Manifest]) -> None:
    _path, m = sample
    assert set(m.lessons) == LESSONS
    assert m.title["zh_CN"] and m.title["en"]
    assert set(m.voice) == {"zh_CN", "en"}


def test_sample_lessons_installed_and_valid(installed: Path) -> None:
    lessons, errors = load_lessons(installed / "lessons", builtin_names())
    assert errors == []
    assert {les.id for les in lessons} == LESSONS
    videos = 0
    for les in lessons:
        slides = [s for s in les.steps if isinstance(s, SlideStep)]
        quizzes = [s for s in les.steps if isinstance(s, QuizStep)]
        assert 4 <= len(slides) <= 8, les.id
        assert len(quizzes) == 1 and 3 <= len(quizzes[0].questions) <= 5, les.id
        assert len(les.sources) >= 2, les.id
        for s in slides:
            assert s.image is not None and s.image.is_file()
            assert s.narration is not None and set(s.narration.audio) == {"zh_CN", "en"}
            for wav in s.narration.audio.values():
                assert wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 10_000
            assert not s.auto_advance
        for q in quizzes[0].questions:
            assert q.explanation["zh_CN"] and q.explanation["en"]
        for v in (s for s in les.steps if isinstance(s, VideoStep)):
            videos += 1
            assert v.video.is_file() and set(v.subtitles) == {"zh_CN", "en"}
            assert all(len(c) >= 3 for c in v.subtitles.values())
    assert videos >= 1
    squat = next(les for les in lessons if les.id == "knee_friendly_squat")
    practice = [s for s in squat.steps if isinstance(s, PracticeStep)]
    assert [(p.exercise, p.target_unit) for p in practice] == [("squat", "reps")]
    # the voice pack reaches the place the coaching screen reads clips from
    assert (installed / "voice" / "zh_CN" / "count.1.wav").is_file()


def test_slide_pictures_are_real_pictures(sample: tuple[Path, Manifest]) -> None:
    from PIL import Image, ImageStat

    with zipfile.ZipFile(sample[0]) as z:
        names = [n for n in z.namelist() if n.endswith(".png")]
        assert len(names) >= 16
        for n in names:
            img = Image.open(io.BytesIO(z.read(n)))
            assert img.size == (960, 600)
            assert max(ImageStat.Stat(img.convert("L")).stddev) > 15, f"{n} looks blank"


def test_video_is_h264_and_decodes(sample: tuple[Path, Manifest], tmp_path: Path) -> None:
    from ffpyplayer.player import MediaPlayer

    with zipfile.ZipFile(sample[0]) as z:
        data = z.read("lessons/knee_friendly_squat/video.mp4")
    assert b"avc1" in data and b"avcC" in data  # an H.264 track
    path = tmp_path / "video.mp4"
    path.write_bytes(data)
    player = MediaPlayer(str(path), ff_opts={"an": True, "sync": "video", "out_fmt": "rgb24"})
    frames = 0
    import time

    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 60:
            frame, val = player.get_frame()
            if val == "eof":
                break
            if frame is not None:
                frames += 1
                img, _pts = frame
                assert img.get_size() == (640, 480)
            else:
                time.sleep(0.005)
        meta = player.get_metadata()
    finally:
        player.close_player()
    assert meta["src_pix_fmt"] == b"yuv420p" and 14 <= meta["duration"] <= 16
    assert frames >= 0.9 * 25 * meta["duration"]


@pytest.mark.ui
def test_video_plays_through_kivy_provider(sample: tuple[Path, Manifest], tmp_path: Path) -> None:
    with zipfile.ZipFile(sample[0]) as z:
        (tmp_path / "video.mp4").write_bytes(z.read("lessons/knee_friendly_squat/video.mp4"))
    env = dict(os.environ, PYTHONPATH=str(REPO), KIVY_NO_ARGS="1", KIVY_HOME=str(tmp_path / "kivy"),
               KIVY_NO_CONSOLELOG="1")
    proc = subprocess.run([sys.executable, "-m", "tests.content.play_video", str(tmp_path / "video.mp4")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["provider"] == "VideoFFPy"
    assert result["eos"] and result["frames"] > 100 and result["texture"] == [640, 480]
