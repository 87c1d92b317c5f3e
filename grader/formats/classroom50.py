"""Classroom 50's ``result.json`` (schema ``classroom50/result/v1``): one test per check.

Scores are non-negative integers. Classroom 50's runner stamps the owner, the assignment type
and the dates itself, and checks ``classroom``, ``assignment``, ``submission``, ``commit``,
``release`` and ``review`` against the variables it hands the autograder; those are copied
from the environment when it has them. Extra per-test fields are kept, so each test carries
its ``message``; the top level takes no extra field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..results import GradeResult
from .common import check_text, display_name

SCHEMA = "classroom50/result/v1"
IDENTITY = {
    "classroom": "CLASSROOM",
    "assignment": "ASSIGNMENT",
    "submission": "SUBMISSION_TAG",
    "commit": "COMMIT_URL",
    "release": "RELEASE_URL",
    "review": "REVIEW_URL",
}
"""Result field -> the variable Classroom 50's runner sets for the autograder."""


def identity_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The identity fields found in ``environ``; ``review`` falls back to ``commit`` as the
    runner's own does. Empty outside Classroom 50."""
    found = {field: environ[name] for field, name in IDENTITY.items() if environ.get(name)}
    if "review" not in found and "commit" in found:
        found["review"] = found["commit"]
    return found


def to_classroom50(
    result: GradeResult, *, fault: str | None = None, identity: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The result.json document. A grader fault is Classroom 50's error shape (no tests, 0 of
    0), and autograder.py exits non-zero so the runner records an error, not a grade."""
    tests = [
        {
            "test-name": display_name(exercise, check),
            "passed": check.status == "passed",
            "score": int(check.score),
            "max-score": int(check.max_score),
            "message": check_text(check),
        }
        for exercise in result.exercises
        for check in exercise.checks
    ]
    return {
        "schema": SCHEMA,
        **(identity or {}),
        "score": 0 if fault is not None else result.score,
        "max-score": 0 if fault is not None else result.max_score,
        "tests": [] if fault is not None else tests,
    }


def write_classroom50(
    path: Path,
    result: GradeResult,
    *,
    fault: str | None = None,
    identity: Mapping[str, str] | None = None,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = to_classroom50(result, fault=fault, identity=identity)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
