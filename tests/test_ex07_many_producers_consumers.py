"""ex07: both right ways to stop several consumers pass; every typical mistake loses points."""

from __future__ import annotations

from tests.conftest import GradeVariant, line_of, message_of

EXERCISE = "ex07_many_producers_consumers"
FILE = f"{EXERCISE}.py"


def test_hang_names_the_waiting_consumer_and_its_line(grade_variant: GradeVariant) -> None:
    """The consumers left without a sentinel are named by their name argument, with the line
    where each waits, and main by the join it is stuck in."""
    message = message_of(grade_variant(EXERCISE, "stub", ["fork"]), "program_ends")
    assert "Under the fork start method: main(foods=['包子'], consumers=2, n=5) did not" in message
    get = f"{FILE}:{line_of(EXERCISE, 'stub', 'item = q.get()')} in consumer: `item = q.get()`"
    assert f"was waiting at {get}" in message
    assert "consumer 消费者" in message and message.count(get) == 1
    join = f"{FILE}:{line_of(EXERCISE, 'stub', 'c.join()')} in main: `c.join()`"
    assert "the main program (pid " in message and join in message


def test_missing_task_done_hangs_in_queue_join(grade_variant: GradeVariant) -> None:
    """Without task_done(), the report shows main stuck in q.join()."""
    result = grade_variant(EXERCISE, "joinable_no_task_done", ["spawn"])
    check = next(c for c in result.checks if c.name == "program_ends")
    assert check.status == "timeout"
    join = f"{FILE}:{line_of(EXERCISE, 'joinable_no_task_done', 'q.join()')} in main: `q.join()`"
    assert join in check.message


def test_early_return_shows_what_was_left_uneaten(grade_variant: GradeVariant) -> None:
    """A main that returns before its daemon consumers are done is told how much was uneaten,
    and that the daemons were stopped too early."""
    result = grade_variant(EXERCISE, "daemon_no_join", ["fork"])
    message = message_of(result, "main_waits")
    assert "returned when" in message and "still not eaten" in message
    stopped = message_of(result, "consumers_stop")
    assert "a daemon, was stopped with the program while" in stopped


def test_killed_consumer_is_named(grade_variant: GradeVariant) -> None:
    """A consumer ended by terminate() is named, with the exit code its parent collected."""
    message = message_of(grade_variant(EXERCISE, "terminate_consumers", ["fork"]), "consumers_stop")
    assert ", running consumer 消费者1)" in message and "did not stop by itself" in message
    assert "-15" in message
