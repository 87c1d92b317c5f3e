"""ex12: right programs in other idioms earn full marks, each typical mistake loses
the checks its fixture declares (`# expect: ...`, its first line), under every start
method; the stub earns nothing; no database file or process is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.instructor.kit_check import declared_failures
from tests.conftest import FIXTURES, GradeVariant, assert_loses_points, failed_checks

EXERCISE = "ex12_optimistic_lock"
DECLARED = {
    path.stem: declared_failures(path) for path in sorted((FIXTURES / EXERCISE).glob("*.py"))
}


@pytest.mark.parametrize(
    "variant", ["solution", *(name for name, fails in DECLARED.items() if fails == set())]
)
def test_right_programs_earn_full_marks(grade_variant: GradeVariant, variant: str) -> None:
    """The reference and the right programs in other idioms earn 10 of 10."""
    result = grade_variant(EXERCISE, variant)
    assert failed_checks(result) == set(), [c.message for c in result.checks]


@pytest.mark.parametrize("variant", [name for name, fails in DECLARED.items() if fails])
def test_mistakes_lose_their_checks(grade_variant: GradeVariant, variant: str) -> None:
    """Each mistake fails the checks it declares, under fork, spawn and forkserver."""
    assert_loses_points(grade_variant(EXERCISE, variant), DECLARED[variant] or set())


def test_stub_scores_nothing(grade_variant: GradeVariant) -> None:
    """The untouched stub earns 0."""
    assert grade_variant(EXERCISE, "stub").score == 0


def test_no_database_file_left(grade_variant: GradeVariant, tmp_path: Path) -> None:
    """The graded runs leave no database file in the kit (each run's file is in its own
    folder, removed with it)."""
    before = set(Path.cwd().rglob("*.db"))
    grade_variant(EXERCISE, "solution", ["fork"])
    assert set(Path.cwd().rglob("*.db")) == before
