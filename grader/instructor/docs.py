"""Documents derived from the catalogue: the exercise table in README.md.

``python -m grader.instructor.docs`` rewrites the generated block of README.md; ``--check`` only
reports drift (exit 1), for tests and CI.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from ..catalogue import ExerciseInfo, load_catalogue
from ..formats.project import KIT_ROOT

README = KIT_ROOT / "README.md"
COMMAND = "python -m grader.instructor.docs"
BEGIN = f"<!-- BEGIN exercises: generated from grader/catalogue.toml by `{COMMAND}` -->"
END = "<!-- END exercises -->"


def exercise_table(exercises: Sequence[ExerciseInfo]) -> str:
    """A Markdown table: number, module, title, points, and what each check grades."""
    rows = ["| # | Module | Topic | Points | Graded on |", "|---|---|---|---|---|"]
    for exercise in exercises:
        graded = "<br>".join(
            f"`{check.name}` ({check.points}): {check.summary}" for check in exercise.checks
        )
        rows.append(
            f"| {exercise.number} | `{exercise.filename}` | {exercise.title} "
            f"({exercise.title_zh}) | {exercise.max_score} | {graded} |"
        )
    total = sum(exercise.max_score for exercise in exercises)
    rows.append(f"| | | **Total** | **{total}** | |")
    return "\n".join(rows)


def with_table(text: str, table: str) -> str:
    """``text`` with the generated block replaced (or appended when it has none)."""
    block = f"{BEGIN}\n{table}\n{END}"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return f"{text.rstrip()}\n\n## Exercises\n\n{block}\n"


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    cli.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = cli.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    wanted = with_table(current, exercise_table(load_catalogue()))
    if args.check:
        if current != wanted:
            print(f"README.md is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
