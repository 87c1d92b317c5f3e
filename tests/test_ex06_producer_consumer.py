"""ex06: the sentinel must come after the producer, be checked before printing, and end it all."""

from __future__ import annotations

import time

from grader import find_exercise
from tests.conftest import GradeVariant, message_of

EXERCISE = "ex06_producer_consumer"


def test_stub_hang_is_reported_at_the_consumers_line_within_its_deadline(
    grade_variant: GradeVariant,
) -> None:
    """The stub hangs; the verdict names the consumer's q.get() line and comes in time."""
    exercise = find_exercise(EXERCISE)
    assert exercise is not None
    started = time.monotonic()
    result = grade_variant(EXERCISE, "stub")
    elapsed = time.monotonic() - started
    message = message_of(result, "program_ends")
    assert "did not finish within" in message
    assert "consumer (pid " in message
    assert "was waiting at ex06_producer_consumer.py:28 in consumer: `res = q.get()`" in message
    assert "raised NameError: name 'p2' is not defined" in message
    assert elapsed < exercise.timeout + 2
