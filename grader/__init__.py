"""Lockstep's grader: runs submissions out of process and tells what really happened."""

from .catalogue import ExerciseInfo, find_exercise, load_catalogue
from .grading import grade
from .results import CheckResult, ExerciseResult, GradeResult

__all__ = [
    "CheckResult",
    "ExerciseInfo",
    "ExerciseResult",
    "GradeResult",
    "find_exercise",
    "grade",
    "load_catalogue",
]
