"""The command line's output formats: their options, and writing every one asked for from one
grading run (or from a fault of the grader, so that a course's platform still gets a file)."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import ExerciseInfo
from ..results import GradeResult
from .classroom50 import identity_from, write_classroom50
from .fault import fault_message, faulted
from .github import report_to_actions, repository_root
from .gradescope import write_gradescope
from .junit import write_junit
from .markdown import summary


def add_format_options(cli: argparse.ArgumentParser) -> None:
    """The options, grouped; each takes a path except ``--github``."""
    group = cli.add_argument_group("output formats (all from the same grading run)")
    group.add_argument(
        "--gradescope", type=Path, metavar="PATH", help="write Gradescope's results.json to PATH"
    )
    group.add_argument(
        "--classroom50",
        type=Path,
        metavar="PATH",
        help="write Classroom 50's result.json (classroom50/result/v1) to PATH",
    )
    group.add_argument("--junit", type=Path, metavar="PATH", help="write JUnit XML to PATH")
    group.add_argument(
        "--markdown",
        type=Path,
        metavar="PATH",
        help="write a Markdown summary of the grade to PATH",
    )
    group.add_argument(
        "--github",
        action="store_true",
        help="in GitHub Actions: set the step output `result` for the grading reporter, append "
        "a summary to $GITHUB_STEP_SUMMARY, and annotate the student's failing lines",
    )


@dataclass(frozen=True)
class Outputs:
    """Which formats to write, and where."""

    gradescope: Path | None = None
    classroom50: Path | None = None
    junit: Path | None = None
    markdown: Path | None = None
    github: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Outputs:
        return cls(
            gradescope=getattr(args, "gradescope", None),
            classroom50=getattr(args, "classroom50", None),
            junit=getattr(args, "junit", None),
            markdown=getattr(args, "markdown", None),
            github=bool(getattr(args, "github", False)),
        )

    def write(self, result: GradeResult, *, fault: str | None = None) -> None:
        """Write every format asked for, all from ``result``."""
        root = repository_root(os.environ)
        if self.gradescope:
            write_gradescope(self.gradescope, result, fault=fault)
        if self.classroom50:
            identity = identity_from(os.environ)
            write_classroom50(self.classroom50, result, fault=fault, identity=identity)
        if self.junit:
            write_junit(self.junit, result, fault=fault, root=root)
        if self.markdown:
            self.markdown.parent.mkdir(parents=True, exist_ok=True)
            self.markdown.write_text(summary(result, fault=fault), encoding="utf-8")
        if self.github:
            report_to_actions(result, fault=fault)

    def write_fault(self, submission: str, exercises: Sequence[ExerciseInfo], detail: str) -> None:
        """Write every format asked for as "the grader failed"; never raises (the caller is
        already reporting a failure)."""
        try:
            self.write(faulted(submission, exercises, detail), fault=fault_message(detail))
        except Exception:
            print("error: could not write the results of the failure either:", file=sys.stderr)
            traceback.print_exc()
