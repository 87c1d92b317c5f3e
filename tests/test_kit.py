"""The kit is whole: every catalogued exercise has a stub, a solution and its checks."""

from __future__ import annotations

import ast
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from grader import grade
from grader.catalogue import ExerciseInfo, load_catalogue, parse_signature
from grader.grading import definition_of
from grader.maintainer.benchmark import chain_floor, measurements
from tests.conftest import FIXTURES, ROOT, GradeVariant

EXERCISES = load_catalogue()


def functions_of(path: str) -> dict[str, list[str]]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {
        node.name: [arg.arg for arg in node.args.args + node.args.kwonlyargs]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_stub_and_solution_offer_the_catalogued_functions(exercise: ExerciseInfo) -> None:
    """Stub and solution define every function of the contract with its parameters."""
    for folder in ("exercises", "solutions"):
        defined = functions_of(f"{folder}/{exercise.filename}")
        for function in exercise.api:
            assert function.name in defined, (folder, function.name)
            assert defined[function.name] == list(function.params), (folder, function.signature)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_stub_marks_what_to_edit_and_runs_as_a_program(exercise: ExerciseInfo) -> None:
    """Each stub has a TODO and ends with the main guard, as the catalogue's rules say."""
    text = (ROOT / "exercises" / exercise.filename).read_text(encoding="utf-8")
    assert "# TODO" in text
    assert text.rstrip().endswith('if __name__ == "__main__":\n    main()')


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_catalogued_check_has_code_and_every_check_is_catalogued(
    exercise: ExerciseInfo,
) -> None:
    """The catalogue's checks and the exercise module's checks are the same set."""
    coded = {check.name for check in definition_of(exercise).checks.all}
    assert coded == {check.name for check in exercise.checks}


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_benchmark_floor_is_a_lower_bound(
    exercise: ExerciseInfo, grade_variant: GradeVariant
) -> None:
    """Grading the reference solution never beats the floor the benchmark puts beside it: the
    scenarios' floors count only sleeps a right program cannot skip."""
    result = grade_variant(exercise.id, "solution")
    assert result.score == result.max_score
    assert result.duration >= chain_floor(exercise, hung=False)


def test_an_exercises_duration_is_the_time_of_its_own_runs(tmp_path: Path) -> None:
    """Graded after an exercise that hangs until its deadline, a quick solution's duration is
    the time of its own runs, not the time since the grading began (JUnit reports it per
    exercise)."""
    by_id = {exercise.id: exercise for exercise in EXERCISES}
    hangs, quick = by_id["ex01_process_lock"], by_id["ex04_isolation"]
    shutil.copy(FIXTURES / "hangs_in_every_call.py", tmp_path / hangs.filename)
    shutil.copy(ROOT / "solutions" / quick.filename, tmp_path / quick.filename)
    hung, graded = grade(tmp_path, [hangs, quick], start_methods=["fork"]).exercises
    assert {c.status for c in hung.checks} == {"timeout"} and hung.duration >= hangs.timeout
    assert graded.score == graded.max_score
    assert graded.duration < hangs.timeout, graded.duration


def test_benchmark_lines_are_counted_from_the_catalogue() -> None:
    """A catalogue of four exercises with a 3 s deadline gives the lines "4 solutions" (4 s),
    "4 stubs" (8 s) and "4 exercises that all hang" (12 s); the spine's lines name the spine's
    exercises it holds, and a spine stub alone has its deadline plus 2 s."""
    four = [replace(exercise, timeout=3.0) for exercise in EXERCISES[:4]]
    budgets = {line.label: line.budget for line in measurements(four)}
    assert budgets == {
        "2 solutions (01 03)": 5.0,
        "2 stubs (01 03)": 15.0,
        "4 solutions": 4.0,
        "4 stubs": 8.0,
        "4 exercises that all hang": 12.0,
        **{f"solution {exercise.id}": 2.0 for exercise in four},
        "stub ex01_process_lock": 5.0,
        "stub ex03_pids": 5.0,
    }


def test_a_signature_with_a_tuple_default_has_its_own_parameters() -> None:
    """Commas inside a default (a tuple) do not split parameters."""
    parsed = parse_signature('main(foods=("包子", "骨头"), consumers=2, *, n=5)')
    assert (parsed.name, parsed.params) == ("main", ("foods", "consumers", "n"))
    with pytest.raises(ValueError, match="not a signature"):
        parse_signature("main(")
