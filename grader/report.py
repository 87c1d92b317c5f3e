"""The grade as a student reads it in a terminal: a score table, then what to fix."""

from __future__ import annotations

import textwrap
import unicodedata

from .language import t
from .results import CheckResult, ExerciseResult, GradeResult


def mark(status: str) -> str:
    """A check's status in the table: ``ok``, ``FAIL``, ``HUNG``, ``ERROR``."""
    marks = {
        "passed": t("ok"),
        "failed": t("FAIL"),
        "timeout": t("HUNG"),
        "error": t("ERROR"),
        "skipped": t("SKIP"),
    }
    return marks[status]


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def check_row(check: CheckResult) -> str:
    return f"    {pad(mark(check.status), 6)} {check.name:<28} {check.score:>2} / {check.max_score}"


def exercise_rows(exercise: ExerciseResult) -> list[str]:
    return [
        f"{exercise.id:<34} {exercise.score:>3} / {exercise.max_score}",
        *(check_row(check) for check in exercise.checks),
    ]


def failure_text(exercise: ExerciseResult, check: CheckResult) -> list[str]:
    """A failed check's heading and its indented message."""
    return [
        t(
            "{exercise} / {check} ({mark}): {summary}",
            exercise=exercise.id,
            check=check.name,
            mark=mark(check.status),
            summary=check.summary,
        ),
        textwrap.indent(check.message, "    "),
    ]


def render(result: GradeResult, *, verbose: bool = True, all_hints: bool = False) -> str:
    lines = [t("Lockstep: grading {submission}", submission=result.submission), ""]
    for exercise in result.exercises:
        lines += exercise_rows(exercise)
    lines += ["", f"{pad(t('Total'), 34)} {result.score:>3} / {result.max_score}"]
    failures = [(e, c) for e in result.exercises for c in e.checks if c.message]
    failures.sort(key=lambda failure: failure[1].status == "skipped")  # the skipped ones last
    if verbose and failures:
        heading = t("What to fix")
        lines += ["", heading, "-" * width(heading)]
        for exercise, check in failures:
            lines += [*failure_text(exercise, check), ""]
        if not all_hints:
            lines.append(t("Run with --hints for a more direct hint on each failed check."))
    return "\n".join(lines)
