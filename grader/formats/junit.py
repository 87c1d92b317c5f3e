"""JUnit XML for any other system: one test suite per exercise, one test case per check.

A check that failed is a ``<failure type="failed">``, one whose program hung a
``<failure type="timeout">``, one that could not run at all (the module does not load, the file
is missing) an ``<error type="error">``, and a fault of the grader an
``<error type="grader-fault">``. Each test case carries its points as properties and, when the
failure points at the student's line, ``file`` and ``line`` attributes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import CheckResult, GradeResult
from .common import check_text, relative_file

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold (a student's program may print any byte)."""


def xml_safe(text: str) -> str:
    """``text`` with every character XML cannot hold written as ``\\xNN``."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def to_junit(result: GradeResult, *, fault: str | None = None, root: Path | None = None) -> str:
    """The JUnit XML document, as text; file paths are relative to ``root`` (default: cwd)."""
    root = root or Path.cwd()
    suites = ET.Element("testsuites", name="lockstep")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for exercise in result.exercises:
        suite = ET.SubElement(suites, "testsuite", name=exercise.id)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        for check in exercise.checks:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=exercise.id, name=check.name)
            where = relative_file(check, root)
            if where is not None and check.line is not None:
                case.set("file", where)
                case.set("line", str(check.line))
            properties = ET.SubElement(case, "properties")
            for name, value in (("score", check.score), ("max_score", check.max_score)):
                ET.SubElement(properties, "property", name=name, value=str(value))
            outcome = _outcome(check, fault)
            if outcome is not None:
                tag, kind = outcome
                counts["failures" if tag == "failure" else "errors"] += 1
                element = ET.SubElement(case, tag, type=kind, message=_first_line(check))
                element.text = xml_safe(check_text(check))
        suite.set("time", f"{exercise.duration:.3f}")
        suite.set("skipped", "0")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{ET.tostring(suites, encoding="unicode")}\n'


def write_junit(
    path: Path, result: GradeResult, *, fault: str | None = None, root: Path | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_junit(result, fault=fault, root=root), encoding="utf-8")


def _outcome(check: CheckResult, fault: str | None) -> tuple[str, str] | None:
    """(element, type) for a check that did not pass, None for one that did."""
    if check.status == "passed":
        return None
    if fault is not None:
        return "error", "grader-fault"
    if check.status == "error":
        return "error", "error"
    if check.status == "skipped":
        return "skipped", "skipped"
    return "failure", check.status


def _first_line(check: CheckResult) -> str:
    lines = check.message.strip().splitlines()
    return xml_safe(lines[0] if lines else check.status)
