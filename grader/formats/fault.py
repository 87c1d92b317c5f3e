"""A fault of the grader itself as a result every format can carry (otter-grader style)."""

from __future__ import annotations

from collections.abc import Sequence

from ..catalogue import ExerciseInfo
from ..language import t
from ..results import CheckResult, ExerciseResult, GradeResult

FAULT_NOTE = (
    "The grader itself failed: this is not a verdict on your code. "
    "Please tell your instructor, with the text below."
)


def fault_message(detail: str) -> str:
    """The note every format shows for a grader fault, followed by what went wrong."""
    return f"{t(FAULT_NOTE)}\n\n{detail.strip()}"


def faulted(submission: str, exercises: Sequence[ExerciseInfo], detail: str) -> GradeResult:
    """A result for a run the grader could not finish: every check of ``exercises`` is an
    ``error`` worth 0, with the fault as its message."""
    message = fault_message(detail)
    return GradeResult(
        submission,
        tuple(
            ExerciseResult(
                exercise.id,
                exercise.title,
                tuple(
                    CheckResult(check.name, "error", 0, check.points, message, summary)
                    for check in exercise.checks
                    for summary in [check.localized().summary]
                ),
            )
            for exercise in exercises
        ),
    )
