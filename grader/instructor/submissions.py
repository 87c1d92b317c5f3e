"""Find the submissions of a class: one folder per student, and the exercise modules in it.

A student's folder is a clone of the template (modules in ``exercises/``) or a bare folder of
exercise modules; its name is the student id. Only the catalogue's module files count, and a
symbolic link is refused (it could point at the reference solutions), as is a file too large
to be a program anyone wrote by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import ExerciseInfo

MAX_MODULE_BYTES = 1 << 20


@dataclass(frozen=True)
class Submission:
    """What was found in one student's folder."""

    student: str
    folder: Path
    modules: dict[str, Path]
    """Exercise id -> the student's module file, for the exercises handed in."""
    problems: dict[str, str]
    """Exercise id -> why its file was not taken (a symbolic link, too large)."""


def find_submissions(root: Path, exercises: Sequence[ExerciseInfo]) -> list[Submission]:
    """What every student folder under ``root`` holds, in the order of their names."""
    return [locate(folder, exercises) for folder in student_folders(root)]


def student_folders(root: Path) -> list[Path]:
    """The student folders under ``root`` (hidden folders skipped), sorted by name."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def locate(folder: Path, exercises: Sequence[ExerciseInfo]) -> Submission:
    """The student's modules: in ``exercises/`` when it holds any, else in the folder itself."""
    inner = folder / "exercises"
    problems: dict[str, str] = {}
    if inner.is_symlink():
        problems = {e.id: "exercises/ is a symbolic link: not graded" for e in exercises}
        return Submission(folder.name, folder, {}, problems)
    candidates = [inner, folder] if inner.is_dir() else [folder]
    for place in candidates:
        modules: dict[str, Path] = {}
        problems = {}
        for exercise in exercises:
            path = place / exercise.filename
            if path.is_symlink():
                problems[exercise.id] = f"{exercise.filename} is a symbolic link: not graded"
            elif path.is_file() and path.stat().st_size > MAX_MODULE_BYTES:
                problems[exercise.id] = f"{exercise.filename} is larger than 1 MB: not graded"
            elif path.is_file():
                modules[exercise.id] = path
        if modules or problems:
            return Submission(folder.name, place, modules, problems)
    return Submission(folder.name, folder, {}, {})
