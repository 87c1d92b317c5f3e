"""`python -m grader new`: the skeleton of a new exercise, and what `nox -s check` reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.catalogue import CATALOGUE_PATH, load_catalogue
from grader.instructor import new
from grader.instructor.kit_check import declared_failures


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A kit folder with today's catalogue only."""
    (tmp_path / "grader").mkdir()
    shutil.copy(CATALOGUE_PATH, tmp_path / "grader" / "catalogue.toml")
    return tmp_path


def test_writes_every_file_and_a_catalogue_entry(kit: Path) -> None:
    """The catalogue gains the entry (with placeholders) and each file of the skeleton exists,
    the stub with a TODO, the first mistake declaring the check it fails."""
    written = new.create("ex13_semaphore", kit)
    assert len(written) == 6
    entry = next(e for e in load_catalogue(kit / "grader" / "catalogue.toml") if e.number == "13")
    assert entry.id == "ex13_semaphore" and new.PLACEHOLDER in entry.title
    paths = new.paths("ex13_semaphore", kit)
    assert all(path.is_file() for path in paths.values())
    assert "# TODO" in paths["stub"].read_text(encoding="utf-8")
    assert declared_failures(paths["first mistake"]) == {"each_task_once"}
    assert "from ..authoring import" in paths["grader module"].read_text(encoding="utf-8")


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
    new.create("ex13_semaphore", kit)
    before = (kit / "grader" / "catalogue.toml").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="already in"):
        new.create("ex13_semaphore", kit)
    assert (kit / "grader" / "catalogue.toml").read_text(encoding="utf-8") == before
