"""The grade as Markdown: a score table, then what to fix (``$GITHUB_STEP_SUMMARY``, a release
body, anywhere Markdown is read)."""

from __future__ import annotations

import re

from ..language import t
from ..results import GradeResult
from .common import display_name, label

_MARKS = {"passed": "✅", "failed": "❌", "timeout": "⏳", "error": "⚠️", "skipped": "➖"}


def summary(result: GradeResult, *, fault: str | None = None) -> str:
    """The Markdown text; a grader fault comes first, in a warning."""
    title = t(
        "Lockstep: {score} / {max_score} points", score=result.score, max_score=result.max_score
    )
    lines = [f"## {title}", ""]
    if fault is not None:
        lines += ["> [!WARNING]", *(f"> {line}" for line in fault.strip().splitlines()), ""]
    lines += [
        t("| Exercise | Check | Result | Points |"),
        "| --- | --- | --- | ---: |",
    ]
    for exercise in result.exercises:
        for check in exercise.checks:
            result_cell = f"{_MARKS[check.status]} {label(check.status)}"
            lines.append(
                f"| {_cell(exercise.id)} | {_cell(check.name)} | {result_cell} "
                f"| {check.score} / {check.max_score} |"
            )
    failures = [(e, c) for e in result.exercises for c in e.checks if c.status != "passed"]
    if failures and fault is None:
        lines += ["", f"### {t('What to fix')}", ""]
        for exercise, check in failures:
            lines += [
                f"<details><summary><b>{_html(display_name(exercise, check))}</b> "
                f"({label(check.status)}): {_html(check.summary)}</summary>",
                "",
                *_fenced(check.message),
                "",
                "</details>",
                "",
            ]
        lines.append(t("Run `python -m grader EXERCISE --hints` for a more direct hint."))
    return "\n".join(lines).rstrip("\n") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fenced(text: str) -> list[str]:
    """``text`` in a code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", text, fence]
