"""``python -m grader``: grade a submission folder and print the score table.

Exit codes: 0 full marks, 1 any check failed, 2 a usage error or a fault of the grader itself,
130 interrupted (Ctrl+C).
The instructors' subcommands ``batch``, ``verify`` and ``new`` live in ``instructor/commands.py``,
which the student template does not have.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from .catalogue import select
from .cli_constants import (
    EXIT_FAILED,
    EXIT_FULL_MARKS,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    START_METHODS,
    SUBCOMMANDS,
)
from .formats import Outputs, add_format_options
from .grading import DEFAULT_JOBS, grade
from .integrity import KitChanged
from .language import add_language_option, argparse_speaks, chosen_in, t, use
from .report import render


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m grader",
        description=t(
            "Grade Lockstep exercises. Each exercise runs in fresh processes, under every start "
            "method, and is never imported into the grader."
        ),
        epilog=t(
            "Grade as you edit: `python -m grader watch`. Instructors: `python -m grader batch "
            "DIR --csv PATH` grades a class; `python -m grader verify REPO` reports edited "
            "grader files (see --help of each)."
        ),
    )
    cli.add_argument(
        "exercises",
        nargs="*",
        metavar="EXERCISE",
        help=t("exercise id or number (01, ex01_process_lock); default: all"),
    )
    cli.add_argument(
        "--submission",
        type=Path,
        default=Path("exercises"),
        help=t("folder holding the exercise modules (default: exercises/)"),
    )
    cli.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help=t("also write the results as lockstep/result/v1 JSON to PATH"),
    )
    cli.add_argument(
        "--hints",
        action="store_true",
        help=t("add the second, more direct hint to each failed check"),
    )
    cli.add_argument(
        "--start-method",
        action="append",
        choices=START_METHODS,
        dest="methods",
        help=t("grade under this start method only (repeatable; default: all)"),
    )
    cli.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=t("runs at once (default: {jobs})", jobs=DEFAULT_JOBS),
    )
    cli.add_argument("--quiet", action="store_true", help=t("print the score table only"))
    add_language_option(cli)
    cli.add_argument(
        "--expect-zero",
        action="store_true",
        help="instructors: exit 0 only if nothing earned a point (the stubs)",
    )
    add_format_options(cli)
    return cli


def printable_anywhere() -> None:
    """The report holds Chinese (进程1来了): where the grader's output goes to a file or pipe
    in an encoding without it (a Windows code page such as cp1252, an ASCII locale), such
    characters are written as escapes instead of failing the grading."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() not in UTF8:
            stream.reconfigure(errors="backslashreplace")


UTF8 = ("utf-8", "utf8")


def instructors_command(name: str, argv: Sequence[str]) -> int:
    """Run an instructors' subcommand, or say that this copy of the grader has none."""
    try:
        from .instructor.commands import COMMANDS  # loaded only when asked for
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}.instructor":
            raise
        print(
            t(
                "error: `{name}` is an instructors' command: run it from the kit, not from the "
                "student template",
                name=name,
            ),
            file=sys.stderr,
        )
        return EXIT_USAGE
    return COMMANDS[name](argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    printable_anywhere()
    use(chosen_in(argv, os.environ))
    if argv and argv[0] == "watch":
        from .watch import main as watch  # its file watcher is installed by `nox -s watch`

        return watch(argv[1:])
    if argv and argv[0] in SUBCOMMANDS:
        return instructors_command(argv[0], argv[1:])
    with argparse_speaks():
        args = parser().parse_args(argv)
    outputs = Outputs.from_args(args)
    chosen = select(args.exercises)
    if isinstance(chosen, str):
        message = t("error: {message}", message=chosen)
        print(message, file=sys.stderr)
        outputs.write_fault(str(args.submission), [], message)
        return EXIT_USAGE
    if not args.submission.is_dir():
        message = t("error: the submission folder {folder} does not exist", folder=args.submission)
        print(message, file=sys.stderr)
        outputs.write_fault(str(args.submission), chosen, message)
        return EXIT_USAGE
    try:
        result = grade(
            args.submission,
            chosen,
            start_methods=args.methods,
            jobs=args.jobs,
            hint_level=2 if args.hints else 1,
        )
    except KeyboardInterrupt:  # every run has been ended (sandbox.ended_on_interrupt)
        print("interrupted: the grading stopped, and every run with it", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KitChanged as error:  # a submission wrote into the kit: no score at all
        if args.json:
            args.json.unlink(missing_ok=True)
        print(t("error: {message}", message=error), file=sys.stderr)
        outputs.write_fault(str(args.submission), chosen, str(error))
        return EXIT_USAGE
    except Exception:
        print(
            t("error: the grader itself failed (not your code). Please report this:"),
            file=sys.stderr,
        )
        traceback.print_exc()
        outputs.write_fault(str(args.submission), chosen, traceback.format_exc())
        return EXIT_USAGE
    print(render(result, verbose=not args.quiet, all_hints=args.hints))
    if args.json:
        result.write_json(args.json)
    outputs.write(result)
    if args.expect_zero:
        earned = [f"{e.id}/{c.name}" for e in result.exercises for c in e.checks if c.score]
        if earned:
            print(
                f"error: expected no points, but these earned some: {', '.join(earned)}",
                file=sys.stderr,
            )
        return EXIT_FAILED if earned else EXIT_FULL_MARKS
    return EXIT_FULL_MARKS if result.score == result.max_score else EXIT_FAILED
