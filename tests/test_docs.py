"""Documents derived from the catalogue say so and do not drift from it."""

from __future__ import annotations

from grader.catalogue import load_catalogue
from grader.docs import BEGIN, README, exercise_table, with_table


def test_readme_table_matches_the_catalogue() -> None:
    """README.md's exercise table is exactly what the catalogue generates today."""
    current = README.read_text(encoding="utf-8")
    assert BEGIN in current
    assert with_table(current, exercise_table(load_catalogue())) == current, (
        "README.md is out of date: run `python -m grader.docs`"
    )


def test_table_lists_every_exercise_with_its_points() -> None:
    """Each exercise appears with its points, and the total is the sum."""
    exercises = load_catalogue()
    table = exercise_table(exercises)
    for exercise in exercises:
        assert f"`{exercise.filename}`" in table
        assert f"| {exercise.max_score} |" in table
    assert f"**{sum(e.max_score for e in exercises)}**" in table


def test_catalogue_is_consistent() -> None:
    """Ten points per exercise, unique check names, and requirements that exist."""
    for exercise in load_catalogue():
        names = [check.name for check in exercise.checks]
        assert exercise.max_score == 10, exercise.id
        assert len(set(names)) == len(names), exercise.id
        for check in exercise.checks:
            assert set(check.requires) <= set(names) - {check.name}, (exercise.id, check.name)
            assert check.hint and check.hint2 and check.hint != check.hint2
