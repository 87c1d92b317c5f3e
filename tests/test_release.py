"""The student template: what it holds, what it never holds, and that it grades as the kit does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader import load_catalogue
from grader.instructor.manifest import MANIFEST_NAME, Manifest, protected_files, sha256
from grader.instructor.release import (
    NOT_FOR_STUDENTS,
    ReleaseError,
    build,
    dependency_names,
    student_readme,
)
from tests.conftest import ROOT

NOT_SHIPPED = tuple(f"grader/{package}/" for package in NOT_FOR_STUDENTS)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

WORKFLOW = ".github/workflows/classroom.yml"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One template released from the kit itself, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("release") / "template"
    build(out)
    return out


@pytest.fixture
def fake_kit(tmp_path: Path) -> Path:
    """A copy of the kit with instructor material and two workflows, the class one among them."""
    kit = tmp_path / "kit"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("grader", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, kit / folder, ignore=skip)
    for name in ("noxfile.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, kit / name)
    (kit / "tests").mkdir()
    (kit / "tests" / "test_kit.py").write_text("def test(): pass\n")
    (kit / ".ci").mkdir()
    (kit / ".ci" / "run").write_text("#!/bin/sh\n")
    (kit / ".github" / "workflows").mkdir(parents=True)
    (kit / WORKFLOW).write_text("name: Autograding Tests\non: [push, repository_dispatch]\n")
    (kit / ".github" / "workflows" / "kit-ci.yml").write_text("name: kit CI\non: push\n")
    return kit


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def grade_template(template: Path, json_path: Path) -> tuple[int, dict[str, Any]]:
    """``python -m grader`` run inside the template, as a student runs it (every exercise,
    every start method); its exit code and its JSON results."""
    done = subprocess.run(
        [sys.executable, "-m", "grader", "--quiet", "--json", str(json_path)],
        cwd=template,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert json_path.is_file(), done.stderr
    return done.returncode, json.loads(json_path.read_text(encoding="utf-8"))


def test_template_has_what_students_need(template: Path) -> None:
    """Every catalogued stub, the grader package, the nox files, a README and the manifest."""
    files = files_of(template)
    for exercise in load_catalogue():
        assert f"exercises/{exercise.filename}" in files
        assert (template / "exercises" / exercise.filename).read_bytes() == (
            ROOT / "exercises" / exercise.filename
        ).read_bytes()
    for name in ("grader/__init__.py", "grader/catalogue.toml", "grader/probe/harness.py"):
        assert name in files
    assert {"noxfile.py", "pyproject.toml", "README.md", MANIFEST_NAME} <= files


def test_template_holds_the_engine_and_no_tool_of_instructors_or_maintainers(
    template: Path,
) -> None:
    """Every file of the kit's grader/ is in the template, but for grader/instructor/ and
    grader/maintainer/ (batch, verify, release, stress, benchmark...), of which nothing is."""
    kit = {
        f"grader/{name}"
        for name in files_of(ROOT / "grader")
        if "__pycache__" not in name and not name.endswith(".pyc")
    }
    left_out = {name for name in kit if name.startswith(NOT_SHIPPED)}
    assert "grader/instructor/batch.py" in left_out and "grader/maintainer/stress.py" in left_out
    shipped = {name for name in files_of(template) if name.startswith("grader/")}
    assert shipped == kit - left_out


@pytest.mark.timeout(600)
def test_template_grades_with_nox_without_the_instructors_tools(
    template: Path, tmp_path: Path
) -> None:
    """In a copy of the template with ex01 solved, a student's ``nox -s grade -- 01`` builds
    its environment and gives full marks; an instructors' command says it is not there."""
    copy = tmp_path / "template"
    shutil.copytree(template, copy)
    shutil.copy(ROOT / "solutions" / "ex01_process_lock.py", copy / "exercises")
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "grade", "--", "01", "--json", str(out)],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["score"] == result["max_score"] == 10
    batch = subprocess.run(
        [sys.executable, "-m", "grader", "batch", str(tmp_path), "--csv", str(tmp_path / "g")],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert batch.returncode == 2
    assert batch.stderr.startswith("error: `batch` is an instructors' command"), batch.stderr


def test_template_never_holds_instructor_material(fake_kit: Path, tmp_path: Path) -> None:
    """No solutions, kit tests, CI script, kit README or bytecode; only the class workflow."""
    out = tmp_path / "template"
    build(out, kit=fake_kit)
    files = files_of(out)
    assert not any(f.startswith(("solutions/", "tests/", ".ci/")) for f in files)
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)
    assert WORKFLOW in files
    assert ".github/workflows/kit-ci.yml" not in files
    assert (out / "README.md").read_text(encoding="utf-8") != (ROOT / "README.md").read_text(
        encoding="utf-8"
    )
    solutions = {p.read_bytes() for p in (ROOT / "solutions").glob("*.py")}
    assert not any((out / f).read_bytes() in solutions for f in files), "a solution slipped in"


def test_readme_is_generated_from_the_catalogue(template: Path) -> None:
    """The README says how to run, grade and get hints, and lists each exercise with points."""
    readme = (template / "README.md").read_text(encoding="utf-8")
    exercises = load_catalogue()
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    assert readme == student_readme(
        exercises,
        python=project["requires-python"],
        dependencies=dependency_names(project),
        has_workflow=(ROOT / WORKFLOW).is_file(),
    )
    assert "pip install psutil" in readme
    first = exercises[0]
    assert f"python exercises/{first.filename}" in readme
    assert f"nox -s grade -- {first.number}" in readme
    assert "--hints" in readme
    for exercise in exercises:
        row = f"| {exercise.number} | `{exercise.filename}` | {exercise.title} "
        assert row in readme and f"| {exercise.max_score} |" in readme
        assert f"time limit per run: {exercise.timeout:g} s" in readme
        for check in exercise.checks:
            assert f"`{check.name}` ({check.points}): {check.summary}" in readme
    assert f"**{sum(e.max_score for e in exercises)}**" in readme


def test_manifest_hashes_every_protected_file(fake_kit: Path, tmp_path: Path) -> None:
    """The manifest lists the grader, workflow and nox files with their SHA-256, and the
    release's version and date; never the exercises or the README."""
    out = tmp_path / "template"
    build(out, kit=fake_kit, date="2026-09-01")
    manifest = Manifest.read(out / MANIFEST_NAME)
    with open(ROOT / "pyproject.toml", "rb") as file:
        assert manifest.version == tomllib.load(file)["project"]["version"]
    assert manifest.date == "2026-09-01"
    assert set(manifest.files) == set(protected_files(out))
    assert {"noxfile.py", "pyproject.toml", WORKFLOW, "grader/grading.py"} <= set(manifest.files)
    assert not any(f.startswith("exercises/") or f == "README.md" for f in manifest.files)
    for name, digest in manifest.files.items():
        assert sha256(out / name) == digest


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    """Releasing over existing files is refused (a folder holding only .git is fine)."""
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("keep me")
    with pytest.raises(ReleaseError, match="not empty"):
        build(tmp_path / "old")
    assert (tmp_path / "old" / "notes.txt").read_text() == "keep me"
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    build(tmp_path / "repo")
    assert (tmp_path / "repo" / MANIFEST_NAME).is_file()


def test_release_command_line(tmp_path: Path) -> None:
    """``python -m grader.instructor.release OUT_DIR`` (what ``nox -s release`` runs): 0, then 2
    when the folder is taken."""
    command = [sys.executable, "-m", "grader.instructor.release", str(tmp_path / "out")]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert MANIFEST_NAME in first.stdout
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "not empty" in again.stderr


def test_template_offers_students_only_the_grade_session(template: Path) -> None:
    """The kit's instructor sessions (solutions, tests, stress, ...) need folders the template
    does not have, so its ``nox --list`` shows only the students' ``grade`` and ``watch``, and
    the kit's shows them all."""

    def sessions(folder: Path) -> set[str]:
        listed = subprocess.run(
            [sys.executable, "-m", "nox", "--list"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        # "* grade -> ..." for a default session, "- solutions -> ..." for the others
        return {
            line.split()[1] for line in listed.stdout.splitlines() if line.startswith(("* ", "- "))
        }

    assert sessions(template) == {"grade", "watch"}
    assert {"grade", "solutions", "stress", "benchmark", "release"} <= sessions(ROOT)


@pytest.mark.timeout(600)
def test_template_stubs_earn_nothing(template: Path, tmp_path: Path) -> None:
    """The template's own grader, run in the template, gives its stubs 0 (and exit code 1)."""
    used = subprocess.run(
        [sys.executable, "-c", "import grader; print(grader.__file__)"],
        cwd=template,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(used.stdout.strip()).resolve().is_relative_to(template.resolve())
    code, result = grade_template(template, tmp_path / "result.json")
    assert (code, result["score"]) == (1, 0)
    assert result["max_score"] == sum(e.max_score for e in load_catalogue())


@pytest.mark.timeout(600)
def test_template_with_the_solutions_earns_full_marks(template: Path, tmp_path: Path) -> None:
    """The same template with the reference solutions copied into exercises/ earns full marks
    under every start method."""
    copy = tmp_path / "template"
    shutil.copytree(template, copy)
    for exercise in load_catalogue():
        shutil.copy(ROOT / "solutions" / exercise.filename, copy / "exercises")
    code, result = grade_template(copy, tmp_path / "result.json")
    failed = [
        f"{e['id']}/{c['name']}: {c['message']}"
        for e in result["exercises"]
        for c in e["checks"]
        if c["status"] != "passed"
    ]
    assert failed == []
    assert code == 0 and result["score"] == result["max_score"]


def test_release_environment_is_not_needed(tmp_path: Path) -> None:
    """The template is self-contained: it holds no path of the kit it was released from."""
    out = tmp_path / "template"
    build(out)
    kit_path = os.fsencode(str(ROOT))
    assert not any(kit_path in (out / f).read_bytes() for f in files_of(out))
