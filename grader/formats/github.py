"""Report a grade to GitHub Actions: the ``result`` step output for the grading reporter, a
Markdown summary in ``$GITHUB_STEP_SUMMARY``, and annotations on the student's lines."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from ..language import t
from ..results import GradeResult
from .annotations import annotation_lines
from .markdown import summary
from .reporter import encode, to_reporter

OUTPUT_NAME = "result"
"""The step output the workflow hands the reporter (``steps.<id>.outputs.result``)."""


def repository_root(environ: Mapping[str, str]) -> Path:
    """Where the repository is checked out: ``$GITHUB_WORKSPACE``, else the working directory."""
    return Path(environ.get("GITHUB_WORKSPACE") or Path.cwd())


def report_to_actions(
    result: GradeResult,
    *,
    fault: str | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Set the output, append the summary and print the annotations. Outside Actions (no
    ``$GITHUB_OUTPUT`` or ``$GITHUB_STEP_SUMMARY``) says on stderr what it skipped."""
    environ = os.environ if environ is None else environ
    out = out or sys.stdout
    root = repository_root(environ)
    for line in annotation_lines(result, root):
        print(line, file=out)
    out.flush()
    encoded = encode(to_reporter(result, fault=fault, root=root))
    _append(environ, "GITHUB_OUTPUT", f"{OUTPUT_NAME}={encoded}\n")
    _append(environ, "GITHUB_STEP_SUMMARY", summary(result, fault=fault))


def _append(environ: Mapping[str, str], variable: str, text: str) -> None:
    target = environ.get(variable)
    if not target:
        print(
            t(
                "warning: ${variable} is not set (not in GitHub Actions?): skipped",
                variable=variable,
            ),
            file=sys.stderr,
        )
        return
    with open(target, "a", encoding="utf-8") as file:
        file.write(text)
