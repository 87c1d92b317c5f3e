"""Documents derived from the catalogue say so and do not drift from it."""

from __future__ import annotations

from dataclasses import replace

from grader.catalogue import load_catalogue
from grader.instructor.docs import BEGIN, COMMAND, README, exercise_table, with_table


def test_readme_table_matches_the_catalogue() -> None:
    """README.md's exercise table is exactly what the catalogue generates today."""
    current = README.read_text(encoding="utf-8")
    assert BEGIN in current
    assert with_table(current, exercise_table(load_catalogue())) == current, (
        f"README.md is out of date: run `{COMMAND}`"
    )


def test_each_row_is_its_own_exercise() -> None:
    """Row by row, in the catalogue's order: the exercise's number, module, titles, points and
    each of its checks with its points and summary; then the total. The catalogue is altered
    so that every exercise has points of its own (a row cannot be right by chance)."""
    exercises = [
        replace(e, checks=(replace(e.checks[0], points=e.checks[0].points + n), *e.checks[1:]))
        for n, e in enumerate(load_catalogue(), start=1)
    ]
    assert len({e.max_score for e in exercises}) == len(exercises)
    header, rule, *rows, total = exercise_table(exercises).splitlines()
    assert header == "| # | Module | Topic | Points | Graded on |" and set(rule) == {"|", "-"}
    assert len(rows) == len(exercises)
    for row, exercise in zip(rows, exercises, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells == [
            exercise.number,
            f"`{exercise.filename}`",
            f"{exercise.title} ({exercise.title_zh})",
            str(exercise.max_score),
            "<br>".join(f"`{c.name}` ({c.points}): {c.summary}" for c in exercise.checks),
        ]
    assert total == f"| | | **Total** | **{sum(e.max_score for e in exercises)}** | |"


def test_catalogue_is_consistent() -> None:
    """Ten points per exercise, unique check names, and requirements that exist."""
    for exercise in load_catalogue():
        names = [check.name for check in exercise.checks]
        assert exercise.max_score == 10, exercise.id
        assert len(set(names)) == len(names), exercise.id
        for check in exercise.checks:
            assert set(check.requires) <= set(names) - {check.name}, (exercise.id, check.name)
            assert check.hint and check.hint2 and check.hint != check.hint2
