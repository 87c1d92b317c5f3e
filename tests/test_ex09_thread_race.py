"""ex09: a lock keeps every update of a shared n; the threads must run together."""

from __future__ import annotations

from tests.conftest import GradeVariant, message_of

EXERCISE = "ex09_thread_race"


def test_stub_loses_every_update_but_one(grade_variant: GradeVariant) -> None:
    """Without the lock every thread reads 100 before any writes: 99, on every run."""
    result = grade_variant(EXERCISE, "stub")
    message = message_of(result, "no_lost_update")
    assert "main(threads=20, delay=0.02) returned 99: 19 of the 20 updates were lost" in message


def test_join_in_start_loop_is_shown_with_the_threads_spans(grade_variant: GradeVariant) -> None:
    """The message says which thread had ended before the last one started."""
    message = message_of(grade_variant(EXERCISE, "join_in_start_loop"), "threads_together")
    assert "had already ended" in message and "never alive together" in message
    assert "thread task (Thread-1): started" in message


def test_second_call_without_reset_is_shown_with_both_values(grade_variant: GradeVariant) -> None:
    """A global left at 80 makes the second call return 73: both values are in the message."""
    message = message_of(grade_variant(EXERCISE, "no_reset"), "called_twice")
    assert "returned 80, main(threads=7, delay=0.02) returned 73" in message
