"""`python -m grader new`: the skeleton of a new exercise, and what `nox -s check` reads."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from grader.catalogue import CATALOGUE_PATH, load_catalogue
from grader.instructor import messages, new
from grader.instructor.kit_check import declared_failures


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A kit folder with today's catalogue only."""
    (tmp_path / "grader").mkdir()
    shutil.copy(CATALOGUE_PATH, tmp_path / "grader" / "catalogue.toml")
    return tmp_path


def free_id(kit: Path) -> str:
    """The next number the catalogue does not use, as an id (ex13_semaphore until an
    instructor adds it)."""
    taken = {int(e.number) for e in load_catalogue(kit / "grader" / "catalogue.toml")}
    return f"ex{max(taken) + 1:02d}_sample"


def test_writes_every_file_and_a_catalogue_entry(kit: Path) -> None:
    """The catalogue gains the entry (with placeholders, the Chinese ones too) and each file
    of the skeleton exists: the stub with a TODO, the first mistake declaring the check it
    fails, and every message of the grader module with its Chinese in the exercise's own
    translations file."""
    name = free_id(kit)
    written = new.create(name, kit)
    assert written == [kit / "grader" / "catalogue.toml", *new.paths(name, kit).values()]
    entry = next(e for e in load_catalogue(kit / "grader" / "catalogue.toml") if e.id == name)
    assert new.PLACEHOLDER in entry.title
    paths = new.paths(name, kit)
    assert all(path.is_file() for path in paths.values())
    assert "# TODO" in paths["stub"].read_text(encoding="utf-8")
    assert declared_failures(paths["first mistake"]) == {"each_task_once"}
    assert "from ..authoring import" in paths["grader module"].read_text(encoding="utf-8")
    assert new.PLACEHOLDER in entry.checks[0].hint_zh
    chinese = tomllib.loads(paths["translations"].read_text(encoding="utf-8"))[name]
    used = messages.templates([paths["grader module"]])
    assert used and set(used) == set(chinese)
    assert all(messages.fields(text) == messages.fields(chinese[text]) for text in used)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ex02_whatever", "number 02 is taken"),
        ("ex01_process_lock", "already in"),
        ("semaphore", "not an exercise id"),
    ],
)
def test_refuses_a_name_that_exists(kit: Path, name: str, reason: str) -> None:
    """An id or a number already in the catalogue, or a malformed id, is refused."""
    problem = new.refusal(name, kit)
    assert problem is not None and reason in problem


def test_refuses_the_same_name_twice(kit: Path) -> None:
    """A second `new` of the same id changes nothing and says why."""
    name = free_id(kit)
    new.create(name, kit)
    before = (kit / "grader" / "catalogue.toml").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="already in"):
        new.create(name, kit)
    assert (kit / "grader" / "catalogue.toml").read_text(encoding="utf-8") == before
