"""ex06: the sentinel must come after the producer, be checked before printing, and end it all."""

from __future__ import annotations

import pytest

from tests.conftest import GradeVariant, assert_loses_points, failed_checks, message_of

EXERCISE = "ex06_producer_consumer"


@pytest.mark.parametrize("variant", ["solution", "iter_sentinel", "producer_sends_sentinel"])
def test_right_programs_earn_full_marks(grade_variant: GradeVariant, variant: str) -> None:
    """The reference, iter(q.get, None), and a producer that sends the sentinel itself."""
    result = grade_variant(EXERCISE, variant)
    assert failed_checks(result) == set(), [c.message for c in result.checks]


@pytest.mark.parametrize(
    ("variant", "must_fail"),
    [
        ("stub", {"program_ends"}),
        ("prints_none", {"never_none"}),
        ("early_sentinel", {"items_in_order", "nothing_lost"}),
        ("terminate_consumer", {"consumer_stops_itself"}),
        ("stop_when_empty", {"items_in_order"}),
        ("ignores_n", {"items_in_order"}),
        ("no_consumer_join", {"program_ends"}),
    ],
)
def test_mistakes_lose_points(
    grade_variant: GradeVariant, variant: str, must_fail: set[str]
) -> None:
    """Each typical mistake fails the check that describes it."""
    result = grade_variant(EXERCISE, variant)
    assert_loses_points(result, must_fail)


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
