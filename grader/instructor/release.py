"""Write the student template: the repository students get, derived from the kit and its catalogue.

``python -m grader.instructor.release OUT_DIR`` (or ``nox -s release -- OUT_DIR``) writes the
stubs, the grader's engine (``grader/`` without the instructors' and maintainers' packages),
``noxfile.py``, ``pyproject.toml``, the Actions workflow when the kit has one, a student README
generated from the catalogue, and ``lockstep-manifest.json`` with a SHA-256 of every protected
file. What it copies is listed here, so the reference solutions, the kit's own tests, its CI and
the instructors' material can never slip in.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..catalogue import ExerciseInfo, load_catalogue
from ..formats.project import KIT_ROOT
from .docs import exercise_table
from .manifest import MANIFEST_NAME, Manifest, snapshot

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

WORKFLOW = ".github/workflows/classroom.yml"
COPIED_FILES = ("noxfile.py", "pyproject.toml", ".gitignore", "docs/students.zh.md")
"""Files copied as they are, when the kit has them (the first two are required)."""
NOT_FOR_STUDENTS = ("instructor", "maintainer")
"""Packages of ``grader/`` the template leaves out: the instructors' tools (batch, verify,
release...) and the maintainers' (stress, benchmark), which need the full kit."""
_CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


class ReleaseError(Exception):
    """The template cannot be written: the message says why and what to do."""


def build(out_dir: Path, *, kit: Path = KIT_ROOT, date: str | None = None) -> Manifest:
    """Write the student template into ``out_dir`` (new, or empty but for ``.git``).

    Returns the manifest it also wrote as ``out_dir/lockstep-manifest.json``.
    """
    kit = kit.resolve()
    _check_destination(out_dir)
    exercises = load_catalogue(kit / "grader" / "catalogue.toml")
    for name in ("noxfile.py", "pyproject.toml"):
        if not (kit / name).is_file():
            raise ReleaseError(f"{kit / name} is missing: the template needs it to grade")
    stubs = [kit / "exercises" / exercise.filename for exercise in exercises]
    missing = [str(stub) for stub in stubs if not stub.is_file()]
    if missing:
        raise ReleaseError(
            f"no stub for {', '.join(missing)}: every exercise in the catalogue needs one"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "exercises").mkdir()
    for stub in stubs:
        shutil.copy2(stub, out_dir / "exercises" / stub.name)
    shutil.copytree(kit / "grader", out_dir / "grader", ignore=_skipped(kit / "grader"))
    for name in COPIED_FILES:
        if (kit / name).is_file():
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(kit / name, out_dir / name)
    has_workflow = (kit / WORKFLOW).is_file()
    if has_workflow:
        (out_dir / WORKFLOW).parent.mkdir(parents=True)
        shutil.copy2(kit / WORKFLOW, out_dir / WORKFLOW)
    project = _pyproject(kit)
    (out_dir / "README.md").write_text(
        student_readme(
            exercises,
            python=str(project.get("requires-python", ">=3.10")),
            dependencies=dependency_names(project),
            has_workflow=has_workflow,
        ),
        encoding="utf-8",
    )
    manifest = snapshot(out_dir, str(project.get("version", "0")), date or release_date())
    manifest.write(out_dir / MANIFEST_NAME)
    return manifest


def release_date() -> str:
    """Today (UTC), or the day of ``SOURCE_DATE_EPOCH`` when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        if epoch and epoch.isdigit()
        else datetime.datetime.now(datetime.timezone.utc)
    )
    return moment.date().isoformat()


def student_readme(
    exercises: Sequence[ExerciseInfo],
    *,
    python: str = ">=3.10",
    dependencies: Sequence[str] = ("psutil",),
    has_workflow: bool = False,
) -> str:
    """The template's README.md: how to run, grade and get hints, and the exercise table."""
    total = sum(exercise.max_score for exercise in exercises)
    first = exercises[0] if exercises else None
    number = first.number if first else "01"
    filename = first.filename if first else "ex01_process_lock.py"
    lines = [
        "# Lockstep: Python concurrency exercises",
        "",
        f"{len(exercises)} exercises, {total} points. Each one is a program in `exercises/`"
        " with lines marked `# TODO` for you to fix. The grader runs your programs in fresh"
        " processes, under every multiprocessing start method, and tells you what really"
        " happened: which process printed what, which processes existed, who put what on a"
        " queue, and where a program that never ends was stuck.",
        "",
        "## Setting up",
        "",
        f"You need Python {_version_words(python)} and nox: `pip install nox`. (Without nox:"
        f" `pip install {' '.join(dependencies)}` and use `python -m grader` wherever this page"
        " says `nox -s grade --`.)",
        "",
        "## Running one exercise",
        "",
        "Read the exercise's docstring, edit the lines marked `# TODO`, and run the lesson's demo:",
        "",
        "```bash",
        f"python exercises/{filename}",
        "```",
        "",
        "## Grading",
        "",
        "```bash",
        "nox -s grade               # every exercise: a score table; exit code 0 = full marks",
        f"nox -s grade -- {number}         # one exercise, by its number (or its name)",
        f"nox -s grade -- {number} --hints # the same, with a more direct hint per failed check",
        "nox -s grade -- --lang zh  # feedback in Chinese (or a zh_* locale: LANG=zh_CN.UTF-8)",
        "nox -s watch               # grade as you edit: keys h hint, n next, l list, q quit",
        "```",
        "",
        "中文说明：[docs/students.zh.md](docs/students.zh.md)（两个命令、监视模式、怎样看没通过的检查）。",
        "",
        "The grader never imports your module into its own process. A program that hangs costs"
        " only its own exercise: it is stopped at the time limit below and reported with the"
        " line each of its processes was waiting on.",
        "",
        "## Hints",
        "",
        "Every failed check tells you what was observed, what was expected, and a hint that"
        " points at the idea without giving the code away. If you are stuck, `--hints` adds a"
        " second, more direct hint to each failed check. A check marked `HUNG` means your"
        " program did not end in time; `ERROR` means it could not be run at all (a syntax error,"
        " a missing function, a renamed file).",
        "",
        "## The exercises",
        "",
        exercise_table(exercises),
        "",
    ]
    for exercise in exercises:
        methods = ", ".join(exercise.start_methods) or "the default start method"
        lines += [
            f"### {exercise.number}. {exercise.title} ({exercise.title_zh})",
            "",
            f"`exercises/{exercise.filename}` must define "
            + ", ".join(f"`{function.signature}`" for function in exercise.api)
            + f". Graded under: {methods}; time limit per run: {exercise.timeout:g} s.",
            "",
        ]
    lines += [
        "## How your work is graded",
        "",
    ]
    if has_workflow:
        lines += [
            "Every push runs the grader on GitHub Actions"
            " (`.github/workflows/classroom.yml`) and shows your points.",
            "",
        ]
    lines += [
        "Your instructor grades the files in `exercises/` with their own copy of the grader."
        " Leave `grader/`, `noxfile.py`, `pyproject.toml` and `.github/workflows/` as they are:"
        f" they are compared with the release's `{MANIFEST_NAME}`, and a changed copy only"
        " makes your own score untrustworthy, never higher.",
        "",
    ]
    return "\n".join(lines)


def dependency_names(project: dict[str, object]) -> list[str]:
    """The names of the project's dependencies (``psutil>=5.9`` -> ``psutil``)."""
    listed = project.get("dependencies")
    names = [
        re.split(r"[\s<>=!~;\[]", str(d), maxsplit=1)[0]
        for d in (listed if isinstance(listed, list) else [])
    ]
    return list(dict.fromkeys(name for name in names if name))


def _version_words(requires: str) -> str:
    """``>=3.10`` -> ``3.10 or newer``; anything else as it is."""
    return f"{requires[2:]} or newer" if requires.startswith(">=") else requires


def _skipped(grader: Path) -> Callable[[str, list[str]], set[str]]:
    """What ``copytree`` leaves out of ``grader``: caches, and the packages not for students."""

    def skipped(folder: str, names: list[str]) -> set[str]:
        left_out = set(_CACHES(folder, names))
        if Path(folder) == grader:
            left_out.update(name for name in names if name in NOT_FOR_STUDENTS)
        return left_out

    return skipped


def _check_destination(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ReleaseError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir():
        present = sorted(entry.name for entry in out_dir.iterdir() if entry.name != ".git")
        if present:
            raise ReleaseError(
                f"{out_dir} is not empty ({', '.join(present[:5])}"
                f"{', ...' if len(present) > 5 else ''}): release into a new or empty folder"
            )


def _pyproject(kit: Path) -> dict[str, object]:
    with open(kit / "pyproject.toml", "rb") as file:
        project = tomllib.load(file).get("project", {})
    return project if isinstance(project, dict) else {}


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m grader.instructor.release",
        description="Write the student template repository (stubs, grader, README, workflow, "
        "manifest) into OUT_DIR. Never writes solutions/, tests/, .ci/ or the instructors' and "
        "maintainers' tools.",
    )
    cli.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a new or empty folder")
    args = cli.parse_args(argv)
    try:
        manifest = build(args.out_dir)
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"Wrote the student template {manifest.version} ({manifest.date}) to {args.out_dir}: "
        f"{len(manifest.files)} protected files in {MANIFEST_NAME}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
