"""The kit is whole: every catalogued exercise has a stub, a solution and its checks."""

from __future__ import annotations

import ast

import pytest

from grader.benchmark import chain_floor
from grader.catalogue import ExerciseInfo, load_catalogue, parse_signature
from grader.grading import definition_of
from tests.conftest import ROOT, GradeVariant

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


def test_a_signature_with_a_tuple_default_has_its_own_parameters() -> None:
    """Commas inside a default (a tuple) do not split parameters."""
    parsed = parse_signature('main(foods=("包子", "骨头"), consumers=2, *, n=5)')
    assert (parsed.name, parsed.params) == ("main", ("foods", "consumers", "n"))
    with pytest.raises(ValueError, match="not a signature"):
        parse_signature("main(")
