"""ex05: every right way to wait on a bounded queue passes; every typical mistake loses points."""

from __future__ import annotations

from tests.conftest import GradeVariant, line_of, message_of

EXERCISE = "ex05_queue"


def test_stub_hang_is_reported_where_it_waits(grade_variant: GradeVariant) -> None:
    """A put() or get() that waits for ever is reported with the call and the line it waits on."""
    result = grade_variant(EXERCISE, "stub")
    offer = next(c for c in result.checks if c.name == "overflow_rejected")
    assert offer.status == "timeout"
    assert "offer_all(q=an empty Queue(3), items=[" in offer.message
    assert "did not finish within" in offer.message
    where = f"ex05_queue.py:{line_of(EXERCISE, 'stub', 'q.put(item)')} in offer_all: `q.put(item)`"
    assert "the main program (pid " in offer.message and where in offer.message
    take = message_of(result, "take_timeout")
    assert (
        f"ex05_queue.py:{line_of(EXERCISE, 'stub', 'return q.get()')} in take: `return q.get()`"
        in take
    )


def test_busy_loop_is_shown_by_its_cpu_time(grade_variant: GradeVariant) -> None:
    """Right values at the right moments still fail no_busy_wait, with the CPU time it used."""
    result = grade_variant(EXERCISE, "busy_loop")
    message = message_of(result, "no_busy_wait")
    assert "s of CPU time in" in message and "kept the processor busy" in message
    assert "Hint: A loop that keeps calling" in message


def test_giving_up_early_says_how_long_it_waited(grade_variant: GradeVariant) -> None:
    """A timeout ignored is reported with the time the call took and the timeout it had."""
    message = message_of(grade_variant(EXERCISE, "gives_up_at_once"), "put_within_timeout")
    assert "put_within(q=a full Queue(2), item='p3', timeout=0.4) returned False after" in message
    assert "it gave up early" in message


def test_items_on_their_way_are_named(grade_variant: GradeVariant) -> None:
    """A drain that trusts empty() is told that the items had just been put."""
    message = message_of(grade_variant(EXERCISE, "trusts_empty"), "drain_everything")
    assert "just put" in message or "puts" in message
    assert "Hint: Right after put()" in message
