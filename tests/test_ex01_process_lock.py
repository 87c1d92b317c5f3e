"""ex01: every right way to hold the lock passes; every typical mistake loses points."""

from __future__ import annotations

from tests.conftest import GradeVariant, line_of, message_of

EXERCISE = "ex01_process_lock"


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
    line = line_of(EXERCISE, "not_released_on_error", "lock.acquire()")
    assert f"was waiting at ex01_process_lock.py:{line} in task: `lock.acquire()`" in check.message


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
