"""ex04: the child's n is its own; its value comes out through a queue, read before join."""

from __future__ import annotations

from grader.exercises import ex04_isolation
from tests.conftest import GradeVariant, line_of, message_of

EXERCISE = "ex04_isolation"


def test_stub_is_told_its_second_value_is_the_parents(grade_variant: GradeVariant) -> None:
    """The stub returns the parent's n twice: the message says the second value is 100."""
    result = grade_variant(EXERCISE, "stub", ["fork"])
    assert "returned (100, 100): the second value is 100" in message_of(result, "child_value")


def test_the_value_is_fresh_for_every_grading() -> None:
    """The grader draws new values each time, never the parent's 100 nor the lesson's 1, so a
    value written into the program cannot pass."""
    drawn = [
        call.kwargs["value"]
        for _ in range(5)
        for scenario in ex04_isolation.scenarios()
        for call in scenario.calls
    ]
    assert len(set(drawn)) == len(drawn)
    assert not {1, 100} & set(drawn)


def test_value_made_up_by_the_parent_is_caught(grade_variant: GradeVariant) -> None:
    """Returning the value main passed in is right by value, but nothing came from the child."""
    result = grade_variant(EXERCISE, "value_from_parent", ["spawn"])
    assert "the child put nothing on a queue" in message_of(result, "sent_by_child")


def test_value_put_by_the_parent_is_caught(grade_variant: GradeVariant) -> None:
    """The queue records who put each item: the parent's own put is not the child's."""
    message = message_of(grade_variant(EXERCISE, "parent_puts", ["fork"]), "sent_by_child")
    assert "only the main program (pid " in message
    assert "put anything on a queue" in message


def test_forgotten_global_is_seen_in_the_child(grade_variant: GradeVariant) -> None:
    """The child's own global n is read when it ends: without `global n` it is still 100."""
    message = message_of(
        grade_variant(EXERCISE, "no_global", ["forkserver"]), "child_changed_its_n"
    )
    assert "that child's own global n was 100" in message
    assert "Hint: An assignment inside a function" in message


def test_join_before_get_with_a_large_message_is_a_hang_at_the_join(
    grade_variant: GradeVariant,
) -> None:
    """Joining before reading a megabyte hangs both processes; the grader stops the run at
    its deadline, points at the join line, says the child waits to send what it put (not at
    the parent's `p.start()` its forked stack goes back to), and the other checks still pass.
    (How soon the verdict comes is the benchmark's to time, not a test's.)"""
    result = grade_variant(EXERCISE, "get_after_join")
    check = next(c for c in result.checks if c.name == "large_message")
    assert check.status == "timeout"
    assert "payload=1048576) did not finish within" in check.message
    assert "the main program (pid " in check.message
    join = line_of(EXERCISE, "get_after_join", "p.join()")
    assert f"was waiting at ex04_isolation.py:{join} in main: `p.join()`" in check.message
    assert ", running task)" in check.message
    assert "had finished and was waiting to exit: a process sends everything" in check.message
    assert "p.start()" not in check.message
