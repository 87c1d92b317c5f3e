"""What every format says the same way: a check's name, its status in words, its file."""

from __future__ import annotations

from pathlib import Path

from ..language import t
from ..results import CheckResult, ExerciseResult, Status


def label(status: Status) -> str:
    """A status as a student reads it: ``timeout`` means the program never ended (``hung``)."""
    labels = {
        "passed": t("passed"),
        "failed": t("failed"),
        "timeout": t("hung"),
        "error": t("error"),
        "skipped": t("not graded on this system"),
    }
    return labels[status]


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
