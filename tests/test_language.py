"""Feedback in Chinese and English: every student-facing string has its Chinese, and the language
comes from --lang or the locale."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader import language
from grader.catalogue import load_catalogue
from grader.instructor import messages

GRADER = Path(language.__file__).parent
KIT = GRADER.parent
CODE_TABLE = language.TRANSLATIONS / "messages.zh.toml"
EXERCISES_TABLE = language.TRANSLATIONS / "exercises.zh.toml"


def templates() -> dict[str, str]:
    """Every template the grader passes to ``t(...)``, with where it is."""
    found = messages.templates(GRADER.rglob("*.py"))
    return {text: f"{path.relative_to(KIT)}:{line}" for text, (path, line) in found.items()}


fields = messages.fields


def test_every_template_has_chinese_with_the_same_fields() -> None:
    """Each t("...") in the grader has a Chinese template in translations/, naming the same
    {fields}; a missing one fails with where it is used."""
    table = language.table("zh")
    found = templates()
    assert len(found) > 50
    missing = [f"{where}: {text!r}" for text, where in found.items() if text not in table]
    assert not missing, "no Chinese for:\n" + "\n".join(missing)
    mismatched = [text for text in found if fields(text) != fields(table[text])]
    assert not mismatched


def test_every_translation_keeps_the_fields_of_its_english() -> None:
    """Every entry of every translations/*.zh.toml (the exercises' ones too, before the code
    uses them) names exactly the {fields} of its English template."""
    table = language.table("zh")
    assert not [text for text, chinese in table.items() if fields(text) != fields(chinese)]


def test_every_reason_for_not_judging_has_chinese() -> None:
    """The catalogue's reasons a check is not judged on a system (shown through
    language.catalogue_text) each have their Chinese in the code's table."""
    table = language.table("zh")
    reasons = [
        reason
        for exercise in load_catalogue()
        for check in exercise.checks
        for _, reason in check.not_judged_on
    ]
    assert reasons
    assert [reason for reason in reasons if reason not in table] == []


def test_no_stale_translation() -> None:
    """The code's table and the exercises' hold only templates the grader still uses
    (argparse's own words aside): an edited English template leaves no orphan behind."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    used = templates() | {
        reason: "catalogue.toml"
        for exercise in load_catalogue()
        for check in exercise.checks
        for _, reason in check.not_judged_on
    }
    for table, section in ((CODE_TABLE, "messages"), (EXERCISES_TABLE, "exercises")):
        with open(table, "rb") as file:
            entries = tomllib.load(file)[section]
        stale = [text for text in entries if text not in used]
        assert not stale, f"{table.name}: {stale}"


def test_every_check_has_chinese_summary_and_hints() -> None:
    """The catalogue gives every check a summary_zh, hint_zh and hint2_zh, and each quotes the
    lesson's printed lines (Chinese in the English text too) as they are."""
    for exercise in load_catalogue():
        for check in exercise.checks:
            for english, chinese in (
                (check.summary, check.summary_zh),
                (check.hint, check.hint_zh),
                (check.hint2, check.hint2_zh),
            ):
                assert chinese, f"{exercise.id}/{check.name}: no Chinese for {english!r}"
                for quoted in re.findall("`[^`]*`", english):
                    if re.search("[\u4e00-\u9fff]", quoted):
                        assert quoted in chinese, (exercise.id, check.name, quoted)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_Hans"}, "zh"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": ""}, "zh"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_language_from_the_locale(environ: dict[str, str], expected: str) -> None:
    """LC_ALL > LC_MESSAGES > LANG, the first one set decides; zh_* is Chinese."""
    assert language.from_environ(environ) == expected


def test_lang_option_beats_the_locale() -> None:
    """--lang en under a Chinese locale is English, and --lang=zh under C is Chinese."""
    assert language.chosen_in(["01", "--lang", "en"], {"LANG": "zh_CN.UTF-8"}) == "en"
    assert language.chosen_in(["--lang=zh"], {"LC_ALL": "C"}) == "zh"


def test_t_fills_fields_and_falls_back_to_english() -> None:
    """A known template is translated with its fields filled in; an unknown one stays English."""
    try:
        language.use("zh")
        text = language.t(
            "{call} did not finish within {deadline:g} s", call="main()", deadline=2.0
        )
        assert "main()" in text and "2" in text and "did not" not in text
        assert language.t("not a template {x}", x=1) == "not a template 1"
    finally:
        language.use("en")
    assert language.t("{call} did not finish within {deadline:g} s", call="f()", deadline=1.5) == (
        "f() did not finish within 1.5 s"
    )


def _grade(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(KIT), **environ}
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=KIT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


FRAME = {
    "en": ("What to fix", "Hint: ", "Expected: ", "Total"),
    "zh": ("要改的地方", "提示：", "期望：", "总分"),
}


def test_report_frame_follows_the_locale_and_the_option() -> None:
    """LANG=zh_CN.UTF-8 grading the untouched stub prints the report's frame, the summaries and
    hints in Chinese (and none of the English frame); --lang en under that locale is English."""
    chinese = _grade("01", "--start-method", "fork", environ={"LANG": "zh_CN.UTF-8"})
    assert chinese.returncode == 1, chinese.stderr
    assert all(word in chinese.stdout for word in FRAME["zh"])
    assert not any(word in chinese.stdout for word in FRAME["en"])
    assert "打印“来了”之前上锁" in chinese.stdout
    english = _grade(
        "01", "--start-method", "fork", "--lang", "en", environ={"LANG": "zh_CN.UTF-8"}
    )
    assert all(word in english.stdout for word in FRAME["en"])
    assert not any(word in english.stdout for word in FRAME["zh"])


def test_usage_error_in_chinese() -> None:
    """An unknown option is reported in Chinese under --lang zh."""
    result = _grade("--lang", "zh", "--no-such-option", environ={})
    assert result.returncode == 2
    assert "无法识别的参数" in result.stderr


def test_course_formats_speak_the_chosen_language(tmp_path: Path) -> None:
    """The Markdown summary, Gradescope's output, the annotations' titles and the terminal
    report put their fixed text in Chinese under --lang zh (the check's own text as given)."""
    from grader.formats.annotations import annotation_lines
    from grader.formats.gradescope import to_gradescope
    from grader.formats.markdown import summary
    from grader.report import render
    from grader.results import CheckResult, ExerciseResult, GradeResult

    student_file = tmp_path / "ex01_process_lock.py"
    check = CheckResult("one_at_a_time", "timeout", 0, 4, "消息", "摘要", str(student_file), 3)
    result = GradeResult(str(tmp_path), (ExerciseResult("ex01_process_lock", "t", (check,)),))
    try:
        language.use("zh")
        markdown = summary(result)
        gradescope = to_gradescope(result)
        annotations = annotation_lines(result, tmp_path)
        report = render(result)
    finally:
        language.use("en")
    assert "Lockstep：0 / 4 分" in markdown and "要改的地方" in markdown and "卡住" in markdown
    assert "| 练习 | 检查 | 结果 | 分数 |" in markdown
    assert gradescope["output"] == "Lockstep：0 / 4 分。"
    assert gradescope["tests"][0]["output"].startswith("[卡住] 摘要")
    assert "（卡住）" not in annotations[0] and "(卡住)" in annotations[0]
    assert "总分" in report and "卡住" in report and "Total" not in report


# One wrong program per exercise (ex01..ex12) whose failures say other things than its stub's.
WRONG = {
    "ex01_process_lock": "join_in_start_loop",
    "ex02_ticket_booking": "wrong_numbering",
    "ex03_pids": "made_up_pid",
    "ex04_isolation": "parent_puts",
    "ex05_queue": "gives_up_at_once",
    "ex06_producer_consumer": "terminate_consumer",
    "ex07_many_producers_consumers": "daemon_no_join",
    "ex08_threads": "daemon_never_set",
    "ex09_thread_race": "join_in_start_loop",
    "ex10_deadlock": "fork_released_before_eating",
    "ex11_pessimistic_lock": "read_outside_transaction",
    "ex12_optimistic_lock": "no_retry",
}
_QUOTED = (
    r"`[^`]*`",  # code
    r"'[^'\n]*'|\"[^\"\n]*\"",  # Python literals
    r"\b\w+(?:Error|Exception|Warning|Interrupt|Exit): [^，。；（\n]*",  # Python's own message
    r"[\w.-]+\.py\b",  # file names
    r"python [\w./-]+",  # a program as it was run
)
_CALL = re.compile(r"[\w.]+\((?:[^()]|\([^()]*\))*\)")
_ENGLISH = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ ,]+[A-Za-z][A-Za-z'-]*){2,}")


def english_sentences(text: str) -> list[str]:
    """Runs of three or more English words left once code, Python literals and exception
    messages, file names and function calls (signatures) are taken out."""
    for pattern in _QUOTED:
        text = re.sub(pattern, " ", text)
    while _CALL.search(text):
        text = _CALL.sub(" ", text)
    return [line for line in text.splitlines() if _ENGLISH.search(line)]


def test_english_sentences_are_found() -> None:
    """The detector the next test relies on finds an English sentence and passes Chinese
    around code, signatures, exception messages and file names."""
    assert english_sentences("在 fork 启动方式下：the child put nothing on a queue。")
    assert not english_sentences(
        "main(names=['张三'], delay=0.05) 抛出了 NameError: name 'p2' is not defined，位置 "
        "ex06_producer_consumer.py:45（`p2.join()`）；提示：用 `with lock:` 包住临界区"
    )


def test_no_english_sentence_in_the_chinese_reports(tmp_path: Path) -> None:
    """Graded in Chinese (under fork), the untouched stubs of ex01..ex12 and one wrong program
    per exercise get a report with no English sentence left: every line a student reads, the
    messages with their evidence included."""
    from grader.grading import grade
    from grader.report import render

    exercises = [e for e in load_catalogue() if e.id in WRONG]
    assert len(exercises) == len(WRONG) == 12
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    for exercise_id, fixture in WRONG.items():
        source = KIT / "tests" / "fixtures" / exercise_id / f"{fixture}.py"
        (wrong / f"{exercise_id}.py").write_text(source.read_text(encoding="utf-8"))
    try:
        language.use("zh")
        reports = {
            folder: render(grade(folder, exercises, start_methods=["fork"], hint_level=2))
            for folder in (KIT / "exercises", wrong)
        }
    finally:
        language.use("en")
    for folder, report in reports.items():
        assert "要改的地方" in report
        left = english_sentences(report)
        assert not left, f"{folder}: English left in the Chinese report:\n" + "\n".join(left)
