"""`nox -s check`'s rules that need no grading: what a fixture declares, when Chinese text is
required, and that today's generated files are fresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.catalogue import load_catalogue
from grader.instructor.kit_check import (
    catalogue_problems,
    chinese_problems,
    declared_failures,
    stale_files,
)


@pytest.mark.parametrize(
    ("first_line", "declared"),
    [
        ("# expect: fails one_at_a_time, started_together", {"one_at_a_time", "started_together"}),
        ("# expect: full marks", set()),
        ('"""No declaration."""', None),
    ],
)
def test_a_fixture_declares_what_it_fails(
    tmp_path: Path, first_line: str, declared: set[str] | None
) -> None:
    """The first line names the checks a fixture fails; `full marks` names none; a fixture
    without the line declares nothing (and is graded instead)."""
    path = tmp_path / "fixture.py"
    path.write_text(f"{first_line}\nprint('x')\n", encoding="utf-8")
    assert declared_failures(path) == declared


def test_chinese_text_is_required_only_once_the_kit_has_it() -> None:
    """No check has a Chinese field: nothing is asked. One check has hint_zh: every check of
    every exercise needs it."""
    bare = [{"id": "ex01", "check": [{"name": "a"}, {"name": "b"}]}]
    assert chinese_problems(bare) == {}
    started = [
        {"id": "ex01", "check": [{"name": "a", "hint_zh": "提示"}, {"name": "b"}]},
        {"id": "ex02", "check": [{"name": "c"}]},
    ]
    assert chinese_problems(started) == {
        "ex01": ["check b has no Chinese text (hint_zh)"],
        "ex02": ["check c has no Chinese text (hint_zh)"],
    }


def test_a_placeholder_left_in_the_catalogue_is_named() -> None:
    """A catalogue text still holding new's placeholder is named by its field."""
    exercise = load_catalogue()[0]
    raw = {"title": "TODO(instructor): topic", "check": [{"name": "x", "hint": "ok"}]}
    assert any("title" in p and "TODO(instructor)" in p for p in catalogue_problems(exercise, raw))


def test_todays_generated_files_are_fresh() -> None:
    """The README table and the workflow match the catalogue."""
    assert stale_files() == []
