"""A class's grades: one row per student, the CSV an instructor imports, and the class summary."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..catalogue import ExerciseInfo
from ..results import Status

GRADED = "graded"
PARTLY_GRADED = "partly graded"
NOT_GRADED = "not graded"
NO_EXERCISES = "no exercises found"
TOP_FAILED = 5


@dataclass(frozen=True)
class CheckOutcome:
    """How one check of one exercise went for one student."""

    exercise: str
    check: str
    status: Status


@dataclass(frozen=True)
class Row:
    """One student's line in the gradebook."""

    student: str
    """The name of the student's folder."""
    scores: dict[str, int | None]
    """Exercise id -> points; None when the exercise could not be graded (see ``notes``)."""
    status: str
    """``graded``, ``partly graded``, ``not graded`` or ``no exercises found``."""
    notes: tuple[str, ...] = ()
    """What an instructor should know: missing files, hangs, faults of the grading."""
    checks: tuple[CheckOutcome, ...] = field(default_factory=tuple)
    """The checks of the exercises the student handed in and that were graded."""

    @property
    def total(self) -> int:
        return sum(score for score in self.scores.values() if score is not None)


def header(exercises: Sequence[ExerciseInfo]) -> list[str]:
    return ["student", *(exercise.id for exercise in exercises), "total", "status", "notes"]


def write_csv(rows: Sequence[Row], exercises: Sequence[ExerciseInfo], path: Path) -> None:
    """One row per student; an exercise that could not be graded is an empty cell (and so is
    the total when nothing could be)."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header(exercises))
        for row in rows:
            scores = [row.scores.get(exercise.id) for exercise in exercises]
            writer.writerow(
                [
                    row.student,
                    *("" if score is None else score for score in scores),
                    "" if all(score is None for score in scores) else row.total,
                    row.status,
                    "; ".join(row.notes),
                ]
            )


def progress_line(done: int, total: int, row: Row, max_score: int) -> str:
    """``[12/30] alice  27/30``, with the status when the row is not simply graded."""
    width = len(str(total))
    return f"[{done:>{width}}/{total}] {score_line(row, max_score)}"


def score_line(row: Row, max_score: int) -> str:
    """``alice  27/30``, with the status when the row is not simply graded."""
    line = f"{row.student}  {row.total}/{max_score}"
    return line if row.status == GRADED else f"{line}  ({row.status})"


def summary(rows: Sequence[Row], exercises: Sequence[ExerciseInfo], top: int = TOP_FAILED) -> str:
    """The average per exercise and the checks failed most often, as printed after a batch."""
    statuses = Counter(row.status for row in rows)
    counts = ", ".join(f"{n} {status}" for status, n in statuses.items())
    lines = [f"Class summary: {len(rows)} students ({counts})", ""]
    width = max([len("total"), *(len(exercise.id) for exercise in exercises)])
    for exercise in exercises:
        cells = [row.scores.get(exercise.id) for row in rows]
        scores = [score for score in cells if score is not None]
        lines.append(_average_line(exercise.id, scores, exercise.max_score, width))
    totals = [row.total for row in rows if row.status != NOT_GRADED]
    lines.append(_average_line("total", totals, sum(e.max_score for e in exercises), width))
    failed: Counter[tuple[str, str]] = Counter()
    hung: Counter[tuple[str, str]] = Counter()
    tried: Counter[tuple[str, str]] = Counter()
    for row in rows:
        for outcome in row.checks:
            key = (outcome.exercise, outcome.check)
            tried[key] += 1
            if outcome.status != "passed":
                failed[key] += 1
            if outcome.status == "timeout":
                hung[key] += 1
    lines += ["", "Most often failed checks (among the students who handed the exercise in):"]
    if not failed:
        lines.append("    none")
    for (exercise_id, check), n in failed.most_common(top):
        extra = f", hung in {hung[(exercise_id, check)]}" if hung[(exercise_id, check)] else ""
        lines.append(
            f"    {exercise_id} / {check}: failed by {n} of {tried[(exercise_id, check)]}{extra}"
        )
    return "\n".join(lines)


def _average_line(name: str, scores: Sequence[int], max_score: int, width: int) -> str:
    if not scores:
        return f"    {name:<{width}}  average    -  / {max_score}  (nobody graded)"
    average = sum(scores) / len(scores)
    return f"    {name:<{width}}  average {average:5.1f} / {max_score}  ({len(scores)} graded)"
