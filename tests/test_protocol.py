"""The probe and the grader speak one protocol: every record kind written is defined and read,
and every kind the grader reads is one the probe writes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from grader.catalogue import find_exercise
from grader.probe.lockstep_probe import protocol
from grader.runner import run
from grader.trace.parse import READERS
from tests.conftest import ROOT, submission_of

PROBE = ROOT / "grader" / "probe"


def kinds_written(source: str, filename: str = "<probe>") -> tuple[set[str], list[str]]:
    """The record kinds a module's ``emit(KIND, ...)`` calls name, and each call whose kind is
    not a constant of the protocol (a string literal, an unknown name), as ``file:line``."""
    kinds: set[str] = set()
    strays: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "emit"):
            continue
        first = node.args[0] if node.args else None
        value = getattr(protocol, first.id, None) if isinstance(first, ast.Name) else None
        if isinstance(value, str) and value in protocol.RECORD_KINDS:
            kinds.add(value)
        else:
            strays.append(f"{filename}:{node.lineno}")
    return kinds, strays


def probe_kinds() -> tuple[set[str], list[str]]:
    kinds: set[str] = set()
    strays: list[str] = []
    for path in sorted(PROBE.rglob("*.py")):
        found, bad = kinds_written(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        kinds |= found
        strays += bad
    return kinds, strays


def test_the_scan_sees_a_kind_the_protocol_does_not_define() -> None:
    """The scan itself can fail: a literal kind, or a name that is not a protocol constant,
    is reported with its line."""
    source = 'emit(PUT, item=1)\nemit("bogus", x=1)\nemit(NOT_A_KIND)\n'
    kinds, strays = kinds_written(source, "m.py")
    assert kinds == {protocol.PUT}
    assert strays == ["m.py:2", "m.py:3"]


def test_the_probe_writes_only_kinds_the_protocol_defines() -> None:
    """Every ``emit`` in the probe and the harness names a kind by its protocol constant."""
    _, strays = probe_kinds()
    assert strays == []


def test_the_grader_reads_exactly_the_kinds_the_probe_writes() -> None:
    """One reader per kind of the protocol; each kind is written by the probe (the records
    cap is written directly, not through ``emit``), so no reader waits for nothing."""
    written, _ = probe_kinds()
    assert set(READERS) == set(protocol.RECORD_KINDS)
    assert protocol.RECORD_KINDS - written == {protocol.CAPPED}


def test_a_real_run_writes_only_defined_kinds(tmp_path: Path) -> None:
    """The records of a real run (processes, queues, locks, threads) hold no kind outside the
    protocol, and the reader counts none as unknown."""
    exercise = find_exercise("ex07_many_producers_consumers")
    assert exercise is not None
    folder = submission_of(tmp_path, exercise.id, "solution")
    module = __import__(f"grader.exercises.{exercise.id}", fromlist=["scenarios"])
    scenario = module.scenarios()[0]
    result = run(scenario, folder, exercise.id, [f.to_json() for f in exercise.api])
    assert result.trace.unknown == 0
    assert result.trace.entries, "no role was recorded"


def test_unknown_kinds_are_counted_not_read(tmp_path: Path) -> None:
    """A record of a kind the protocol does not define changes nothing in the trace but its
    count of unknown records."""
    from grader.trace import parse_trace

    records = tmp_path / "records.jsonl"
    lines = [
        {"k": protocol.OUT, "pid": 7, "t": 5, "tid": 1, "line": "进程1来了"},
        {"k": "made_up", "pid": 7, "t": 6, "tid": 1, "line": "进程1走了"},
    ]
    records.write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    trace = parse_trace(records, 0)
    assert [line.text for line in trace.lines] == ["进程1来了"]
    assert trace.unknown == 1


def test_a_daemon_child_stopped_before_it_recorded_anything_is_known_as_a_daemon(
    tmp_path: Path,
) -> None:
    """The parent's record of a start says whether the child is a daemon: a daemon consumer
    still starting (spawn, a busy machine) when the program ended and stopped it is a daemon,
    not a process that did not stop by itself (a right JoinableQueue program lost 3 points)."""
    from grader.trace import parse_trace

    records = tmp_path / "records.jsonl"
    lines = [
        {"k": protocol.PROC, "pid": 7, "t": 1, "tid": 1},
        {
            "k": protocol.STARTED,
            "pid": 7,
            "t": 2,
            "child": 8,
            "name": "Process-1",
            "cls": "Process",
            "daemon": True,
            "library": False,
            "target": "consumer",
        },
    ]
    records.write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    consumer = parse_trace(records, 0).processes[8]
    assert consumer.daemon
    assert consumer.role == "consumer"
