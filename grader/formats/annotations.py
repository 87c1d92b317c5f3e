"""GitHub Actions annotations: an error on the student's file and line for each failed check
that points at one (where a hung process was stuck, where an exception was raised)."""

from __future__ import annotations

from pathlib import Path

from ..results import GradeResult
from .common import display_name, label, relative_file


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped (``%25``, ``%0D``, ``%0A``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_lines(result: GradeResult, root: Path) -> list[str]:
    """One ``::error file=...,line=...,title=...::message`` line per failed check whose file
    lies under ``root`` (the repository's root), the path relative to it."""
    lines = []
    for exercise in result.exercises:
        for check in exercise.checks:
            where = relative_file(check, root)
            if check.status == "passed" or where is None or check.line is None:
                continue
            title = f"{display_name(exercise, check)} ({label(check.status)})"
            properties = ",".join(
                f"{key}={escape_property(value)}"
                for key, value in (("file", where), ("line", str(check.line)), ("title", title))
            )
            lines.append(f"::error {properties}::{escape_data(check.message)}")
    return lines
