"""The grade as a student reads it in a terminal: a score table, then what to fix."""

from __future__ import annotations

import textwrap

from .results import GradeResult

_MARKS = {"passed": "ok", "failed": "FAIL", "timeout": "HUNG", "error": "ERROR", "skipped": "SKIP"}


def render(result: GradeResult, *, verbose: bool = True) -> str:
    lines = [f"Lockstep: grading {result.submission}", ""]
    for exercise in result.exercises:
        lines.append(f"{exercise.id:<34} {exercise.score:>3} / {exercise.max_score}")
        for check in exercise.checks:
            mark = _MARKS[check.status]
            lines.append(f"    {mark:<6} {check.name:<28} {check.score:>2} / {check.max_score}")
    lines += ["", f"{'Total':<34} {result.score:>3} / {result.max_score}"]
    failures = [(e, c) for e in result.exercises for c in e.checks if c.message]
    failures.sort(key=lambda failure: failure[1].status == "skipped")  # the skipped ones last
    if verbose and failures:
        lines += ["", "What to fix", "-----------"]
        for exercise, check in failures:
            lines.append(f"{exercise.id} / {check.name} ({_MARKS[check.status]}): {check.summary}")
            lines.append(textwrap.indent(check.message, "    "))
            lines.append("")
        lines.append("Run with --hints for a more direct hint on each failed check.")
    return "\n".join(lines)
