"""What an instructor uploads: the Gradescope autograder zip and Classroom 50's autograder.py,
each run the way its platform runs it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.formats.fault import FAULT_NOTE
from grader.formats.gradescope_zip import build_zip
from tests.conftest import ROOT, submission_of

PLATFORM_VARIABLES = (
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_WORKSPACE",
    "CLASSROOM",
    "ASSIGNMENT",
    "SUBMISSION_TAG",
    "COMMIT_URL",
    "RELEASE_URL",
    "REVIEW_URL",
    "CLASSROOM50_BUNDLE_DIR",
)


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any platform's variables, plus ``extra``."""
    environ = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    return {**environ, **extra}


def test_gradescope_zip_holds_the_scripts_and_the_grader(tmp_path: Path) -> None:
    """setup.sh and run_autograder sit at the zip's root, executable; the grader package is
    complete (catalogue, probe) without caches; the same sources give the same bytes."""
    first = build_zip(tmp_path / "a")
    second = build_zip(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        for script in ("setup.sh", "run_autograder"):
            mode = archive.getinfo(script).external_attr >> 16
            assert mode & stat.S_IXUSR, script
            assert archive.read(script).startswith(b"#!/usr/bin/env bash\n")
        setup = archive.read("setup.sh").decode()
    probe = ("grader/probe/sitecustomize.py", "grader/probe/lockstep_probe/__init__.py")
    for needed in ("grader/cli.py", "grader/catalogue.toml", *probe):
        assert needed in names
    assert "grader/formats/gradescope.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert '"psutil>=5.9"' in setup


def unpack_autograder(tmp_path: Path, python: str) -> Path:
    """Lay the zip out as Gradescope does: source/, run_autograder, a venv's python."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build_zip(tmp_path / "dist")) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "venv" / "bin").mkdir(parents=True)
    wrapper = root / "venv" / "bin" / "python"
    wrapper.write_text(f'#!/bin/sh\nexec {python} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return root


def run_autograder(root: Path) -> dict[str, object]:
    done = subprocess.run(
        ["bash", str(root / "run_autograder")],
        cwd=root,
        env=clean_environment(AUTOGRADER_ROOT=str(root)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_run_autograder_grades_the_uploaded_files(tmp_path: Path) -> None:
    """run_autograder finds the exercise file wherever the student's upload put it, grades it
    with the zip's grader (not a `grader/` the student uploaded) and writes results.json."""
    root = unpack_autograder(tmp_path, sys.executable)
    submission_of(root / "submission" / "my-repo" / "exercises", "ex01_process_lock", "solution")
    hostile = root / "submission" / "grader"
    hostile.mkdir(parents=True)
    (hostile / "__init__.py").write_text("raise SystemExit('the student grader ran')\n")
    document = run_autograder(root)
    tests = document["tests"]
    assert isinstance(tests, list)
    ex01 = [t for t in tests if t["name"].startswith("ex01_process_lock / ")]
    assert ex01 and not any(t["output"].startswith("[error]") for t in ex01)  # found, graded
    assert document["score"] == sum(t["score"] for t in tests) == sum(t["score"] for t in ex01)


def test_run_autograder_reports_a_grader_that_cannot_start(tmp_path: Path) -> None:
    """If the grader cannot even start, results.json still exists and says the grader
    failed, with a score of 0."""
    root = unpack_autograder(tmp_path, "/bin/false")
    (root / "submission").mkdir()
    document = run_autograder(root)
    assert document["score"] == 0 and document["tests"] == []
    assert FAULT_NOTE in str(document["output"])


def classroom50_bundle(tmp_path: Path) -> Path:
    """An assignment's bundle as the instructor sets it up: autograder.py, pyproject.toml and
    the grader, side by side."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy(ROOT / "autograder.py", bundle)
    shutil.copy(ROOT / "pyproject.toml", bundle)
    shutil.copytree(
        ROOT / "grader", bundle / "grader", ignore=shutil.ignore_patterns("__pycache__")
    )
    return bundle


def run_classroom50(bundle: Path, repo: Path) -> subprocess.CompletedProcess[str]:
    """Run autograder.py as Classroom 50's runner does: its own interpreter, the student's
    repository as the working directory, the identity in the environment."""
    environ = clean_environment(
        CLASSROOM="os-2026",
        ASSIGNMENT="lockstep",
        SUBMISSION_TAG="submit/2026-11-02T10-00-00Z-abc1234",
        COMMIT_URL="https://example.test/commit/abc1234",
        RELEASE_URL="https://example.test/releases/tag/submit",
        CLASSROOM50_BUNDLE_DIR=str(bundle),
    )
    return subprocess.run(
        [sys.executable, str(bundle / "autograder.py")],
        cwd=repo,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def student_repo(tmp_path: Path) -> Path:
    """A student's repository: ex01 solved, the rest missing, and a `grader/` of their own
    that must never run."""
    repo = tmp_path / "repo"
    submission_of(repo / "exercises", "ex01_process_lock", "solution")
    (repo / "grader").mkdir()
    (repo / "grader" / "__init__.py").write_text("raise SystemExit('the student grader ran')\n")
    return repo


def test_classroom50_autograder_writes_a_valid_result(tmp_path: Path, student_repo: Path) -> None:
    """autograder.py exits 0 although points were lost, and result.json passes the checks
    Classroom 50's runner makes: schema, identity, integer scores, one test per check."""
    done = run_classroom50(classroom50_bundle(tmp_path), student_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((student_repo / "result.json").read_text(encoding="utf-8"))
    assert result["schema"] == "classroom50/result/v1"
    assert (result["classroom"], result["assignment"]) == ("os-2026", "lockstep")
    assert result["submission"].startswith("submit/")
    assert result["review"] == result["commit"] and result["release"]
    assert 0 <= result["score"] < result["max-score"]
    for test in result["tests"]:
        assert isinstance(test["test-name"], str) and isinstance(test["passed"], bool)
        assert 0 <= test["score"] <= test["max-score"]
    assert result["score"] == sum(test["score"] for test in result["tests"])
    body = (student_repo / "release-body.md").read_text(encoding="utf-8")
    assert body.startswith(f"## Lockstep: {result['score']} / {result['max-score']} points")


def test_classroom50_autograder_exits_2_when_the_grader_fails(
    tmp_path: Path, student_repo: Path
) -> None:
    """A fault of the grader is not a grade: exit code 2 (an infrastructure error to Classroom
    50) and result.json in its error shape, no tests and 0 of 0."""
    bundle = classroom50_bundle(tmp_path)
    definition = bundle / "grader" / "exercises" / "ex01_process_lock.py"
    definition.write_text("raise RuntimeError('a broken grader')\n", encoding="utf-8")
    done = run_classroom50(bundle, student_repo)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "a broken grader" in done.stderr
    result = json.loads((student_repo / "result.json").read_text(encoding="utf-8"))
    assert (result["tests"], result["score"], result["max-score"]) == ([], 0, 0)
    assert FAULT_NOTE.split(":")[0] in (student_repo / "release-body.md").read_text()
