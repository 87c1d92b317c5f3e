"""ex11_pessimistic_lock: TODO(instructor) the behaviour these tests pin down."""

from __future__ import annotations

from tests.conftest import GradeVariant, assert_loses_points, failed_checks

EXERCISE = "ex11_pessimistic_lock"


def test_solution_earns_full_marks(grade_variant: GradeVariant) -> None:
    """The reference solution earns every point under every start method."""
    result = grade_variant(EXERCISE, "solution")
    assert failed_checks(result) == set(), [c.message for c in result.checks]


def test_stub_scores_nothing(grade_variant: GradeVariant) -> None:
    """The untouched stub earns 0."""
    assert grade_variant(EXERCISE, "stub").score == 0


def test_forgets_one_loses_its_check(grade_variant: GradeVariant) -> None:
    """A program that starts one process too few fails each_task_once."""
    assert_loses_points(grade_variant(EXERCISE, "forgets_one", ["fork"]), {"each_task_once"})
