"""What a graded run did, read back from the records the probe wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Line:
    """One line a process printed."""

    pid: int
    time: float
    """Seconds since the run started."""
    stream: str
    """``out`` or ``err``."""
    text: str


@dataclass
class ProcessInfo:
    """One process of the run, as the operating system saw it."""

    pid: int
    ppid: int | None
    """The real parent when the process started (under forkserver: the fork server); None
    when the process was ended before it could say (only its parent's record exists)."""
    started: float
    target: str | None = None
    """The ``multiprocessing`` target function's name, for processes started that way."""
    name: str | None = None
    mp_parent: int | None = None
    """The PID of the program that created the ``Process`` object."""
    daemon: bool = False
    ended: float | None = None
    """When its target finished (it then exits at once); None if it was ended from outside."""
    exit_code: int | None = None
    """The exit code it ended with by itself."""
    collected_code: int | None = None
    """The exit code its parent collected with ``join()``."""
    seen_from_inside: bool = False
    """The process itself left a record (it was not ended before it could)."""

    @property
    def is_child(self) -> bool:
        """Started by ``multiprocessing.Process`` (not the fork server or resource tracker)."""
        return self.target is not None


@dataclass
class CallResult:
    """One call the harness made into the submission."""

    index: int
    function: str
    kwargs: dict[str, Any]
    started: float
    ended: float | None = None
    returned: bool = False
    value: Any = None
    error: dict[str, Any] | None = None
    """``type``, ``message`` and the submission's ``frames`` of an exception it raised."""
    live_after: list[int] = field(default_factory=list)

    def signature(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.kwargs.items())
        return f"{self.function}({args})"


@dataclass(frozen=True)
class QueueEvent:
    pid: int
    time: float
    action: str
    """``put`` or ``get``."""
    item: str
    """The item's ``repr``, shortened."""


@dataclass
class Trace:
    """Everything the probe recorded during one run."""

    harness_pid: int | None = None
    lines: list[Line] = field(default_factory=list)
    processes: dict[int, ProcessInfo] = field(default_factory=dict)
    calls: list[CallResult] = field(default_factory=list)
    queue: list[QueueEvent] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    load_error: dict[str, Any] | None = None
    loaded: bool = False
    done: bool = False
    capped: bool = False

    def out(self, pid: int | None = None) -> list[Line]:
        """Lines printed to stdout, by one process or all."""
        return [ln for ln in self.lines if ln.stream == "out" and pid in (None, ln.pid)]

    def children(self) -> list[ProcessInfo]:
        """The ``multiprocessing`` children, in the order they started."""
        return sorted((p for p in self.processes.values() if p.is_child), key=lambda p: p.started)

    def role(self, pid: int) -> str:
        """How a message names a process: ``the main program``, ``consumer``, ..."""
        if pid == self.harness_pid:
            return "the main program"
        info = self.processes.get(pid)
        if info and info.target:
            return info.target
        return "a process"


def parse_trace(path: Path, origin_ns: int) -> Trace:
    """Read a records file; times become seconds since ``origin_ns`` (``time.monotonic_ns``)."""
    trace = Trace()
    try:
        raw = path.read_bytes()
    except OSError:
        return trace
    for chunk in raw.splitlines():
        try:
            record = json.loads(chunk)
        except ValueError:
            continue
        if isinstance(record, dict):
            _apply(trace, record, origin_ns)
    return trace


def _apply(trace: Trace, record: dict[str, Any], origin_ns: int) -> None:
    kind = record.get("k")
    pid = int(record.get("pid", 0))
    when = (int(record.get("t", origin_ns)) - origin_ns) / 1e9
    if kind in ("out", "err"):
        trace.lines.append(Line(pid, when, kind, str(record.get("line", ""))))
    elif kind in ("proc", "child"):
        _seen_from_inside(trace, pid, int(record.get("ppid", 0)), when)
        if kind == "child":
            info = trace.processes[pid]
            info.target = str(record.get("target"))
            info.name = record.get("name")
            info.mp_parent = record.get("parent")
            info.daemon = bool(record.get("daemon"))
    elif kind == "started":
        child = int(record.get("child") or 0)
        info = trace.processes.setdefault(child, ProcessInfo(child, None, when))
        info.target = info.target or str(record.get("target"))
        info.name = info.name or record.get("name")
        info.mp_parent = info.mp_parent or pid
    elif kind == "exit" and pid in trace.processes:
        trace.processes[pid].ended = when
        trace.processes[pid].exit_code = record.get("code")
    elif kind == "joined":
        joined = trace.processes.get(int(record.get("child") or 0))
        if joined is not None:
            joined.collected_code = record.get("code")
    elif kind in ("put", "get"):
        trace.queue.append(QueueEvent(pid, when, kind, str(record.get("item"))))
    elif kind == "call":
        trace.harness_pid = pid
        trace.calls.append(
            CallResult(
                int(record["index"]),
                str(record["function"]),
                dict(record.get("kwargs") or {}),
                when,
            )
        )
    elif kind in ("return", "raise") and trace.calls:
        result = trace.calls[-1]
        result.ended = when
        result.returned = kind == "return"
        result.value = record.get("value")
        if kind == "raise":
            result.error = {k: record.get(k) for k in ("type", "message", "frames")}
    elif kind == "after_call" and trace.calls:
        trace.calls[-1].live_after = list(record.get("live") or [])
    elif kind == "warning":
        trace.warnings.append(record)
    elif kind == "load_error":
        trace.harness_pid = pid
        trace.load_error = record
    elif kind == "loaded":
        trace.harness_pid = pid
        trace.loaded = True
    elif kind == "done":
        trace.done = True
    elif kind == "capped":
        trace.capped = True


def _seen_from_inside(trace: Trace, pid: int, ppid: int, when: float) -> None:
    """A process's own record: its word on its parent and start time beats its parent's."""
    info = trace.processes.get(pid)
    if info is None:
        info = trace.processes[pid] = ProcessInfo(pid, ppid, when)
    elif not info.seen_from_inside:
        info.ppid, info.started = ppid, when
    info.seen_from_inside = True
