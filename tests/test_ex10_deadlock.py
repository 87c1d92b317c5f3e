"""ex10: both cures of the noodle deadlock pass; the deadlock is reported thread by thread."""

from __future__ import annotations

import pytest

from tests.conftest import GradeVariant, failed_checks, message_of

EXERCISE = "ex10_deadlock"
ALL = {"program_ends", "each_ate_twice", "one_eater_at_a_time", "held_both"}


@pytest.mark.parametrize("variant", ["solution", "same_order", "acquire_release_rlock"])
def test_right_programs_earn_full_marks(grade_variant: GradeVariant, variant: str) -> None:
    """One RLock as both locks (with blocks or acquire/release), or both functions taking
    the two locks in the same order: 10 of 10."""
    result = grade_variant(EXERCISE, variant)
    assert failed_checks(result) == set(), [c.message for c in result.checks]
    assert result.score == 10


@pytest.mark.parametrize(
    ("variant", "must_fail"),
    [
        ("fork_released_before_eating", {"held_both"}),
        ("grab_line_before_taking", {"held_both"}),
        ("locks_made_in_eat", {"one_eater_at_a_time", "held_both"}),
        ("one_plain_lock", ALL),
        ("eats_nothing", ALL),
        ("not_released_when_full", ALL),
    ],
)
def test_mistakes_lose_points_on_their_check(
    grade_variant: GradeVariant, variant: str, must_fail: set[str]
) -> None:
    """Each typical mistake fails the checks that describe it, and no other."""
    result = grade_variant(EXERCISE, variant)
    assert failed_checks(result) == must_fail, [c.message for c in result.checks]


def test_stub_deadlocks_and_scores_nothing(grade_variant: GradeVariant) -> None:
    """Two locks taken in opposite orders deadlock on every run: all checks time out."""
    result = grade_variant(EXERCISE, "stub")
    assert result.score == 0
    assert {c.status for c in result.checks} == {"timeout"}


def test_deadlock_report_names_each_thread_its_line_and_its_locks(
    grade_variant: GradeVariant,
) -> None:
    """Each stuck thread is named, with the line it waits at, the lock it holds and the lock
    it waits for, and the circle of waits is spelled out."""
    message = message_of(grade_variant(EXERCISE, "stub"), "program_ends")
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
