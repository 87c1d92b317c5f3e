"""The step output ``classroom-resources/autograding-grading-reporter@v1`` reads.

The reporter takes, for each runner id in its ``runners`` input, the variable
``<ID>_RESULTS``: base64 of ``{"version": 1, "status", "max_score", "tests": [...]}``. It prints
each test's ``name`` with a check mark when its ``status`` is ``pass``, and otherwise its
``message``; the points it reports are the sum of the tests' ``score`` out of ``max_score``; a
top-level ``status`` of ``fail`` or ``error`` fails its step. One test per check, so partial
credit shows.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Literal

from ..language import t
from ..results import CheckResult, GradeResult
from .common import check_text, display_name, relative_file, rerun_command

ReporterStatus = Literal["pass", "fail", "error"]

MESSAGE_LIMIT = 2000
"""Characters of a message kept: the whole output reaches the reporter as one environment
variable, and Linux refuses a variable over 128 KiB. The full text is in the step summary."""


def status_of(check: CheckResult) -> ReporterStatus:
    if check.status == "passed":
        return "pass"
    return "error" if check.status == "error" else "fail"


def to_reporter(
    result: GradeResult, *, fault: str | None = None, root: Path | None = None
) -> dict[str, Any]:
    """The document before encoding. A grader fault has status ``error`` and ``max_score`` 0,
    so no points are posted for it."""
    root = root or Path.cwd()
    tests = []
    for exercise in result.exercises:
        for check in exercise.checks:
            tests.append(
                {
                    "name": display_name(exercise, check),
                    "status": status_of(check),
                    "score": check.score,
                    "max_score": check.max_score,
                    "message": _clip(check_text(check) if check.status != "passed" else ""),
                    "test_code": rerun_command(exercise),
                    "filename": relative_file(check, root) or "",
                    "line_no": check.line or 0,
                    "execution_time": f"{exercise.duration:.1f}s",
                }
            )
    status: ReporterStatus
    if fault is not None:
        status = "error"
    elif all(test["status"] == "pass" for test in tests):
        status = "pass"
    else:
        status = "fail"
    return {
        "version": 1,
        "status": status,
        "max_score": 0 if fault is not None else result.max_score,
        "tests": tests,
    }


def encode(document: dict[str, Any]) -> str:
    """Base64 of the compact JSON: one line, safe for ``$GITHUB_OUTPUT``."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _clip(text: str) -> str:
    if len(text) <= MESSAGE_LIMIT:
        return text
    return text[: MESSAGE_LIMIT - 60].rstrip() + t("\n... (cut short: the step summary has it all)")
