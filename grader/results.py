"""The results of a grading: typed records, and the ``lockstep/result/v1`` JSON they become."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

SCHEMA = "lockstep/result/v1"
Status = Literal["passed", "failed", "timeout", "error", "skipped"]
"""``skipped``: the check cannot be judged on this operating system (``not_judged_on`` in the
catalogue); it scores 0 of 0, so its points leave the maximum here only."""
STATUSES: tuple[Status, ...] = get_args(Status)


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    score: int
    max_score: int
    message: str = ""
    """Empty when passed; otherwise what was observed, what was expected, and a hint."""
    summary: str = ""
    """What the check tests, from the catalogue."""
    file: str | None = None
    """The student's file and line the failure points at, when there is one."""
    line: int | None = None


@dataclass(frozen=True)
class ExerciseResult:
    id: str
    title: str
    checks: tuple[CheckResult, ...]
    duration: float = 0.0
    """Wall time of the exercise's own runs, seconds: from the start of its first run to the
    end of its last (not written to the JSON)."""

    @property
    def score(self) -> int:
        return sum(check.score for check in self.checks)

    @property
    def max_score(self) -> int:
        return sum(check.max_score for check in self.checks)


@dataclass(frozen=True)
class GradeResult:
    submission: str
    exercises: tuple[ExerciseResult, ...] = field(default_factory=tuple)

    @property
    def score(self) -> int:
        return sum(exercise.score for exercise in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(exercise.max_score for exercise in self.exercises)

    def to_json(self) -> dict[str, Any]:
        """The ``lockstep/result/v1`` document (``--json``); README.md describes every field."""
        return {
            "schema": SCHEMA,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [
                {
                    "id": exercise.id,
                    "title": exercise.title,
                    "score": exercise.score,
                    "max_score": exercise.max_score,
                    "checks": [
                        {
                            "name": check.name,
                            "status": check.status,
                            "score": check.score,
                            "max_score": check.max_score,
                            "message": check.message,
                            "file": check.file,
                            "line": check.line,
                        }
                        for check in exercise.checks
                    ],
                }
                for exercise in self.exercises
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GradeResult:
        """The result ``to_json`` wrote (the checks' summaries and the durations, which the
        JSON does not hold, are left empty). Raises ValueError, KeyError or TypeError for a
        document that is not one."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document")
        return cls(
            str(data["submission"]),
            tuple(
                ExerciseResult(
                    str(exercise["id"]),
                    str(exercise["title"]),
                    tuple(_check_from_json(check) for check in exercise["checks"]),
                )
                for exercise in data["exercises"]
            ),
        )

    def write_json(self, path: Path) -> None:
        path.write_text(
            json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


def _check_from_json(check: dict[str, Any]) -> CheckResult:
    status = check["status"]
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    line = check.get("line")
    return CheckResult(
        str(check["name"]),
        cast(Status, status),
        int(check["score"]),
        int(check["max_score"]),
        str(check.get("message") or ""),
        file=None if check.get("file") is None else str(check["file"]),
        line=None if line is None else int(line),
    )
