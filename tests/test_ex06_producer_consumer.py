"""ex06: the sentinel must come after the producer, be checked before printing, and end it all."""

from __future__ import annotations

from tests.conftest import GradeVariant, message_of

EXERCISE = "ex06_producer_consumer"


def test_stub_hang_is_reported_at_the_consumers_line(
    grade_variant: GradeVariant,
) -> None:
    """The stub hangs; the verdict names the consumer's q.get() line. (That it comes within the
    deadline plus 2 s is timed by ``nox -s benchmark``, line ``stub ex06_producer_consumer``.)"""
    result = grade_variant(EXERCISE, "stub")
    assert result.score == 0
    message = message_of(result, "program_ends")
    assert "did not finish within" in message
    assert ", running consumer)" in message
    assert "was waiting at ex06_producer_consumer.py:28 in consumer: `res = q.get()`" in message
    assert "raised NameError: name 'p2' is not defined" in message
