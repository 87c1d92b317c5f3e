"""ex03: PIDs are checked against what the operating system saw, never taken on trust."""

from __future__ import annotations

from tests.conftest import GradeVariant, failed_checks, message_of

EXERCISE = "ex03_pids"


def test_parent_passed_in_fails_under_forkserver_and_spawn_only(
    grade_variant: GradeVariant,
) -> None:
    """A PPID that is the script's PID is right under fork but not where the parent differs."""
    assert "reported_parents" not in failed_checks(
        grade_variant(EXERCISE, "script_pid_as_parent", ["fork"])
    )
    result = grade_variant(EXERCISE, "script_pid_as_parent", ["forkserver"])
    message = message_of(result, "reported_parents")
    assert "Under the forkserver start method" in message
    assert "but the operating system says its parent is" in message


def test_stop_that_waits_is_reported_where_it_waits(grade_variant: GradeVariant) -> None:
    """The stub's stop_by_pid hangs in join; the report shows the parent and the sleeping child."""
    result = grade_variant(EXERCISE, "stub", ["fork"])
    check = next(c for c in result.checks if c.name == "stop_by_pid")
    assert check.status == "timeout"
    assert "stop_by_pid(seconds=30.0) did not finish within" in check.message
    assert "in stop_by_pid: `p.join()`" in check.message
    assert ", running sleeper)" in check.message and "`time.sleep(seconds)`" in check.message
