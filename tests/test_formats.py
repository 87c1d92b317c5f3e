"""Every output format validates against its published shape, and all come from one grading.

One submission is graded once for the whole module (ex01 right except that the lock is kept on
an exception, so it hangs; ex03 the untouched stub; ex06 missing), which gives checks that
passed, failed, hung and could not run. Where a test needs a failure that points at the
student's line, it uses a small result made here (``located``), so that it does not depend on
how the engine words or places a failure.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from grader import GradeResult, find_exercise, grade
from grader import cli as grader_cli
from grader.cli_constants import EXIT_FAILED, EXIT_USAGE
from grader.formats.annotations import annotation_lines, escape_data, escape_property
from grader.formats.classroom50 import IDENTITY, identity_from, to_classroom50
from grader.formats.fault import FAULT_NOTE
from grader.formats.github import report_to_actions
from grader.formats.gradescope import to_gradescope
from grader.formats.junit import to_junit
from grader.formats.markdown import summary
from grader.formats.reporter import MESSAGE_LIMIT, encode, to_reporter
from grader.results import CheckResult, ExerciseResult
from tests.conftest import submission_of

EXERCISES = ("ex01_process_lock", "ex03_pids", "ex06_producer_consumer")
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
CLASSROOM50_TOP = {
    # result-v1.schema.json's properties (it allows no others)
    "schema",
    "classroom",
    "assignment",
    "assignment_type",
    "owner",
    "submission",
    "commit",
    "release",
    "review",
    "datetime",
    "graded_at",
    "score",
    "max-score",
    "tests",
    "submitted_by",
}


@pytest.fixture(autouse=True)
def outside_any_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests set the platforms' variables themselves (and never touch a real run's files
    when the kit's own tests run in GitHub Actions)."""
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", *IDENTITY.values()):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[GradeResult, Path]:
    """The one grading run every format is rendered from, and the folder above the submission
    (standing in for the repository's root)."""
    root = tmp_path_factory.mktemp("repo")
    folder = submission_of(root / "exercises", "ex01_process_lock", "not_released_on_error")
    submission_of(folder, "ex03_pids", "stub")
    chosen = [find_exercise(key) for key in EXERCISES]
    assert all(chosen)
    result = grade(folder, [e for e in chosen if e], start_methods=["fork"])
    return result, root


@pytest.fixture
def located(tmp_path: Path) -> tuple[GradeResult, Path]:
    """A result whose failures point at lines: one in the repository (a hang), one outside it,
    one with no file; and the repository's root."""
    student_file = tmp_path / "exercises" / "ex01_process_lock.py"
    student_file.parent.mkdir()
    student_file.write_text("# the student's file\n", encoding="utf-8")
    checks = (
        CheckResult("one_at_a_time", "passed", 4, 4, "", "One at a time."),
        CheckResult(
            "released_on_error",
            "timeout",
            0,
            2,
            "main() did not finish within 6 s: 50% done.\n    task was waiting at line 8",
            "Released on error.",
            file=str(student_file),
            line=8,
        ),
        CheckResult("elsewhere", "failed", 0, 1, "raised", "x", file="/usr/lib/x.py", line=3),
        CheckResult("no_file", "error", 0, 3, "ex01_process_lock.py is missing", "y"),
    )
    exercise = ExerciseResult("ex01_process_lock", "Process lock", checks, 1.5)
    return GradeResult(str(student_file.parent), (exercise,)), tmp_path


def all_checks(result: GradeResult) -> list[tuple[ExerciseResult, CheckResult]]:
    return [(e, c) for e in result.exercises for c in e.checks]


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def test_the_fixture_covers_every_status(graded: tuple[GradeResult, Path]) -> None:
    """The graded submission has checks that failed, hung and errored (and, on a machine that
    is not overloaded, some that passed)."""
    result, _ = graded
    statuses = {check.status for _, check in all_checks(result)}
    assert {"failed", "timeout", "error"} <= statuses


def test_gradescope_has_the_published_fields_and_types(graded: tuple[GradeResult, Path]) -> None:
    """results.json has Gradescope's top-level fields and one test per check with name,
    number, score, max_score, status passed/failed, output and visibility."""
    result, _ = graded
    document = json.loads(json.dumps(to_gradescope(result)))
    assert is_int(document["score"]) and document["score"] == result.score
    assert isinstance(document["execution_time"], int | float)
    assert isinstance(document["output"], str)
    assert document["visibility"] in VISIBILITIES
    assert document["stdout_visibility"] in VISIBILITIES
    tests = document["tests"]
    assert len(tests) == len(all_checks(result))
    for test in tests:
        assert set(test) == {
            "name",
            "number",
            "score",
            "max_score",
            "status",
            "output",
            "visibility",
        }
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["number"], str)
        assert is_int(test["score"]) and is_int(test["max_score"])
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in {"passed", "failed"}
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITIES
    assert len({test["number"] for test in tests}) == len(tests)
    assert tests[0]["number"] == "1.1"
    assert sum(test["score"] for test in tests) == document["score"]


def test_gradescope_output_says_what_failed(graded: tuple[GradeResult, Path]) -> None:
    """A test that did not pass shows its status in words and the grader's full message."""
    result, _ = graded
    tests = {t["name"]: t for t in to_gradescope(result)["tests"]}
    check = next(c for _, c in all_checks(result) if c.status == "timeout")
    hung = tests[f"ex01_process_lock / {check.name}"]
    assert hung["status"] == "failed"
    assert hung["output"].startswith("[hung] ")
    assert check.message in hung["output"]


def test_classroom50_has_the_published_fields_and_types(graded: tuple[GradeResult, Path]) -> None:
    """result.json is classroom50/result/v1: integer scores, one test per check with
    test-name, passed, score and max-score, no top-level field the schema lacks."""
    result, _ = graded
    document = json.loads(json.dumps(to_classroom50(result)))
    assert document["schema"] == "classroom50/result/v1"
    assert set(document) <= CLASSROOM50_TOP
    assert is_int(document["score"]) and is_int(document["max-score"])
    assert 0 <= document["score"] <= document["max-score"]
    assert (document["score"], document["max-score"]) == (result.score, result.max_score)
    assert len(document["tests"]) == len(all_checks(result))
    for test in document["tests"]:
        assert isinstance(test["test-name"], str) and test["test-name"]
        assert isinstance(test["passed"], bool)
        assert is_int(test["score"]) and is_int(test["max-score"])
        assert 0 <= test["score"] <= test["max-score"]
    assert sum(t["score"] for t in document["tests"]) == document["score"]


def test_classroom50_copies_the_runners_identity() -> None:
    """The identity the runner checks comes from the variables it sets; review falls back to
    the commit, and nothing is invented outside Classroom 50."""
    environ = {
        "CLASSROOM": "os-2026",
        "ASSIGNMENT": "lockstep",
        "SUBMISSION_TAG": "submit/2026-11-02T10-00-00Z-abc1234",
        "COMMIT_URL": "https://example.test/commit/abc",
        "RELEASE_URL": "https://example.test/releases/tag/x",
        "HOME": "/root",
    }
    identity = identity_from(environ)
    assert identity == {
        "classroom": "os-2026",
        "assignment": "lockstep",
        "submission": "submit/2026-11-02T10-00-00Z-abc1234",
        "commit": "https://example.test/commit/abc",
        "release": "https://example.test/releases/tag/x",
        "review": "https://example.test/commit/abc",
    }
    document = to_classroom50(GradeResult("s"), identity=identity)
    assert document["classroom"] == "os-2026" and set(document) <= CLASSROOM50_TOP
    assert identity_from({"PATH": "/bin"}) == {}


def test_reporter_output_decodes_to_what_the_reporter_reads(
    graded: tuple[GradeResult, Path],
) -> None:
    """The base64 decodes to version 1 with status, max_score and one test per check, each
    with name, status pass/fail/error, score and message; the points add up."""
    result, root = graded
    encoded = encode(to_reporter(result, root=root))
    assert "\n" not in encoded
    document = json.loads(base64.b64decode(encoded).decode("utf-8"))
    assert document["version"] == 1
    assert document["status"] == "fail"
    assert document["max_score"] == result.max_score
    tests = document["tests"]
    assert len(tests) == len(all_checks(result))
    for test, (_, check) in zip(tests, all_checks(result), strict=True):
        assert isinstance(test["name"], str) and test["name"]
        assert test["status"] == {"passed": "pass", "error": "error"}.get(check.status, "fail")
        assert is_int(test["score"]) and test["score"] == check.score
        assert isinstance(test["message"], str)
        assert (test["message"] == "") == (check.status == "passed")
    assert sum(test["score"] for test in tests) == result.score


def test_reporter_names_the_students_file_and_line(located: tuple[GradeResult, Path]) -> None:
    """filename is relative to the repository's root (empty when the file lies elsewhere or
    there is none) and line_no the line (0 when none)."""
    result, root = located
    tests = to_reporter(result, root=root)["tests"]
    assert [(t["filename"], t["line_no"]) for t in tests] == [
        ("", 0),
        ("exercises/ex01_process_lock.py", 8),
        ("", 3),
        ("", 0),
    ]


def test_reporter_status_is_pass_only_for_full_marks() -> None:
    """All checks passed: status pass; the reporter then fails nothing."""
    check = CheckResult("c", "passed", 2, 2)
    result = GradeResult("s", (ExerciseResult("ex01_process_lock", "t", (check,)),))
    assert to_reporter(result)["status"] == "pass"


def test_reporter_keeps_long_messages_short() -> None:
    """A huge message is cut, so the whole output fits in one environment variable."""
    check = CheckResult("c", "failed", 0, 2, "x" * 100_000)
    result = GradeResult("s", (ExerciseResult("ex01_process_lock", "t", (check,)),))
    message = to_reporter(result)["tests"][0]["message"]
    assert len(message) <= MESSAGE_LIMIT and "cut short" in message


def test_junit_has_one_testcase_per_check(graded: tuple[GradeResult, Path]) -> None:
    """JUnit XML parses; one testcase per check, classname the exercise; failures and errors
    are counted right and a hang is a failure of type timeout with the student's line."""
    result, root = graded
    tree = ET.fromstring(to_junit(result, root=root))
    cases = tree.findall("./testsuite/testcase")
    assert len(cases) == len(all_checks(result))
    assert [c.get("classname") for c in cases] == [e.id for e, _ in all_checks(result)]
    statuses = [c.status for _, c in all_checks(result)]
    failures = tree.findall("./testsuite/testcase/failure")
    errors = tree.findall("./testsuite/testcase/error")
    assert len(failures) == statuses.count("failed") + statuses.count("timeout")
    assert len(errors) == statuses.count("error")
    assert int(tree.get("tests", "")) == len(cases)
    assert int(tree.get("failures", "")) == len(failures)
    assert int(tree.get("errors", "")) == len(errors)
    kinds = {f.get("type") for f in failures}
    assert kinds == {"failed", "timeout"}
    assert {e.get("type") for e in errors} == {"error"}


def test_junit_tells_timeouts_and_errors_apart(located: tuple[GradeResult, Path]) -> None:
    """A hang is a failure of type timeout, a check that could not run an error; the message
    attribute is the first line; file and line point at the student's line in the repo."""
    result, root = located
    cases = {c.get("name"): c for c in ET.fromstring(to_junit(result, root=root)).iter("testcase")}
    hung = cases["released_on_error"].find("failure")
    assert hung is not None and hung.get("type") == "timeout"
    assert hung.get("message") == "main() did not finish within 6 s: 50% done."
    assert "task was waiting at line 8" in (hung.text or "")
    assert cases["released_on_error"].get("file") == "exercises/ex01_process_lock.py"
    assert cases["released_on_error"].get("line") == "8"
    assert cases["elsewhere"].get("file") is None
    error = cases["no_file"].find("error")
    assert error is not None and error.get("type") == "error"
    assert cases["one_at_a_time"].find("failure") is None


def test_junit_survives_any_byte_a_program_prints() -> None:
    """Characters XML cannot hold (a program may print escape codes or NUL) still parse."""
    check = CheckResult("c", "failed", 0, 1, "printed \x1b[31mred\x1b[0m and \x00 <&>")
    result = GradeResult("s", (ExerciseResult("ex01_process_lock", "t", (check,)),))
    failure = ET.fromstring(to_junit(result)).find("./testsuite/testcase/failure")
    assert failure is not None
    assert "\\x1b[31mred" in (failure.text or "") and "<&>" in (failure.text or "")


def test_all_formats_agree(graded: tuple[GradeResult, Path]) -> None:
    """Rendered from the one run, every format names the same checks with the same points."""
    result, root = graded
    expected = [(f"{e.id} / {c.name}", c.score, c.max_score) for e, c in all_checks(result)]
    gradescope = [(t["name"], t["score"], t["max_score"]) for t in to_gradescope(result)["tests"]]
    classroom = [
        (t["test-name"], t["score"], t["max-score"]) for t in to_classroom50(result)["tests"]
    ]
    reporter = [(t["name"], t["score"], t["max_score"]) for t in to_reporter(result)["tests"]]
    junit = [
        (
            f"{case.get('classname')} / {case.get('name')}",
            prop(case, "score"),
            prop(case, "max_score"),
        )
        for case in ET.fromstring(to_junit(result, root=root)).iter("testcase")
    ]
    assert gradescope == classroom == reporter == junit == expected


def prop(case: ET.Element, name: str) -> int:
    """A testcase's integer property."""
    found = case.find(f"./properties/property[@name='{name}']")
    assert found is not None, name
    return int(found.get("value", ""))


def test_markdown_summary_has_the_table_and_what_to_fix(graded: tuple[GradeResult, Path]) -> None:
    """The summary gives the total, a row per check and each failure's message in a fence."""
    result, _ = graded
    text = summary(result)
    assert text.startswith(f"## Lockstep: {result.score} / {result.max_score} points")
    for exercise, check in all_checks(result):
        assert f"| {exercise.id} | {check.name} |" in text
    assert "### What to fix" in text
    for exercise, check in all_checks(result):
        if check.status != "passed":
            label = {"failed": "failed", "timeout": "hung", "error": "error"}[check.status]
            assert f"<b>{exercise.id} / {check.name}</b> ({label})" in text
            assert check.message in text


def test_annotations_point_at_the_students_lines(located: tuple[GradeResult, Path]) -> None:
    """One ::error per failed check whose file is in the repository, the path relative to its
    root, the title naming the check, the message on one line with newlines escaped."""
    result, root = located
    (line,) = annotation_lines(result, root)
    assert line.startswith("::error file=exercises/ex01_process_lock.py,line=8,")
    assert ",title=ex01_process_lock / released_on_error (hung)::main() did not" in line
    assert "\n" not in line and "%0A    task was waiting at line 8" in line
    assert "50%25 done" in line
    assert annotation_lines(result, root / "elsewhere") == []


def test_annotations_of_the_graded_run(graded: tuple[GradeResult, Path]) -> None:
    """In the real run, exactly the failed checks that have a file and a line are annotated."""
    result, root = graded
    lines = annotation_lines(result, root)
    located = [c for _, c in all_checks(result) if c.status != "passed" and c.file and c.line]
    assert len(lines) == len(located)
    assert all(line.startswith("::error file=exercises/") for line in lines)


def test_workflow_command_escaping() -> None:
    """Messages escape %, CR and LF; property values also escape : and ,."""
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a: b, c") == "a%3A b%2C c"


def test_github_report_sets_the_output_and_appends_the_summary(
    located: tuple[GradeResult, Path], tmp_path: Path
) -> None:
    """In Actions, one `result=` line (the reporter's base64) goes to $GITHUB_OUTPUT and the
    summary is appended to $GITHUB_STEP_SUMMARY, after what was there."""
    result, root = located
    output, step_summary = tmp_path / "output", tmp_path / "summary"
    step_summary.write_text("earlier step\n", encoding="utf-8")
    environ = {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(step_summary),
        "GITHUB_WORKSPACE": str(root),
    }
    printed = tmp_path / "stdout"
    with open(printed, "w", encoding="utf-8") as out:
        report_to_actions(result, environ=environ, out=out)
    (line,) = output.read_text(encoding="utf-8").splitlines()
    name, _, value = line.partition("=")
    assert name == "result"
    assert json.loads(base64.b64decode(value))["max_score"] == result.max_score
    assert step_summary.read_text(encoding="utf-8").startswith("earlier step\n## Lockstep:")
    assert "::error file=exercises/ex01_process_lock.py" in printed.read_text(encoding="utf-8")


def test_cli_writes_every_format_from_one_grading(
    graded: tuple[GradeResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m grader` with every format option grades once and writes all of them."""
    result, root = graded
    calls = []

    def fake_grade(*args: object, **kwargs: object) -> GradeResult:
        calls.append(args)
        return result

    monkeypatch.setattr(grader_cli, "grade", fake_grade)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(root))
    code = grader_cli.main(
        [*EXERCISES, "--submission", str(root / "exercises"), *options(tmp_path)]
    )
    assert code == EXIT_FAILED
    assert len(calls) == 1
    assert json.loads((tmp_path / "gs.json").read_text())["score"] == result.score
    assert json.loads((tmp_path / "c50.json").read_text())["score"] == result.score
    assert len(ET.parse(tmp_path / "junit.xml").getroot().findall(".//testcase")) == len(
        all_checks(result)
    )
    assert (tmp_path / "summary.md").read_text().startswith("## Lockstep:")
    assert (tmp_path / "output").read_text().startswith("result=")


def test_a_grader_fault_still_writes_every_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the grader itself crashes, every file is still written and says so: Gradescope
    scores 0 with the note, Classroom 50 has no tests, JUnit has grader-fault errors, the
    reporter's status is error with no points to post; the exit code is 2."""

    def broken_grade(*args: object, **kwargs: object) -> GradeResult:
        raise RuntimeError("the grader broke")

    monkeypatch.setattr(grader_cli, "grade", broken_grade)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    submission = tmp_path / "exercises"
    submission.mkdir()
    code = grader_cli.main(["01", "--submission", str(submission), *options(tmp_path)])
    assert code == EXIT_USAGE
    gradescope = json.loads((tmp_path / "gs.json").read_text())
    assert gradescope["score"] == 0 and FAULT_NOTE in gradescope["output"]
    assert "the grader broke" in gradescope["output"]
    classroom = json.loads((tmp_path / "c50.json").read_text())
    assert (classroom["tests"], classroom["score"], classroom["max-score"]) == ([], 0, 0)
    errors = ET.parse(tmp_path / "junit.xml").getroot().findall(".//error")
    assert errors and {e.get("type") for e in errors} == {"grader-fault"}
    value = (tmp_path / "output").read_text().strip().partition("=")[2]
    reporter = json.loads(base64.b64decode(value))
    assert (reporter["status"], reporter["max_score"]) == ("error", 0)
    assert FAULT_NOTE.split(":")[0] in (tmp_path / "summary").read_text()
    assert FAULT_NOTE.split(":")[0] in (tmp_path / "summary.md").read_text()


def test_a_missing_submission_folder_is_written_as_a_fault(tmp_path: Path) -> None:
    """A usage error (no submission folder) also leaves a results file that says why."""
    code = grader_cli.main(["01", "--submission", str(tmp_path / "nowhere"), *options(tmp_path)])
    assert code == EXIT_USAGE
    gradescope = json.loads((tmp_path / "gs.json").read_text())
    assert "does not exist" in gradescope["output"] and gradescope["score"] == 0


def options(folder: Path) -> list[str]:
    return [
        "--quiet",
        "--gradescope",
        str(folder / "gs.json"),
        "--classroom50",
        str(folder / "c50.json"),
        "--junit",
        str(folder / "junit.xml"),
        "--markdown",
        str(folder / "summary.md"),
        "--github",
    ]
