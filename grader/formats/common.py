"""What every format says the same way: a check's name, its status in words, its file."""

from __future__ import annotations

from pathlib import Path

from ..results import CheckResult, ExerciseResult, Status

LABELS: dict[Status, str] = {
    "passed": "passed",
    "failed": "failed",
    "timeout": "hung",
    "error": "error",
    "skipped": "not graded on this system",
}
"""A status as a student reads it: ``timeout`` means the program never ended."""


def display_name(exercise: ExerciseResult, check: CheckResult) -> str:
    """``ex01_process_lock / one_at_a_time``: unique across the whole grade."""
    return f"{exercise.id} / {check.name}"


def rerun_command(exercise: ExerciseResult) -> str:
    """The command a student runs to see this exercise's checks again, with more help."""
    return f"python -m grader {exercise.id} --hints"


def relative_file(check: CheckResult, root: Path) -> str | None:
    """The check's file relative to ``root`` (``exercises/ex01_process_lock.py``), or None when
    the check has no file or the file lies outside ``root``."""
    if check.file is None:
        return None
    try:
        return Path(check.file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def check_text(check: CheckResult) -> str:
    """What a check is about and, when it did not pass, what went wrong."""
    if check.status == "passed" or not check.message:
        return check.summary
    return f"{check.summary}\n\n{check.message}" if check.summary else check.message
