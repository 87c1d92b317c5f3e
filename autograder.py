#!/usr/bin/env python3
"""Classroom 50's autograder for Lockstep: grade the student's exercises, write ``result.json``.

Classroom 50's runner runs this file with the student's repository as the working directory and
reads ``result.json`` (schema ``classroom50/result/v1``, one test per check, integer scores) from
there; this also writes ``release-body.md``, the Markdown summary the runner publishes with the
submission. Install it beside a copy of the kit's ``grader/`` and ``pyproject.toml`` (see
docs/courses.md): the student's exercise files are graded with that pristine grader, never with
the grader in the student's repository.

Exit code 0 whenever grading itself worked, whatever the score: a student who loses points is a
result, not an infrastructure error. Exit code 2 when the grader itself failed; Classroom 50 then
records an error instead of a grade (``result.json`` still says so: no tests, 0 of 0).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(os.environ.get("CLASSROOM50_BUNDLE_DIR") or Path(__file__).resolve().parent)
"""Where the instructor's copy of the grader is: the assignment's bundle, beside this file."""
RESULT = "result.json"
RELEASE_BODY = "release-body.md"
EXIT_GRADER_FAULT = 2


def requirements() -> list[str]:
    """The grader's dependencies as its ``pyproject.toml`` lists them (the one list of them)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads TOML with tomli, itself installed first
        pip_install(["tomli>=2.0"])
        import tomli as tomllib
    with open(HERE / "pyproject.toml", "rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


def pip_install(packages: list[str]) -> None:
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*command, *packages], check=True)


def submission_folder() -> Path:
    """``exercises/`` of the student's repository, or the repository itself if it has none."""
    folder = Path.cwd() / "exercises"
    return folder if folder.is_dir() else Path.cwd()


def main() -> int:
    sys.path.insert(0, str(HERE))
    try:
        import grader.cli  # noqa: F401  (its dependencies too)
    except ImportError:
        pip_install(requirements())
    from grader.cli import main as grade
    from grader.cli_constants import EXIT_USAGE

    code = grade(
        [
            "--submission",
            str(submission_folder()),
            "--classroom50",
            RESULT,
            "--markdown",
            RELEASE_BODY,
        ]
    )
    return EXIT_GRADER_FAULT if code == EXIT_USAGE else 0


if __name__ == "__main__":
    sys.exit(main())
