"""ex01: every right way to hold the lock passes; every typical mistake loses points."""

from __future__ import annotations

import pytest

from tests.conftest import GradeVariant, assert_loses_points, failed_checks, message_of

EXERCISE = "ex01_process_lock"


@pytest.mark.parametrize("variant", ["solution", "acquire_release"])
def test_right_programs_earn_full_marks(grade_variant: GradeVariant, variant: str) -> None:
    """A with block and acquire/release in try/finally both earn 10 of 10 under every method."""
    result = grade_variant(EXERCISE, variant)
    assert failed_checks(result) == set(), [c.message for c in result.checks]
    assert result.score == 10


@pytest.mark.parametrize(
    ("variant", "must_fail"),
    [
        ("stub", {"one_at_a_time", "released_on_error"}),
        ("lock_inside_task", {"one_at_a_time"}),
        ("release_before_departure", {"one_at_a_time"}),
        ("join_in_start_loop", {"started_together"}),
        ("not_released_on_error", {"released_on_error"}),
        ("no_join", {"main_waits"}),
        ("global_lock", {"one_at_a_time"}),
        ("starts_one", {"one_at_a_time"}),
    ],
)
def test_mistakes_lose_points(
    grade_variant: GradeVariant, variant: str, must_fail: set[str]
) -> None:
    """Each typical mistake fails the check that describes it."""
    result = grade_variant(EXERCISE, variant)
    assert_loses_points(result, must_fail)


def test_stub_scores_nothing(grade_variant: GradeVariant) -> None:
    """The untouched stub earns 0: the parts it gets right by doing nothing are not credited."""
    result = grade_variant(EXERCISE, "stub")
    assert result.score == 0


def test_missing_lock_is_shown_with_a_timeline(grade_variant: GradeVariant) -> None:
    """The message names the overlap, shows who printed what, and gives a hint."""
    message = message_of(grade_variant(EXERCISE, "stub", ["spawn"]), "one_at_a_time")
    assert "Under the spawn start method" in message
    assert "was printed while 进程" in message and "was still inside" in message
    assert "(pid " in message and ", running task)" in message
    assert "Hint: Take the lock" in message


def test_lock_never_released_is_reported_where_each_process_waits(
    grade_variant: GradeVariant,
) -> None:
    """A lock kept after an exception hangs the others; the report points at their line."""
    result = grade_variant(EXERCISE, "not_released_on_error", ["fork"])
    check = next(c for c in result.checks if c.name == "released_on_error")
    assert check.status == "timeout"
    assert "did not finish within" in check.message
    assert "was waiting at ex01_process_lock.py:8 in task: `lock.acquire()`" in check.message


def test_children_that_crash_are_shown_with_their_error(grade_variant: GradeVariant) -> None:
    """Without join(), main returns and frees the lock while spawn children are still loading
    it: each crashes before printing, and the message names their error and why."""
    result = grade_variant(EXERCISE, "no_join", ["spawn"])
    message = message_of(result, "one_at_a_time")
    assert "printed no 进程i来了 line" in message
    assert "task (pids " in message
    assert "failed with FileNotFoundError" in message and "exited with code 1" in message
    assert "main had returned without joining its children" in message


def test_one_process_taking_its_turn_shows_no_turns(grade_variant: GradeVariant) -> None:
    """A main that starts one process (with the right lock) does not pass one_at_a_time: only
    every process taking its turn shows the lock works."""
    message = message_of(grade_variant(EXERCISE, "starts_one", ["fork"]), "one_at_a_time")
    assert "only 1 of the 3 processes got in and out" in message
