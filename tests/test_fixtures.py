"""Every fixture scores what the first line of its file declares; every stub scores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import load_catalogue
from grader.maintainer.stress import Expectation
from tests.conftest import FIXTURES, GradeVariant, failed_checks

EXERCISES = load_catalogue()
DECLARED = sorted(path for e in EXERCISES for path in (FIXTURES / e.id).glob("*.py"))

# The stubs are the students' files and carry no declaration: what each must fail is kept here.
STUB_FAILS = {
    "ex01_process_lock": {"one_at_a_time", "released_on_error"},
    "ex02_ticket_booking": {"never_oversold", "count_left", "each_buyer_once", "searches_overlap"},
    "ex03_pids": {"reported_pids", "reported_parents", "distinct_pids", "stop_by_pid"},
    "ex04_isolation": {
        "child_value",
        "sent_by_child",
        "parent_unchanged",
        "child_changed_its_n",
        "large_message",
    },
    "ex05_queue": {
        "fifo",
        "overflow_rejected",
        "put_within_timeout",
        "take_timeout",
        "drain_everything",
        "no_busy_wait",
    },
    "ex06_producer_consumer": {"program_ends"},
    "ex07_many_producers_consumers": {"program_ends"},
    "ex08_threads": {"thread_runs", "facts_true", "daemon_dies"},
    "ex09_thread_race": {"no_lost_update"},
    "ex10_deadlock": {"program_ends", "each_ate_twice", "one_eater_at_a_time", "held_both"},
    "ex11_pessimistic_lock": {"never_oversold", "read_under_lock"},
    "ex12_optimistic_lock": {"never_oversold", "retries"},
}


@pytest.mark.parametrize("path", DECLARED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_scores_what_it_declares(grade_variant: GradeVariant, path: Path) -> None:
    """Graded under the exercise's start methods, a fixture earns full marks, or fails the
    checks it names (only those, when it says so) for its own reason: no check is an error."""
    expected = Expectation.of(path)
    assert expected is not None, f"{path} does not start with a `# expect: ...` line"
    result = grade_variant(path.parent.name, path.stem)
    statuses = {check.name: {check.status} for check in result.checks}
    verdicts = [(c.name, c.status, c.message) for c in result.checks]
    assert expected.contradicted(statuses) == [], verdicts
    assert (result.score == result.max_score) == (not expected.failing), verdicts


@pytest.mark.parametrize("exercise_id", sorted(STUB_FAILS))
def test_stub_scores_nothing(grade_variant: GradeVariant, exercise_id: str) -> None:
    """The untouched stub earns 0 and fails the checks that describe the lesson's bug: the
    parts it gets right by doing nothing are not credited. (The solutions' full marks are
    asserted in test_kit.py.)"""
    result = grade_variant(exercise_id, "stub")
    assert result.score == 0
    assert STUB_FAILS[exercise_id] <= failed_checks(result), result.checks


def test_every_exercise_has_its_stub_listed() -> None:
    assert set(STUB_FAILS) == {e.id for e in EXERCISES}


@pytest.mark.parametrize(
    ("first_line", "statuses", "contradicted"),
    [
        ("# expect: full marks", {"a": {"passed"}, "b": {"passed"}}, []),
        ("# expect: full marks", {"a": {"passed"}, "b": {"passed", "timeout"}}, ["b"]),
        ("# expect: fails a", {"a": {"failed"}, "b": {"timeout"}}, []),
        ("# expect: fails a", {"a": {"failed", "passed"}, "b": {"passed"}}, ["a"]),
        ("# expect: fails a", {"a": {"failed"}, "b": {"error"}}, ["b"]),
        ("# expect: fails only a, b", {"a": {"failed"}, "b": {"timeout"}}, []),
        ("# expect: fails only a", {"a": {"failed"}, "b": {"timeout"}}, ["b"]),
        ("# expect: fails a, typo", {"a": {"failed"}}, ["typo"]),
    ],
)
def test_a_declaration_is_read_and_held_against_the_verdicts(
    tmp_path: Path, first_line: str, statuses: dict[str, set[str]], contradicted: list[str]
) -> None:
    """A check declared failing must fail on every run; with ``only``, every other check must
    pass; an error anywhere, or a declared check the exercise lacks, contradicts the declaration."""
    path = tmp_path / "fixture.py"
    path.write_text(f'{first_line}\n"""A fixture."""\n', encoding="utf-8")
    expected = Expectation.of(path)
    assert expected is not None
    assert expected.contradicted(statuses) == contradicted


def test_a_file_without_a_declaration_has_none(tmp_path: Path) -> None:
    path = tmp_path / "fixture.py"
    path.write_text('"""A fixture."""\n# expect: full marks\n', encoding="utf-8")
    assert Expectation.of(path) is None
