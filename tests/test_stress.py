"""The stress tool finds what exists when it starts, and counts a flip as a flip."""

from __future__ import annotations

from pathlib import Path

import psutil

from grader import load_catalogue
from grader.maintainer.stress import (
    FULL_MARKS,
    Expectation,
    Row,
    Submission,
    graded_as_a_whole,
    stress,
    submissions,
    table,
)
from tests.conftest import FIXTURES, ROOT


def test_finds_every_solution_and_fixture() -> None:
    """Every solution and fixture of a catalogued exercise (one folder deeper too) is graded,
    except the fixture that writes into the kit, which is named with the reason."""
    found, skipped = submissions()
    keys = {s.key for s in found}
    for exercise in load_catalogue():
        if (ROOT / "solutions" / exercise.filename).is_file():
            assert f"{exercise.id}/solution" in keys
        for fixture in (FIXTURES / exercise.id).glob("*.py"):
            assert f"{exercise.id}/{exercise.id}/{fixture.stem}" in keys
    assert "ex01_process_lock/hostile/ex01_process_lock/busy_main" in keys
    assert any("writes_kit" in note and "writes into the kit" in note for note in skipped)
    assert not any("writes_kit" in key for key in keys)


def test_holds_each_submission_to_its_declaration() -> None:
    """A solution must earn full marks; a fixture is held to the declaration in its first line
    (a hostile fixture, declaring nothing, only to the absence of flips)."""
    found, _ = submissions()
    for submission in found:
        if submission.name == "solution":
            assert submission.expected == FULL_MARKS
        else:
            assert submission.expected == Expectation.of(submission.path)
    assert any(s.expected is None for s in found if "hostile/" in s.name)


def test_a_declaration_holds_for_all_start_methods_at_once(tmp_path: Path) -> None:
    """A fixture right under fork only (a module-level lock) fails its declared check as a
    student's grading does, under every method at once; one that passes that check under
    every method on some run contradicts it, and so does a check that fails where the
    declaration says only the others do."""
    (exercise,) = [e for e in load_catalogue() if e.id == "ex01_process_lock"]
    fixture = Submission(exercise, "global_lock", tmp_path / "x.py")
    declared = Expectation(frozenset({"one_at_a_time"}), only=True)

    def rows(fork: set[str], spawn: set[str], other: set[str]) -> dict[tuple[str, str, str], Row]:
        return {
            (exercise.id, "global_lock", method): Row(
                runs=2, statuses={"one_at_a_time": seen, "each_once": other}
            )
            for method, seen in (("fork", fork), ("spawn", spawn))
        }

    right_under_fork = rows({"passed"}, {"failed"}, {"passed"})
    assert declared.contradicted(graded_as_a_whole(right_under_fork, fixture)) == []
    sometimes = rows({"passed"}, {"passed", "failed"}, {"passed"})
    assert declared.contradicted(graded_as_a_whole(sometimes, fixture)) == ["one_at_a_time"]
    more = rows({"failed"}, {"failed"}, {"passed", "failed"})
    assert declared.contradicted(graded_as_a_whole(more, fixture)) == ["each_once"]


def test_a_check_whose_status_changes_is_a_flip() -> None:
    row = Row(runs=3, passes=1, statuses={"a": {"passed"}, "b": {"passed", "timeout"}})
    assert row.flips == ["b"]
    shown = table({("ex01_process_lock", "solution", "fork"): row})
    assert "ex01_process_lock" in shown and "(b: passed/timeout)" in shown


def test_grades_under_load_and_stops_the_load(tmp_path: Path) -> None:
    """A stress run gives one row per submission and method with ``runs`` gradings in it, and
    its busy loops end."""
    found, _ = submissions()
    broken = next(s for s in found if s.name.endswith("hostile/ex01_process_lock/syntax_error"))
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    rows = stress([Submission(broken.exercise, "broken", broken.path)], ["fork"], 2, 1, 1)
    row = rows[("ex01_process_lock", "broken", "fork")]
    assert (row.runs, row.passes, row.flips) == (2, 0, [])
    assert row.statuses["one_at_a_time"] == {"error"}
    after = {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()}
    assert not [p for p in after - before if psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
