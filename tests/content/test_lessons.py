"""The lesson and quiz model: valid lessons parse, every problem names the file and the field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from content.lessons import (
    LessonError,
    PracticeStep,
    QuizStep,
    SlideStep,
    load_lesson,
    load_lessons,
    parse_lesson,
    text,
)
from content.subtitles import SubtitleError, cue_at, parse_srt
from tests.content.helpers import TreeSpec, lesson_json, make_tree


def test_valid_lesson_parses(tmp_path: Path) -> None:
    make_tree(tmp_path, TreeSpec(lessons=["l1"]))
    lesson = load_lesson(tmp_path / "lessons" / "l1", {"squat"})
    assert lesson.id == "l1" and lesson.topic == "health"
    slide, quiz, practice = lesson.steps
    assert isinstance(slide, SlideStep) and slide.image == tmp_path / "lessons/l1/slide1.png"
    assert slide.narration is not None and slide.narration.audio["en"].name == "n1.en.wav"
    assert not slide.auto_advance
    assert isinstance(quiz, QuizStep) and quiz.questions[0].kind == "true_false"
    assert quiz.questions[0].choices[0]["zh_CN"] == "对" and quiz.questions[0].answer == 0
    assert quiz.score([0, 2]) == 2 and quiz.score([1, 0]) == 0 and quiz.score([None, 2]) == 1
    assert isinstance(practice, PracticeStep) and (practice.exercise, practice.target_value, practice.target_unit) == ("squat", 5.0, "reps")
    assert lesson.exercises == ("squat",)
    assert all(p.is_file() for p in lesson.files())


def test_text_lookup() -> None:
    t = {"zh_CN": "你好", "en": "Hello"}
    assert text(t, "zh_CN") == "你好" and text(t, "en") == "Hello" and text(t, "fr") == "Hello"
    assert text(None, "en") == ""


def _broken(change: str) -> dict[str, object]:
    d = copy.deepcopy(lesson_json("l1"))
    steps = d["steps"]
    assert isinstance(steps, list)
    if change == "no_title_en":
        del d["title"]["en"]  # type: ignore[attr-defined]
    elif change == "bad_topic":
        d["topic"] = "cooking"
    elif change == "answer_out_of_range":
        steps[1]["questions"][1]["answer"] = 3
    elif change == "tf_answer_not_bool":
        steps[1]["questions"][0]["answer"] = "yes"
    elif change == "unknown_step":
        steps.append({"type": "dance"})
    elif change == "unsafe_image":
        steps[0]["image"] = "../../../etc/passwd.png"
    elif change == "missing_image":
        steps[0]["image"] = "nothere.png"
    elif change == "bad_unit":
        steps[2]["target"]["unit"] = "km"
    elif change == "unknown_exercise":
        steps[2]["exercise"] = "moonwalk"
    elif change == "extra_field":
        steps[0]["colour"] = "red"
    elif change == "one_choice":
        steps[1]["questions"][1]["choices"] = [steps[1]["questions"][1]["choices"][0]]
    return d


@pytest.mark.parametrize("change,where", [
    ("no_title_en", "title.en"),
    ("bad_topic", "topic"),
    ("answer_out_of_range", "steps[1].questions[1].answer"),
    ("tf_answer_not_bool", "steps[1].questions[0].answer"),
    ("unknown_step", "steps[3].type"),
    ("unsafe_image", "steps[0].image"),
    ("missing_image", "steps[0].image"),
    ("bad_unit", "steps[2].target.unit"),
    ("unknown_exercise", "steps[2].exercise"),
    ("extra_field", "steps[0]"),
    ("one_choice", "steps[1].questions[1].choices"),
])
def test_problems_name_file_and_field(tmp_path: Path, change: str, where: str) -> None:
    make_tree(tmp_path, TreeSpec(lessons=["l1"]))
    folder = tmp_path / "lessons" / "l1"
    (folder / "lesson.json").write_text(json.dumps(_broken(change)), encoding="utf-8")
    with pytest.raises(LessonError) as exc:
        load_lesson(folder, {"squat"})
    msg = str(exc.value)
    assert msg.startswith("lessons/l1/lesson.json: ") and where in msg, msg


def test_not_json_and_wrong_folder(tmp_path: Path) -> None:
    make_tree(tmp_path, TreeSpec(lessons=["l1", "l2"]))
    (tmp_path / "lessons/l1/lesson.json").write_text("{oops", encoding="utf-8")
    (tmp_path / "lessons/l2/lesson.json").write_text(json.dumps(lesson_json("other")), encoding="utf-8")
    lessons, errors = load_lessons(tmp_path / "lessons", {"squat"})
    assert lessons == []
    assert any("l1/lesson.json: not valid JSON" in e for e in errors)
    assert any("differs from its folder name" in e for e in errors)


def test_parse_without_files() -> None:
    lesson = parse_lesson(lesson_json("x"), check_files=False)
    assert lesson.id == "x"


SRT = """1
00:00:00,000 --> 00:00:02,500
站直

2
00:00:03,000 --> 00:00:05,000
慢慢蹲下
"""


def test_subtitles() -> None:
    cues = parse_srt(SRT)
    assert [c.text for c in cues] == ["站直", "慢慢蹲下"]
    assert cue_at(cues, 1.0) == "站直" and cue_at(cues, 2.7) == "" and cue_at(cues, 4.9) == "慢慢蹲下"
    assert cue_at(cues, 9.0) == ""
    with pytest.raises(SubtitleError, match="cue 1: bad time line"):
        parse_srt("1\n00:00 --> 00:01\nhi\n")
    with pytest.raises(SubtitleError, match="ends before it starts"):
        parse_srt("1\n00:00:02,000 --> 00:00:01,000\nhi\n")
    with pytest.raises(SubtitleError, match="no cues"):
        parse_srt("\n\n")
