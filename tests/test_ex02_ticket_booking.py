"""ex02: only the purchase goes under the lock; nothing is oversold and the searches overlap."""

from __future__ import annotations

import pytest

from tests.conftest import GradeVariant, message_of

EXERCISE = "ex02_ticket_booking"


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_overselling_shows_under_every_start_method(
    grade_variant: GradeVariant, method: str
) -> None:
    """Without a lock, more buyers succeed than there are tickets, whatever the start method:
    the message counts them, names the buyers and shows who printed what."""
    result = grade_variant(EXERCISE, "stub", [method])
    message = message_of(result, "never_oversold")
    assert f"Under the {method} start method" in message
    assert "main(buyers=3, tickets=2): 3 buyers printed 抢票成功" in message
    assert "exactly 2 successes" in message
    assert "(pid " in message and ", running task)" in message
    assert "Hint: Buyers who read the count at the same time" in message
    assert 'the file held {"count": 1}' in message_of(result, "count_left")


def test_stale_count_written_under_the_lock_is_oversold(grade_variant: GradeVariant) -> None:
    """A count read outside the lock and written inside it oversells just like no lock."""
    message = message_of(grade_variant(EXERCISE, "read_outside_lock", ["spawn"]), "never_oversold")
    assert "3 buyers printed 抢票成功" in message


def test_lock_around_the_search_is_told_apart_by_the_order_of_lines(
    grade_variant: GradeVariant,
) -> None:
    """A lock around the whole task sells right but serializes the searches: the message says
    how far apart the searches came and what the run would take with them overlapping."""
    result = grade_variant(EXERCISE, "lock_whole_task", ["forkserver"])
    message = message_of(result, "searches_overlap")
    assert "the search lines came one after another" in message
    assert "no two searches ran at the same time" in message
    assert "outside the lock" in message
    assert "Hint: Locking keeps the data safe" in message


def test_join_in_the_start_loop_is_slow_not_hung(grade_variant: GradeVariant) -> None:
    """Buyers joined one by one are not held at the common start until it gives up: the run
    ends in time and fails only for its serialized searches."""
    result = grade_variant(EXERCISE, "join_in_start_loop", ["fork"])
    check = next(c for c in result.checks if c.name == "searches_overlap")
    assert check.status == "failed"
    assert all(c.status != "timeout" for c in result.checks)


def test_wrong_numbering_names_the_buyers_seen(grade_variant: GradeVariant) -> None:
    """Buyers numbered from 0 are reported with the numbers that were printed."""
    message = message_of(grade_variant(EXERCISE, "wrong_numbering", ["fork"]), "each_buyer_once")
    assert "lines were for buyers 0, 1, 2" in message
    assert "for every i in 1..3" in message


def test_returned_count_must_be_the_files(grade_variant: GradeVariant) -> None:
    """main returns the count the file holds, read back with load() after main."""
    message = message_of(grade_variant(EXERCISE, "returns_made_up_count", ["fork"]), "count_left")
    assert 'returned -1, but the file held {"count": 0}' in message
