"""``nox -s check`` (``python -m grader.instructor.kit_check``): the check of the kit itself.

For each exercise it fails, with one message per problem, when: the catalogue entry still holds
a placeholder of ``python -m grader new``; a check has no hint (or, where the catalogue has
Chinese texts for checks at all, no Chinese text); the stub has no ``# TODO``; the solution is
not at full marks under every start method; the stub earns a point; a check has no fixture in
``tests/fixtures/<exercise>/`` that fails it (a check nothing can fail is a defect). It also
fails when a generated file (the README's table, the workflow) is stale.

A fixture says what it is for in its first line (``# expect: fails a, b`` or ``# expect: full
marks``). Every fixture is graded here as a student's file is: a check counts as failable when
a fixture fails it, and a fixture that does not score what it declares is named.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import language
from ..catalogue import CATALOGUE_PATH, ExerciseInfo, load_catalogue, select
from ..formats.project import KIT_ROOT
from ..formats.workflow import WORKFLOW_PATH, render_workflow
from ..grading import DEFAULT_JOBS, definition_of, grade
from ..maintainer.stress import Expectation, Submission, submissions
from ..results import ExerciseResult
from . import messages
from .docs import COMMAND as DOCS_COMMAND
from .docs import README, exercise_table, with_table
from .new import PLACEHOLDER
from .new import paths as new_paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CHINESE_FIELDS = ("summary_zh", "hint_zh", "hint2_zh")


def declared_failures(path: Path) -> set[str] | None:
    """The checks a fixture declares it fails (empty for ``full marks``), None if it does not
    say (its first line, read as the stress and the fixture test read it)."""
    expected = Expectation.of(path)
    return None if expected is None else set(expected.failing)


def catalogue_problems(exercise: ExerciseInfo, raw: dict[str, object]) -> list[str]:
    """Placeholders, missing hints, missing Chinese where the kit has it."""
    problems = []
    checks = raw.get("check") or []
    assert isinstance(checks, list)
    fields = [(key, value) for key, value in raw.items() if isinstance(value, str)]
    fields += [
        (f"{check.get('name')}.{key}", value)
        for check in checks
        for key, value in check.items()
        if isinstance(value, str)
    ]
    unfilled = [key for key, value in fields if PLACEHOLDER in value]
    if unfilled:
        problems.append(
            f"the catalogue entry still has {PLACEHOLDER} placeholders to fill: "
            + ", ".join(unfilled)
        )
    for check in exercise.checks:
        if not check.hint.strip() or not check.hint2.strip():
            problems.append(f"check {check.name} has no hint (hint and hint2 in the catalogue)")
    return problems


def placeholder_files(exercise: ExerciseInfo) -> list[Path]:
    """The exercise's files that still hold a placeholder of ``python -m grader new``."""
    return [
        path
        for path in new_paths(exercise.id).values()
        if path.is_file() and PLACEHOLDER in path.read_text(encoding="utf-8", errors="replace")
    ]


def chinese_problems(raw_exercises: list[dict[str, object]]) -> dict[str, list[str]]:
    """Where any check of the catalogue has a Chinese field, every check needs it."""
    all_checks = [c for e in raw_exercises for c in e.get("check") or []]  # type: ignore[attr-defined]
    kit_has = [f for f in CHINESE_FIELDS if any(f in c for c in all_checks)]
    problems: dict[str, list[str]] = {}
    for entry in raw_exercises:
        for check in entry.get("check") or []:  # type: ignore[attr-defined]
            missing = [f for f in kit_has if not str(check.get(f, "")).strip()]
            if missing:
                problems.setdefault(str(entry["id"]), []).append(
                    f"check {check['name']} has no Chinese text ({', '.join(missing)})"
                )
    return problems


def module_problems(exercise: ExerciseInfo) -> list[str]:
    """The grader module does not import, or its checks and the catalogue's differ (grading it
    would end in a KeyError)."""
    module = f"grader/exercises/{exercise.id}.py"
    try:
        coded = [check.name for check in definition_of(exercise).checks.all]
    except Exception as error:  # any import error is the instructor's to see
        return [f"{module} does not import: {type(error).__name__}: {error}"]
    catalogued = [check.name for check in exercise.checks]
    problems = [
        f"check {name} is in the catalogue but {module} registers no check of that name"
        for name in catalogued
        if name not in coded
    ]
    problems += [
        f"{module} registers check {name}, which has no [[exercise.check]] in the catalogue"
        for name in coded
        if name not in catalogued
    ]
    return problems


def untranslated(exercise: ExerciseInfo) -> list[str]:
    """The messages of the exercise's grader module with no Chinese where the kit has it."""
    table = language.table("zh")
    module = KIT_ROOT / "grader" / "exercises" / f"{exercise.id}.py"
    if not table or not module.is_file():
        return []
    try:
        found = messages.templates([module])
    except (SyntaxError, ValueError) as error:
        return [str(error)]
    return [
        f"{path.relative_to(KIT_ROOT)}:{line}: the message {text!r} has no Chinese in "
        f"grader/translations/ (add it to {new_paths(exercise.id)['translations'].name})"
        for text, (path, line) in found.items()
        if text not in table
    ]


def stale_files() -> list[str]:
    stale = []
    readme = README.read_text(encoding="utf-8")
    if readme != with_table(readme, exercise_table(load_catalogue())):
        stale.append(f"README.md's exercise table is stale: run `{DOCS_COMMAND}`")
    workflow = KIT_ROOT / WORKFLOW_PATH
    if not workflow.is_file() or workflow.read_text(encoding="utf-8") != render_workflow():
        stale.append(
            f"{WORKFLOW_PATH} is stale: run `python -m grader.formats.workflow > {WORKFLOW_PATH}`"
        )
    return stale


def check_kit(exercises: Sequence[ExerciseInfo], jobs: int | None = None) -> dict[str, list[str]]:
    """Every problem found, by exercise id (``kit`` for the generated files)."""
    with open(CATALOGUE_PATH, "rb") as file:
        raw_exercises = tomllib.load(file)["exercise"]
    raw_by_id = {str(entry["id"]): entry for entry in raw_exercises}
    problems: dict[str, list[str]] = {e.id: [] for e in exercises}
    chinese = chinese_problems(raw_exercises)
    for exercise in exercises:
        problems[exercise.id] += catalogue_problems(exercise, raw_by_id[exercise.id])
        problems[exercise.id] += chinese.get(exercise.id, [])
        problems[exercise.id] += untranslated(exercise)
        for path in placeholder_files(exercise):
            problems[exercise.id].append(
                f"{path.relative_to(KIT_ROOT)} still has {PLACEHOLDER} placeholders to fill"
            )
        stub = KIT_ROOT / "exercises" / exercise.filename
        if not stub.is_file() or "# TODO" not in stub.read_text(encoding="utf-8"):
            problems[exercise.id].append(f"the stub {stub.relative_to(KIT_ROOT)} has no # TODO")
    mismatched = set()
    for exercise in exercises:
        found = module_problems(exercise)
        problems[exercise.id] += found
        if found:
            mismatched.add(exercise.id)
    # Grading an exercise whose module and catalogue disagree would end in a KeyError.
    exercises = [e for e in exercises if e.id not in mismatched]
    jobs = jobs or DEFAULT_JOBS
    solutions = grade(KIT_ROOT / "solutions", exercises, jobs=jobs)
    stubs = grade(KIT_ROOT / "exercises", exercises, jobs=jobs)
    for result in solutions.exercises:
        for lost in result.checks:
            if lost.score < lost.max_score:
                first = lost.message.strip().splitlines()[:3]
                problems[result.id].append(
                    f"the solution loses check {lost.name} ({lost.status}): "
                    + " / ".join(line.strip() for line in first)
                )
    for result in stubs.exercises:
        earned = [c.name for c in result.checks if c.score]
        if earned:
            problems[result.id].append(
                f"the stub earns points on {', '.join(earned)}: give those checks "
                "`requires` in the catalogue, or make the stub show the bug"
            )
    failed_by, contradicted = _failing_fixtures(exercises, jobs)
    for exercise in exercises:
        problems[exercise.id] += contradicted.get(exercise.id, [])
        for check in exercise.checks:
            if not failed_by.get((exercise.id, check.name)):
                problems[exercise.id].append(
                    f"check {check.name} has no fixture that fails it: add one to "
                    f"tests/fixtures/{exercise.id}/ with `# expect: fails {check.name}`"
                )
    stale = stale_files()
    if stale:
        problems["kit"] = stale
    return problems


def _failing_fixtures(
    exercises: Sequence[ExerciseInfo], jobs: int | None
) -> tuple[dict[tuple[str, str], list[str]], dict[str, list[str]]]:
    """(exercise, check) -> the fixtures that fail it, each graded as a student's file is
    (under every start method of the exercise); and, by exercise, the fixtures whose grading
    contradicts what their first line declares."""
    wanted = {e.id for e in exercises}
    found, _ = submissions()
    chosen = [s for s in found if s.exercise.id in wanted and s.name != "solution"]

    def graded(submission: Submission) -> tuple[Submission, ExerciseResult]:
        exercise, path = submission.exercise, submission.path
        with tempfile.TemporaryDirectory(prefix="lockstep-check-") as folder:
            shutil.copy(path, Path(folder) / exercise.filename)
            return submission, grade(Path(folder), [exercise]).exercises[0]

    failed_by: dict[tuple[str, str], list[str]] = {}
    contradicted: dict[str, list[str]] = {}
    # One grading per core: each already runs its scenarios and start methods side by side
    # (``jobs`` runs at once), and more at once starved right programs past their deadlines.
    with ThreadPoolExecutor(max_workers=min(jobs or 2, os.cpu_count() or 1)) as pool:
        for submission, result in pool.map(graded, chosen):
            statuses = {c.name: c.status for c in result.checks}
            exercise = submission.exercise.id
            for name, status in statuses.items():
                if status != "passed":
                    failed_by.setdefault((exercise, name), []).append(submission.name)
            expected = Expectation.of(submission.path)
            wrong = expected.contradicted({n: {s} for n, s in statuses.items()}) if expected else []
            if wrong:
                got = ", ".join(f"{n} {statuses.get(n, 'missing')}" for n in wrong)
                first = next((c.message for c in result.checks if c.name in wrong), "")
                contradicted.setdefault(exercise, []).append(
                    f"the fixture {submission.path.relative_to(KIT_ROOT)} does not score what "
                    f"its first line declares: {got} (a check that fails only because a check "
                    "it `requires` fails is failed too: declare it, or drop `only`)"
                    + "".join(f"\n    {line}" for line in first.strip().splitlines()[:12])
                )
    return failed_by, contradicted


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m grader.instructor.kit_check", description=__doc__)
    cli.add_argument("exercises", nargs="*", metavar="EXERCISE", help="default: all")
    cli.add_argument("--jobs", type=int, default=None, help="runs at once")
    args = cli.parse_args(argv)
    chosen = select(args.exercises)
    if isinstance(chosen, str):
        print(f"error: {chosen}", file=sys.stderr)
        return 2
    problems = check_kit(chosen, args.jobs)
    count = sum(len(found) for found in problems.values())
    for key, found in problems.items():
        for problem in found:
            print(f"{key}: {problem}")
    if count:
        print(f"\n{count} problem(s): the kit is not ready.", file=sys.stderr)
        return 1
    print(f"The kit is ready: {len(chosen)} exercise(s) checked.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
