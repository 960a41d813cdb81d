"""Build a bundle from a source folder: pictures, narration, video, lessons, manifest, zip.

Why this module exists: maintainers write lessons as readable TOML (texts in
both languages, the guidance they follow as sources), not as the files a
kiosk plays. ``build_bundle(SOURCE_DIR, OUT)`` turns them into a bundle:

- ``bundle.toml``: id, version (only goes up), title, min_app_version,
  optional description and a voice pack (``[[voice.clip]]`` key + texts,
  spoken with espeak-ng into ``voice/<lang>/<key>.wav``);
- ``lessons/<id>/lesson.toml``: the lesson (see ``content.lessons``) where a
  slide may say ``picture = "<name>"`` (drawn by ``content.illustrations``)
  or ``image = "file.png"`` (copied), narration is made from ``say`` (or the
  slide's title and text) with espeak-ng in both languages, and a video step
  may say ``render = {exercise, reps, period_s}`` (the project's stick figure,
  encoded H.264 in mp4) with ``[[steps.subtitles]]`` cues (written as .srt);
- ``exercises/*.toml``: copied as they are (validated like the built-in ones).

The result is validated with the same code the kiosk runs before it is zipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from content.bundle import manifest_for_tree, write_bundle
from content.lessons import LessonError, parse_lesson
from content.manifest import LANGS, Manifest, ManifestError
from content.subtitles import Cue, format_srt

ESPEAK_VOICES = {"zh_CN": ("cmn", "150"), "en": ("en-us", "145")}
"""espeak-ng voice and words per minute per language (a little slower than the default)."""

VIDEO_SIZE = (640, 480)
VIDEO_FPS = 25


class BuildError(Exception):
    """The source folder cannot be built; the message names the file and field."""


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"{path}: missing") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: not valid TOML: {exc}") from None


def speak(text: str, lang: str, out: Path) -> None:
    """Narrate ``text`` into a WAV file with espeak-ng."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise BuildError("espeak-ng is not installed (needed for narration)")
    voice, wpm = ESPEAK_VOICES[lang]
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([exe, "-v", voice, "-s", wpm, "-w", str(out), text],
                          capture_output=True, timeout=120, check=False)
    if proc.returncode != 0 or not out.exists() or out.stat().st_size < 100:
        raise BuildError(f"espeak-ng failed for {out.name}: {proc.stderr.decode(errors='replace').strip()}")


def render_exercise_video(exercise: str, reps: int, period_s: float, out: Path) -> float:
    """Render the stick figure doing ``reps`` of ``exercise`` as H.264 mp4; return the duration."""
    from ffpyplayer.pic import Image as FFImage
    from ffpyplayer.writer import MediaWriter
    from PIL import Image, ImageDraw

    from content.illustrations import INK, SKY, WOOD
    from vision.metrics import SKELETON
    from vision.sim import SimulatedPerson

    w, h = VIDEO_SIZE
    ss = 2
    person = SimulatedPerson(exercise, reps=reps, period_s=period_s, lead_in_s=1.5, tail_s=1.5,
                             noise=0.0, yaw_deg=35.0, render=False, width=w, height=h)
    n = int(round(person.duration_s * VIDEO_FPS))
    opts = {"pix_fmt_in": "rgb24", "width_in": w, "height_in": h, "codec": "libx264",
            "frame_rate": (VIDEO_FPS, 1), "pix_fmt_out": "yuv420p"}
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = MediaWriter(str(out), [opts], fmt="mp4", overwrite=True,
                         lib_opts={"preset": "medium", "crf": "24", "profile": "main", "threads": "1"})
    try:
        for i in range(n):
            t = i / VIDEO_FPS
            lm, _ = person.landmarks_at(t)
            img = Image.new("RGB", (w * ss, h * ss), SKY)
            d = ImageDraw.Draw(img)
            floor = int(0.9 * h * ss)
            d.rectangle([0, floor, w * ss, h * ss], fill=(200, 214, 230))
            # a chair behind the figure, as in the lesson
            cx = int(0.30 * w * ss)
            d.line([cx, floor, cx, floor - 150 * ss], fill=WOOD, width=10 * ss)
            d.line([cx, floor - 75 * ss, cx + 95 * ss, floor - 75 * ss], fill=WOOD, width=12 * ss)
            d.line([cx + 90 * ss, floor - 75 * ss, cx + 90 * ss, floor], fill=WOOD, width=10 * ss)
            pts = [(float(x) * w * ss + 0.08 * w * ss, float(y) * h * ss) for x, y in lm[:, :2]]
            for a, b in SKELETON:
                if 0 in (a, b):
                    continue
                d.line([pts[a], pts[b]], fill=INK, width=9 * ss, joint="curve")
                for px, py in (pts[a], pts[b]):
                    r = 4.5 * ss
                    d.ellipse([px - r, py - r, px + r, py + r], fill=INK)
            sh = ((pts[11][0] + pts[12][0]) / 2, (pts[11][1] + pts[12][1]) / 2)
            hx, hy = pts[0]
            d.line([sh, (hx * 0.4 + sh[0] * 0.6, hy * 0.4 + sh[1] * 0.6)], fill=INK, width=9 * ss)
            r = 0.05 * h * ss
            d.ellipse([hx - r, hy - r - 6 * ss, hx + r, hy + r - 6 * ss], fill=INK)
            frame = img.resize((w, h), Image.Resampling.LANCZOS).tobytes()
            writer.write_frame(img=FFImage(plane_buffers=[frame], pix_fmt="rgb24", size=(w, h)),
                               pts=t, stream=0)
    finally:
        writer.close()
    return n / VIDEO_FPS


def _texts(d: Any, where: str) -> dict[str, str]:
    if not isinstance(d, dict) or any(not isinstance(d.get(lang), str) for lang in LANGS):
        raise BuildError(f"{where}: needs zh_CN and en texts")
    return {lang: d[lang] for lang in LANGS}


SpeechJob = tuple[str, str, Path]


def _speak_all(jobs: list[SpeechJob]) -> None:
    """Run espeak-ng for every job, a few at a time (each is a separate process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        for f in [pool.submit(speak, text, lang, out) for text, lang, out in jobs]:
            f.result()


def _build_lesson(src: Path, dest: Path, known: set[str], notes: list[str],
                  speech: list[SpeechJob]) -> str:
    data = _toml(src / "lesson.toml")
    lid = data.get("id", src.name)
    where = f"lessons/{src.name}/lesson.toml"
    dest.mkdir(parents=True, exist_ok=True)
    steps_out: list[dict[str, Any]] = []
    for i, step in enumerate(data.get("steps", [])):
        sw = f"{where}: steps[{i}]"
        step = dict(step)
        kind = step.get("type")
        if kind == "slide":
            picture = step.pop("picture", None)
            if picture is not None:
                from content.illustrations import PICTURES

                if picture not in PICTURES:
                    raise BuildError(f"{sw}.picture: unknown picture {picture!r} (known: {', '.join(sorted(PICTURES))})")
                name = f"slide{i + 1}.png"
                (dest / name).write_bytes(PICTURES[picture]())
                step["image"] = name
            elif "image" in step:
                shutil.copyfile(src / step["image"], dest / step["image"])
            say = step.pop("say", None)
            title, body = _texts(step.get("title"), f"{sw}.title"), _texts(step.get("text"), f"{sw}.text")
            said = _texts(say, f"{sw}.say") if say else {
                lang: f"{title[lang]}。{body[lang]}" if lang == "zh_CN" else f"{title[lang]}. {body[lang]}"
                for lang in LANGS}
            audio = {}
            for lang in LANGS:
                rel = f"narration/{lang}/{i + 1}.wav"
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                speech.append((said[lang], lang, dest / rel))
                audio[lang] = rel
            step["narration"] = {"text": said, "audio": audio}
        elif kind == "video":
            render = step.pop("render", None)
            cues = step.pop("subtitles", None)
            if render is not None:
                exercise = str(render.get("exercise", "squat"))
                duration = render_exercise_video(exercise, int(render.get("reps", 3)),
                                                 float(render.get("period_s", 4.0)), dest / "video.mp4")
                step["video"] = "video.mp4"
                notes.append(f"{lid}: rendered {duration:.1f} s of {exercise} (H.264, {VIDEO_SIZE[0]}x{VIDEO_SIZE[1]})")
            if isinstance(cues, list):
                subs = {}
                for lang in LANGS:
                    lines = [Cue(float(c["start"]), float(c["end"]), str(c[lang])) for c in cues]
                    name = f"video.{lang}.srt"
                    (dest / name).write_text(format_srt(lines), encoding="utf-8")
                    subs[lang] = name
                step["subtitles"] = subs
            elif isinstance(cues, dict):
                for p in cues.values():
                    shutil.copyfile(src / p, dest / p)
                step["subtitles"] = cues
            if "video" in step and render is None:
                shutil.copyfile(src / step["video"], dest / step["video"])
        steps_out.append(step)
    out = {k: v for k, v in data.items() if k != "steps"}
    out["format"] = 1
    out["steps"] = steps_out
    _speak_all(speech)
    speech.clear()
    try:
        parse_lesson(out, f"lessons/{lid}/lesson.json", dest, True, known)
    except LessonError as exc:
        raise BuildError(str(exc)) from None
    (dest / "lesson.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return str(lid)


def build_tree(source: Path, tree: Path) -> tuple[dict[str, Any], list[str]]:
    """Write the bundle's files for ``source`` into ``tree``; return (bundle fields, notes)."""
    from content.installer import builtin_exercise_names
    from vision.exercises import ExerciseError, load_file

    meta = _toml(source / "bundle.toml")
    notes: list[str] = []
    exercises: list[str] = []
    ex_dir = source / "exercises"
    for p in sorted(ex_dir.glob("*.toml")) if ex_dir.is_dir() else []:
        try:
            spec = load_file(p)
        except ExerciseError as exc:
            raise BuildError(f"exercises/{exc}") from None
        (tree / "exercises").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, tree / "exercises" / f"{spec.name}.toml")
        exercises.append(spec.name)
    known = builtin_exercise_names() | set(exercises)
    lessons: list[str] = []
    ldir = source / "lessons"
    for sub in sorted(ldir.iterdir()) if ldir.is_dir() else []:
        if (sub / "lesson.toml").is_file():
            lessons.append(_build_lesson(sub, tree / "lessons" / sub.name, known, notes, []))
    voice_langs: set[str] = set()
    jobs: list[SpeechJob] = []
    for clip in meta.get("voice", {}).get("clip", []):
        key = str(clip["key"])
        for lang in LANGS:
            if lang in clip:
                jobs.append((str(clip[lang]), lang, tree / "voice" / lang / f"{key}.wav"))
                voice_langs.add(lang)
    _speak_all(jobs)
    fields: dict[str, Any] = {
        "id": meta.get("id"), "version": meta.get("version"), "title": meta.get("title"),
        "min_app_version": meta.get("min_app_version", "0.1.0"),
        "lessons": lessons, "exercises": exercises, "voice": sorted(voice_langs),
    }
    if "description" in meta:
        fields["description"] = meta["description"]
    return fields, notes


def build_bundle(source: Path, out: Path) -> tuple[Path, Manifest, list[str]]:
    source = Path(source)
    if not (source / "bundle.toml").is_file():
        raise BuildError(f"{source}: no bundle.toml (not a bundle source folder)")
    with tempfile.TemporaryDirectory(prefix="bundle-build-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        fields, notes = build_tree(source, tree)
        try:
            manifest = manifest_for_tree(tree, **fields)
        except ManifestError as exc:
            raise BuildError(f"bundle.toml: {exc}") from None
        write_bundle(tree, manifest, Path(out))
    return Path(out), manifest, notes
