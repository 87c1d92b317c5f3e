"""ex08: threads that really run, facts that are looked up, daemon semantics, current names."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.catalogue import find_exercise
from grader.runner import AS_PROGRAM, Call, Scenario, run
from tests.conftest import GradeVariant, line_of, message_of, submission_of

EXERCISE = "ex08_threads"


@pytest.mark.parametrize(
    ("variant", "name", "spelling"),
    [
        ("set_daemon", "setDaemon()", "`t.daemon = ...`"),
        ("get_name", "getName()", "`t.name`"),
        ("set_name", "setName()", "`t.name = ...`"),
        ("current_thread_in_task", "currentThread()", "`threading.current_thread()`"),
        ("active_count", "activeCount()", "`threading.active_count()`"),
    ],
)
def test_deprecated_name_is_shown_with_its_current_spelling(
    grade_variant: GradeVariant, variant: str, name: str, spelling: str
) -> None:
    """The message names the deprecated call, its line, and how it is spelled today."""
    message = message_of(grade_variant(EXERCISE, variant), "current_api")
    assert f"uses {name}, which is deprecated" in message
    assert "line " in message
    assert f"Expected: today's spelling: {spelling}." in message


def test_guessed_facts_are_told_apart_from_looked_up_ones(grade_variant: GradeVariant) -> None:
    """With the main thread renamed and a helper thread alive, "MainThread" and 2 are wrong."""
    message = message_of(grade_variant(EXERCISE, "guessed_facts"), "facts_true")
    assert "main: returned 'MainThread', but it was 'grader-main'" in message
    assert "active_during: returned 2, but it was 3" in message


def test_daemon_left_unset_is_shown_with_the_late_line(grade_variant: GradeVariant) -> None:
    """Run as a program, a non-daemon thread makes the program wait and print aaa."""
    message = message_of(grade_variant(EXERCISE, "daemon_never_set"), "daemon_dies")
    assert "python ex08_threads.py" in message
    assert "was not a daemon thread, and the program waited for it to print aaa" in message
    assert "thread task (Thread-2)" in message


def test_deprecated_name_in_a_thread_after_its_call_is_recorded(tmp_path: Path) -> None:
    """A thread that outlives the call still has its DeprecationWarning recorded (by the
    probe, outside the harness's own catch_warnings), at the submission's line."""
    folder = submission_of(tmp_path, EXERCISE, "current_thread_late")
    scenario = Scenario("late", (Call("main", {"daemon": False, "delay": 0.3}),))
    result = run(scenario, folder, EXERCISE, [])
    call = result.trace.calls[0]
    assert call.ended is not None
    late = [w for w in result.trace.warnings if "currentThread()" in str(w.get("message"))]
    assert late, result.trace.warnings
    assert late[0]["line"] == line_of(
        EXERCISE, "current_thread_late", 'seen["name"] = threading.currentThread().name'
    )
    thread = result.trace.last_thread(result.trace.harness_pid or 0, int(late[0]["tid"]))
    assert thread is not None and thread.name == "Thread-2"


def test_a_daemon_thread_is_alive_at_exit_and_never_ends(tmp_path: Path) -> None:
    """Run as a program, the daemon thread is recorded as started and as still alive when the
    interpreter exits; it has no end."""
    folder = submission_of(tmp_path, EXERCISE, "solution")
    api = [function.to_json() for function in find_exercise(EXERCISE).api]
    result = run(Scenario("program", (AS_PROGRAM,)), folder, EXERCISE, api)
    assert result.trace.calls[0].signature() == "python ex08_threads.py"
    (thread,) = result.trace.student_threads("task")
    assert thread.daemon and thread.ended is None
    alive = result.trace.exit_threads[result.trace.harness_pid or 0]
    assert [t["name"] for t in alive] == ["Thread-2"]
