"""Shared helpers for the kit's own tests: grade a fixture submission for real."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from grader import ExerciseResult, find_exercise, grade, platforms

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

GradeVariant = Callable[..., ExerciseResult]

FIXTURE_SUITE = ("test_ex", "test_fixture", "test_hostile", "test_platforms")
"""The test modules (by name prefix) that ``--backend portable`` runs: those that grade the
fixture submissions, and the platform layer's own tests."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("native", "portable"),
        default=os.environ.get("LOCKSTEP_BACKEND") or "native",
        help="grade through this platform layer (LOCKSTEP_BACKEND); portable runs the fixture "
        "suite only",
    )


def pytest_configure(config: pytest.Config) -> None:
    os.environ["LOCKSTEP_BACKEND"] = config.getoption("backend")


POSIX_ONLY = ("test_batch.py", "test_stress.py")
"""Tests of the instructors' tools, which grade a class on Linux (process groups, signals)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if sys.platform == "win32":
        for item in items:
            if item.path.name in POSIX_ONLY:
                item.add_marker(pytest.mark.skip(reason="an instructors' tool, for Linux"))
    if config.getoption("backend") == "native":
        return
    kept = [item for item in items if item.path.name.startswith(FIXTURE_SUITE)]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


# Graded runs inherit this, so a scan can tell this test process's runs from another xdist
# worker's (the grader passes every variable but PYTHON* and LOCKSTEP_* through).
os.environ["KIT_TEST_WORKER"] = str(os.getpid())


def variant_source(exercise_id: str, variant: str) -> Path:
    """``solution`` and ``stub`` are the kit's own files; anything else a fixture."""
    if variant == "solution":
        return ROOT / "solutions" / f"{exercise_id}.py"
    if variant == "stub":
        return ROOT / "exercises" / f"{exercise_id}.py"
    return FIXTURES / exercise_id / f"{variant}.py"


def line_of(exercise_id: str, variant: str, code: str) -> int:
    """The number of the first line of a variant's file that is ``code`` (indent aside)."""
    lines = variant_source(exercise_id, variant).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip() == code)


def submission_of(folder: Path, exercise_id: str, variant: str) -> Path:
    """A submission folder holding one variant of one exercise under its real file name."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(variant_source(exercise_id, variant), folder / f"{exercise_id}.py")
    return folder


def leftover_processes() -> list[psutil.Process]:
    """Processes started by a graded run that are still alive: scanned, not taken on trust."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            env = process.environ()
            if "LOCKSTEP_RUN_DIR" in env and env.get("KIT_TEST_WORKER") == str(os.getpid()):
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


@pytest.fixture
def grade_variant(tmp_path: Path) -> GradeVariant:
    """Grade one variant of one exercise: ``grade_variant("ex01_process_lock", "no_lock")``."""
    counter = iter(range(1_000_000))

    def run(exercise_id: str, variant: str, methods: list[str] | None = None) -> ExerciseResult:
        exercise = find_exercise(exercise_id)
        assert exercise is not None, exercise_id
        missing = set(methods or ()) - set(platforms.start_methods())
        if missing:
            pytest.skip(f"this system has no {', '.join(sorted(missing))} start method")
        folder = submission_of(tmp_path / f"s{next(counter)}", exercise_id, variant)
        return grade(folder, [exercise], start_methods=methods).exercises[0]

    return run


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    """Every test ends with no process of its graded runs alive (only the processes that
    appeared during the test count, so one leak is blamed on the test that made it)."""
    before = {p.pid for p in leftover_processes()}
    yield
    left = [p for p in leftover_processes() if p.pid not in before]
    assert not left, f"processes of a graded run are still alive: {left}"


def failed_checks(result: ExerciseResult) -> set[str]:
    return {check.name for check in result.checks if check.status != "passed"}


def message_of(result: ExerciseResult, check: str) -> str:
    return next(c.message for c in result.checks if c.name == check)


def assert_loses_points(result: ExerciseResult, must_fail: set[str]) -> None:
    """The result fails at least these checks, for their own reason: not because it did not
    load (a fixture with a typo would otherwise 'fail' everything and prove nothing)."""
    assert not [c for c in result.checks if c.status == "error"], result.checks[0].message
    assert must_fail <= failed_checks(result), [(c.name, c.message) for c in result.checks]
    assert result.score < result.max_score
