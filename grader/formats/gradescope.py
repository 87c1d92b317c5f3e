"""Gradescope's ``results.json``: one test per check, the grade on top.

Shape (Gradescope's autograder specification): top-level ``score``, ``execution_time``,
``output``, ``visibility``, ``stdout_visibility`` and ``tests[]``, each test with ``name``,
``number``, ``score``, ``max_score``, ``status`` (``passed``/``failed``), ``output`` and
``visibility``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..catalogue import find_exercise
from ..language import t
from ..results import GradeResult
from .common import check_text, display_name, label

VISIBILITY = "visible"
"""Students see every check at once: the messages are the teaching."""


def to_gradescope(result: GradeResult, *, fault: str | None = None) -> dict[str, Any]:
    """The results.json document; a grader fault scores 0 and says so in ``output``."""
    tests = []
    for position, exercise in enumerate(result.exercises, start=1):
        info = find_exercise(exercise.id)
        number = int(info.number) if info is not None else position
        for index, check in enumerate(exercise.checks, start=1):
            text = check_text(check)
            if check.status != "passed":
                text = f"[{label(check.status)}] {text}"
            tests.append(
                {
                    "name": display_name(exercise, check),
                    "number": f"{number}.{index}",
                    "score": check.score,
                    "max_score": check.max_score,
                    "status": "passed" if check.status == "passed" else "failed",
                    "output": text,
                    "visibility": VISIBILITY,
                }
            )
    output = t(
        "Lockstep: {score} / {max_score} points.", score=result.score, max_score=result.max_score
    )
    if fault is not None:
        output = f"{fault}\n\n{output}"
    return {
        "score": 0 if fault is not None else result.score,
        "execution_time": round(max((e.duration for e in result.exercises), default=0.0)),
        "output": output,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "tests": tests,
    }


def write_gradescope(path: Path, result: GradeResult, *, fault: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = to_gradescope(result, fault=fault)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
