"""The command line and its results file: a contract other tools build on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from grader.results import CheckResult, ExerciseResult, GradeResult
from tests.conftest import ROOT, submission_of


def grader(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "KIT_TEST_WORKER": os.environ["KIT_TEST_WORKER"],
        },
    )


def test_full_marks_exit_zero_and_write_the_results_file(tmp_path: Path) -> None:
    """Full marks exit 0; --json writes lockstep/result/v1 with every field of the contract."""
    out = tmp_path / "r.json"
    done = grader("01", "--submission", "solutions", "--json", str(out), "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "lockstep/result/v1"
    assert (data["score"], data["max_score"]) == (10, 10)
    (exercise,) = data["exercises"]
    assert exercise["id"] == "ex01_process_lock" and exercise["title"]
    assert exercise["score"] == exercise["max_score"] == 10
    for check in exercise["checks"]:
        assert set(check) >= {"name", "status", "score", "max_score", "message"}
        assert check["status"] == "passed"
    assert "ex01_process_lock" in done.stdout and "10 / 10" in done.stdout


def test_a_failed_check_exits_one_and_says_why(tmp_path: Path) -> None:
    """A stub exits 1; its statuses are among the four allowed and failures carry a message."""
    out = tmp_path / "r.json"
    done = grader("ex01_process_lock", "--json", str(out))
    assert done.returncode == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["score"] == 0
    checks = data["exercises"][0]["checks"]
    assert {c["status"] for c in checks} <= {"passed", "failed", "timeout", "error"}
    assert all(c["message"] for c in checks)
    assert "Hint:" in done.stdout
    assert GradeResult.from_json(data).to_json() == data


RESULT = GradeResult(
    "submissions/李雷",
    (
        ExerciseResult(
            "ex01_process_lock",
            "Process lock",
            (
                CheckResult("one_at_a_time", "passed", 3, 3),
                CheckResult("order", "failed", 0, 2, "进程1来了 twice", file="/s/ex01.py", line=12),
                CheckResult("ends", "timeout", 0, 4, "did not finish within 6 s"),
            ),
        ),
        ExerciseResult("ex03_pids", "PIDs", (CheckResult("pids", "error", 0, 1, "syntax"),)),
    ),
)


def test_the_results_file_reads_back_as_what_was_written() -> None:
    """``GradeResult.from_json`` inverts the ``--json`` document, through JSON text: every
    status, a file and line or none, scores and messages. The checks' summaries and the
    durations are not in the file, and come back empty."""
    text = json.dumps(RESULT.to_json(), ensure_ascii=False)
    assert GradeResult.from_json(json.loads(text)) == RESULT
    first = RESULT.exercises[0]
    fuller = replace(
        RESULT,
        exercises=(
            replace(
                first,
                duration=1.5,
                checks=tuple(replace(c, summary="what it grades") for c in first.checks),
            ),
            *RESULT.exercises[1:],
        ),
    )
    assert fuller.to_json() == RESULT.to_json()
    assert GradeResult.from_json(fuller.to_json()) == RESULT


@pytest.mark.parametrize(
    "broken",
    [
        {**RESULT.to_json(), "schema": "lockstep/result/v0"},
        {key: value for key, value in RESULT.to_json().items() if key != "exercises"},
        json.loads(json.dumps(RESULT.to_json()).replace('"timeout"', '"hung"')),
    ],
    ids=["schema", "no exercises", "unknown status"],
)
def test_a_document_that_is_not_a_result_is_refused(broken: dict[str, Any]) -> None:
    """Another schema, a missing field or an unknown status raises (the batch then notes that
    the grader wrote no readable results) instead of reading as a grade."""
    with pytest.raises((ValueError, KeyError, TypeError)):
        GradeResult.from_json(broken)


def test_unknown_exercise_is_a_usage_error_listing_the_valid_ones() -> None:
    """An unknown exercise exits 2 and lists the exercises there are."""
    done = grader("99")
    assert done.returncode == 2
    assert "unknown exercise '99'" in done.stderr
    assert "01  ex01_process_lock" in done.stderr


def test_missing_submission_folder_is_a_usage_error(tmp_path: Path) -> None:
    """A submission folder that does not exist exits 2 and names it."""
    done = grader("01", "--submission", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "nowhere" in done.stderr and "does not exist" in done.stderr


def test_broken_and_missing_modules_cost_only_their_own_exercise(tmp_path: Path) -> None:
    """A syntax error scores 0 with its line; a missing module scores 0; the rest is graded."""
    folder = submission_of(tmp_path / "sub", "ex01_process_lock", "solution")
    (folder / "ex03_pids.py").write_text("def report(q)\n    pass\n", encoding="utf-8")
    out = tmp_path / "r.json"
    done = grader(
        "01", "03", "06", "--submission", str(folder), "--json", str(out), "--start-method", "fork"
    )
    assert done.returncode == 1
    scores = {e["id"]: e for e in json.loads(out.read_text(encoding="utf-8"))["exercises"]}
    assert scores["ex01_process_lock"]["score"] == 10
    broken = scores["ex03_pids"]
    assert broken["score"] == 0
    assert {c["status"] for c in broken["checks"]} == {"error"}
    assert "syntax error at line 1" in broken["checks"][0]["message"]
    missing = scores["ex06_producer_consumer"]
    assert missing["score"] == 0
    assert "ex06_producer_consumer.py is missing" in missing["checks"][0]["message"]
