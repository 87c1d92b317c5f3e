"""ex10: both cures of the noodle deadlock pass; the deadlock is reported thread by thread."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from grader.catalogue import find_exercise
from grader.exercises import ex10_deadlock
from grader.probe.lockstep_probe.protocol import Levers, Rendezvous
from grader.runner import run
from tests.conftest import GradeVariant, message_of, submission_of

EXERCISE = "ex10_deadlock"


def test_deadlock_report_names_each_thread_its_line_and_its_locks(
    grade_variant: GradeVariant,
) -> None:
    """Two locks taken in opposite orders deadlock on every run: every check times out. Each
    stuck thread is named, with the line it waits at, the lock it holds and the lock it waits
    for, and the circle of waits is spelled out."""
    result = grade_variant(EXERCISE, "stub")
    assert {c.status for c in result.checks} == {"timeout"}
    message = message_of(result, "program_ends")
    assert "did not finish within" in message
    assert "in main: `t.join()`" in message
    assert "-eat2 (Thread-" in message and "-eat1 (Thread-" in message
    assert "in eat2: `with noodle_lock:`; it held fork_lock and was waiting for noodle_lock" in (
        message
    )
    assert "in eat1: `with fork_lock:`; it held noodle_lock and was waiting for fork_lock" in (
        message
    )
    assert "That is a deadlock: thread " in message


def test_fork_put_back_before_eating_is_shown_with_what_was_held(
    grade_variant: GradeVariant,
) -> None:
    """The message says which lock the eater held and which two it should have held."""
    message = message_of(grade_variant(EXERCISE, "fork_released_before_eating"), "held_both")
    assert "吃面 holding noodle_lock (the Lock made at line" in message
    assert "to hold noodle_lock (the Lock made at line" in message
    assert "and fork_lock (the Lock made at line" in message


def test_lock_taken_twice_is_explained(grade_variant: GradeVariant) -> None:
    """One plain Lock as both locks: the report says the thread waits for a lock it holds."""
    message = message_of(grade_variant(EXERCISE, "one_plain_lock"), "program_ends")
    assert "which it holds itself (a Lock cannot be taken again by its holder; an RLock can)" in (
        message
    )


def test_lock_kept_by_an_ended_thread_is_explained(grade_variant: GradeVariant) -> None:
    """A lock never released on one path: the others wait for a thread that has ended."""
    message = message_of(grade_variant(EXERCISE, "not_released_when_full"), "program_ends")
    assert "had taken and never released: that thread had already ended" in message


def test_a_grab_line_must_follow_the_lock_it_names(grade_variant: GradeVariant) -> None:
    """eat2 that takes the noodles first but prints 抢到了叉子 is told which line lied."""
    message = message_of(grade_variant(EXERCISE, "grab_line_before_taking"), "held_both")
    assert "-eat2 (Thread-" in message
    assert "抢到了叉子 without holding fork_lock" in message


def test_waiting_in_futures_wait_lets_the_held_threads_go(tmp_path: Path) -> None:
    """A main that waits for its pool's eaters with concurrent.futures.wait() is waiting for
    them, as join() is: the eaters held at the common start go as soon as all have arrived,
    even where the rendezvous is not told how many to expect (held 30 s otherwise: the run
    would end at its deadline)."""
    exercise = find_exercise(EXERCISE)
    (scenario,) = ex10_deadlock.scenarios()
    unknown_count = Rendezvous(tuple(ex10_deadlock.EATERS), timeout=30.0)
    scenario = dataclasses.replace(scenario, levers=Levers(thread_rendezvous=unknown_count))
    folder = submission_of(tmp_path / "submission", EXERCISE, "pool_wait_rlock")
    result = run(scenario, folder, EXERCISE, [f.to_json() for f in exercise.api])
    assert not result.timed_out, result.output
    assert [call.ended is not None for call in result.trace.calls] == [True]
