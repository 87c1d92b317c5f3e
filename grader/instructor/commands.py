"""The instructors' subcommands of ``python -m grader``: ``batch`` and ``verify``.

Thin layers over ``batch.grade_class`` and ``verify.verify``: argument parsing, usage errors
(exit 2) and printing; the defaults come from the functions' modules.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..catalogue import load_catalogue
from ..cli_constants import (
    EXIT_FAILED,
    EXIT_FULL_MARKS,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    START_METHODS,
)
from . import batch, gradebook, new, progress, verify
from .manifest import MANIFEST_NAME, ManifestError
from .submissions import student_folders


def batch_parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m grader batch",
        description="Grade a class: every subfolder of DIR is one student's submission (a clone "
        "of the template, modules in exercises/, or a bare folder of modules), graded with this "
        "copy of the grader, never the student's. Writes one CSV row per student (an empty "
        "cell: that exercise could not be graded, see the notes), then prints a class summary. "
        "Exit 0 once the CSV is written, 2 for a usage error.",
    )
    cli.add_argument("dir", type=Path, metavar="DIR", help="the folder of student folders")
    cli.add_argument(
        "--csv", type=Path, required=True, metavar="PATH", help="where to write the grades"
    )
    cli.add_argument(
        "--jobs",
        type=int,
        default=batch.DEFAULT_JOBS,
        help=f"submissions graded at once (default: {batch.DEFAULT_JOBS}; each one already "
        "runs several processes at once)",
    )
    cli.add_argument(
        "--start-method",
        action="append",
        choices=START_METHODS,
        dest="methods",
        help="grade under this start method only (repeatable; default: all)",
    )
    cli.add_argument(
        "--timeout",
        type=float,
        default=batch.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on one submission's grading after this long "
        f"(default: {batch.DEFAULT_TIMEOUT:g})",
    )
    return cli


def batch_main(argv: Sequence[str]) -> int:
    args = batch_parser().parse_args(argv)
    problem = None
    if not args.dir.is_dir():
        problem = f"{args.dir} is not a folder"
    elif not args.csv.parent.is_dir():
        problem = f"the folder of {args.csv} does not exist"
    elif args.jobs < 1:
        problem = "--jobs must be at least 1"
    elif not student_folders(args.dir):
        problem = f"{args.dir} holds no student folders"
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    exercises = load_catalogue()
    max_score = sum(exercise.max_score for exercise in exercises)
    started = time.monotonic()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with progress.shown(len(student_folders(args.dir)), max_score) as show:
            rows = batch.grade_class(
                args.dir,
                exercises,
                jobs=args.jobs,
                start_methods=args.methods,
                timeout=args.timeout,
                progress=show,
            )
    except KeyboardInterrupt:
        print("\ninterrupted: every grading was stopped; no CSV written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    gradebook.write_csv(rows, exercises, args.csv)
    print(gradebook.summary(rows, exercises))
    print(
        f"\nWrote {len(rows)} rows to {args.csv} in {time.monotonic() - started:.1f} s "
        f"({args.jobs} at a time)."
    )
    return EXIT_FULL_MARKS


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a batch as Ctrl+C does: its gradings are ended, not left running."""
    raise KeyboardInterrupt


def verify_parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m grader verify",
        description="Tamper report: list the grader, workflow and nox files of each student "
        "repository that differ from (or are missing from, or were added to) the release "
        "manifest. Exit 0 when every repository is as released, 1 when anything differs, 2 "
        "for a usage error.",
    )
    cli.add_argument("repos", nargs="+", type=Path, metavar="REPO", help="a student repository")
    cli.add_argument(
        "--manifest",
        type=Path,
        metavar="PATH",
        help=f"the release's {MANIFEST_NAME} (default: the one in each REPO, which a student "
        "can edit too)",
    )
    return cli


def verify_main(argv: Sequence[str]) -> int:
    args = verify_parser().parse_args(argv)
    unusable = False
    reports = []
    for repo in args.repos:
        try:
            if not repo.is_dir():
                raise ManifestError(f"{repo} is not a folder")
            report = verify.verify(repo, args.manifest)
        except ManifestError as error:
            print(f"error: {error}", file=sys.stderr)
            unusable = True
            continue
        reports.append(report)
        print(verify.render(report))
    if unusable:
        return EXIT_USAGE
    return EXIT_FULL_MARKS if all(report.clean for report in reports) else EXIT_FAILED


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "batch": batch_main,
    "verify": verify_main,
    "new": new.main,
}
"""Subcommand name -> its main, given the arguments after the name."""
