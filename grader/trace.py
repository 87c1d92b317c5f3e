"""What a graded run did, read back from the records the probe wrote."""

from __future__ import annotations

import json
import re
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
    thread: int | None = None
    """The ident of the thread that printed it."""


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
    label: str | None = None
    """The ``name`` argument its target was started with (``消费者2``), if the target takes one."""
    globals_after: dict[str, str] | None = None
    """``repr`` of the module globals a run watched (``Scenario.watch_globals``), as this
    child's own copy held them when it ended; None when it left no such record."""

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
    duration: float | None = None
    """Seconds the call took, measured around it in the harness (None if it never ended)."""
    cpu: float | None = None
    """CPU seconds the calling process (all its threads) used during the call."""
    threads_before: dict[str, Any] = field(default_factory=dict)
    """The harness's threads as the call began: ``{"names": sorted names, "main": name}``."""
    script: str | None = None
    """The file, when this call ran it as a program (``Call("__main__")``)."""

    def signature(self) -> str:
        if self.script:
            return f"python {self.script}"
        args = ", ".join(f"{key}={_shown(value)}" for key, value in self.kwargs.items())
        return f"{self.function}({args})"


def _shown(value: Any) -> str:
    """An argument as a message shows it: a queue the harness makes (see ``harness.made_object``)
    by its ``shown`` text or as ``Queue(maxsize)``, anything else by its ``repr``."""
    if isinstance(value, dict) and value.get("lockstep") == "queue":
        return str(value.get("shown") or f"Queue({value.get('maxsize', '')})")
    return repr(value)


@dataclass
class ThreadInfo:
    """One ``threading.Thread`` of a process, from the thread's own records."""

    pid: int
    ident: int
    """``threading.get_ident()``: also the id a faulthandler dump shows (``Thread 0x...``)."""
    name: str
    """Its name when it started (``Thread-3 (eat2)``, ``Thread-2``)."""
    target: str
    """Its target function's name (its class's name for a subclass without a target)."""
    started: float
    daemon: bool = False
    label: str | None = None
    """The ``name`` argument its target was given (``甲``), if the target takes one."""
    args: list[str] = field(default_factory=list)
    """``repr`` of each positional argument, shortened."""
    kwargs: dict[str, str] = field(default_factory=dict)
    locks: dict[str, int] = field(default_factory=dict)
    """The recorded locks its target was given, by parameter name: ``{"noodle_lock": 1}``."""
    probe: bool = False
    """Started by the grader's harness (a helper), not by the submission."""
    ended: float | None = None
    """When its target had returned; None if it was still running when the process ended."""
    final_name: str | None = None

    def describe(self) -> str:
        """How a message names it: ``甲-eat2 (Thread-3)``, ``Thread-2``, ``task (worker)``."""
        name = self.final_name or self.name
        default = _DEFAULT_THREAD_NAME.match(name)
        short_name = default.group(1) if default else name
        what = f"{self.label}-{self.target}" if self.label else self.target
        if default is None and what in (name, "Thread"):
            return name
        return f"{what} ({short_name})"


_DEFAULT_THREAD_NAME = re.compile(r"^(Thread-\d+)(?: \(.*\))?$")


@dataclass(frozen=True)
class LockInfo:
    """A ``threading`` lock the submission's own code made."""

    pid: int
    id: int
    kind: str
    """``Lock`` or ``RLock``."""
    line: int | None = None
    """The line of the submission that made it."""


@dataclass(frozen=True)
class LockEvent:
    pid: int
    lock: int
    thread: int
    time: float
    action: str
    """``wait`` (it was taken: the thread blocks), ``acq``, ``rel`` or ``gave_up`` (a timeout)."""
    line: int | None = None
    """The submission's line that took it (for ``wait`` and ``acq``)."""
    names: tuple[str, ...] = ()
    """The names it went by at that line (``noodle_lock``)."""


@dataclass
class LockState:
    """Who held and who waited for which lock at one moment."""

    holders: dict[tuple[int, int], dict[int, int]] = field(default_factory=dict)
    """(pid, lock) -> {thread ident: how many times it holds it (an RLock can be held twice)}."""
    held_as: dict[tuple[int, int, int], tuple[str, ...]] = field(default_factory=dict)
    """(pid, lock, thread) -> the names the lock went by where that thread took it."""
    waiting: dict[tuple[int, int], LockEvent] = field(default_factory=dict)
    """(pid, thread) -> the ``wait`` event of the lock it is blocked on."""

    def held_by(self, pid: int, thread: int) -> list[int]:
        """The locks a thread holds, in the order of their ids."""
        return sorted(
            lock for (p, lock), owners in self.holders.items() if p == pid and thread in owners
        )

    def apply(self, event: LockEvent, kind: str) -> None:
        key = (event.pid, event.lock)
        owners = self.holders.setdefault(key, {})
        if event.action == "wait":
            self.waiting[(event.pid, event.thread)] = event
            return
        self.waiting.pop((event.pid, event.thread), None)
        if event.action == "acq":
            owners[event.thread] = owners.get(event.thread, 0) + 1
            self.held_as.setdefault((event.pid, event.lock, event.thread), event.names)
        elif event.action == "rel":
            holder = event.thread
            if holder not in owners and kind == "Lock" and owners:
                holder = next(iter(owners))  # a plain Lock may be released by any thread
            if holder in owners:
                owners[holder] -= 1
                if owners[holder] <= 0:
                    del owners[holder]
                    self.held_as.pop((event.pid, event.lock, holder), None)


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
    threads: list[ThreadInfo] = field(default_factory=list)
    """Every thread started in any process of the run, in the order they started."""
    main_threads: dict[int, int] = field(default_factory=dict)
    """pid -> the ident of that process's main thread."""
    locks: dict[tuple[int, int], LockInfo] = field(default_factory=dict)
    lock_events: list[LockEvent] = field(default_factory=list)
    """In the order of their times (the file's order may differ by a few microseconds)."""
    exit_threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """pid -> the threads still alive when its interpreter exited, after the non-daemon ones
    were joined (so: daemon threads, stopped wherever they were)."""

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
            return f"{info.target} {info.label}" if info.label else info.target
        return "a process"

    def thread(self, pid: int, ident: int, at: float | None = None) -> ThreadInfo | None:
        """The thread of ``pid`` with this ident, alive at ``at`` (default: at the end).
        Idents are reused once a thread has ended, so the time matters."""
        found = None
        for info in self.threads:
            if info.pid != pid or info.ident != ident:
                continue
            if at is None:
                alive = info.ended is None
            else:
                alive = info.started <= at and (info.ended is None or at <= info.ended)
            if alive:
                found = info
        return found

    def last_thread(self, pid: int, ident: int) -> ThreadInfo | None:
        """The last thread of ``pid`` that had this ident, ended or not."""
        found = [t for t in self.threads if t.pid == pid and t.ident == ident]
        return found[-1] if found else None

    def thread_name(self, pid: int, ident: int | None, at: float | None = None) -> str:
        """``the main thread``, ``thread 甲-eat2 (Thread-3)``, or the bare ident."""
        if ident is not None and self.main_threads.get(pid) == ident:
            return "the main thread"
        info = None
        if ident is not None:
            info = self.thread(pid, ident, at) or self.last_thread(pid, ident)
        if info is not None:
            return f"thread {info.describe()}"
        return f"thread {ident:#x}" if ident is not None else "a thread"

    def student_threads(self, target: str | None = None) -> list[ThreadInfo]:
        """The threads the submission started (not the harness's helpers), optionally only
        those running ``target``."""
        return [t for t in self.threads if not t.probe and target in (None, t.target)]

    def lock_state(self, at: float | None = None) -> LockState:
        """Who held and who waited for which lock at ``at`` (default: at the end)."""
        state = LockState()
        for event in self.lock_events:
            if at is not None and event.time > at:
                break
            info = self.locks.get((event.pid, event.lock))
            state.apply(event, info.kind if info else "Lock")
        return state


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
    tid = record.get("tid")
    if kind == "proc" and isinstance(tid, int):
        trace.main_threads.setdefault(pid, tid)
    if kind in _THREAD_RECORDS:
        _apply_thread_record(trace, record, pid, when)
    elif kind in ("out", "err"):
        thread = tid if isinstance(tid, int) else None
        trace.lines.append(Line(pid, when, kind, str(record.get("line", "")), thread))
    elif kind in ("proc", "child"):
        _seen_from_inside(trace, pid, int(record.get("ppid", 0)), when)
        if kind == "child":
            info = trace.processes[pid]
            info.target = str(record.get("target"))
            info.name = record.get("name")
            info.mp_parent = record.get("parent")
            info.daemon = bool(record.get("daemon"))
            info.label = record.get("label")
    elif kind == "started":
        child = int(record.get("child") or 0)
        info = trace.processes.setdefault(child, ProcessInfo(child, None, when))
        info.target = info.target or str(record.get("target"))
        info.name = info.name or record.get("name")
        info.mp_parent = info.mp_parent or pid
    elif kind == "exit" and pid in trace.processes:
        trace.processes[pid].ended = when
        trace.processes[pid].exit_code = record.get("code")
    elif kind == "globals" and pid in trace.processes:
        values = record.get("values")
        trace.processes[pid].globals_after = (
            {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}
        )
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
        if isinstance(record.get("duration"), (int, float)):
            result.duration = float(record["duration"])
        if isinstance(record.get("cpu"), (int, float)):
            result.cpu = float(record["cpu"])
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


_THREAD_RECORDS = {
    "thread",
    "thread_end",
    "exit_threads",
    "call_context",
    "lock_new",
    "lock_wait",
    "lock_acq",
    "lock_rel",
    "lock_gave_up",
}


def _apply_thread_record(trace: Trace, record: dict[str, Any], pid: int, when: float) -> None:
    kind = str(record.get("k"))
    tid = int(record.get("tid") or 0)
    if kind == "thread":
        trace.threads.append(
            ThreadInfo(
                pid=pid,
                ident=int(record.get("ident") or tid),
                name=str(record.get("name")),
                target=str(record.get("target")),
                started=when,
                daemon=bool(record.get("daemon")),
                label=record.get("label"),
                args=[str(a) for a in record.get("args") or []],
                kwargs={str(k): str(v) for k, v in (record.get("kwargs") or {}).items()},
                locks={str(k): int(v) for k, v in (record.get("locks") or {}).items()},
                probe=bool(record.get("probe")),
            )
        )
    elif kind == "thread_end":
        info = trace.thread(pid, int(record.get("ident") or tid))
        if info is not None:
            info.ended = when
            info.final_name = record.get("name")
    elif kind == "exit_threads":
        trace.exit_threads[pid] = list(record.get("alive") or [])
    elif kind == "call_context" and trace.calls:
        trace.calls[-1].threads_before = dict(record.get("threads") or {})
        trace.calls[-1].script = record.get("script")
    elif kind == "lock_new":
        lock = int(record.get("lock") or 0)
        trace.locks[(pid, lock)] = LockInfo(pid, lock, str(record.get("type")), record.get("line"))
    else:
        event = LockEvent(
            pid,
            int(record.get("lock") or 0),
            tid,
            when,
            kind.removeprefix("lock_"),
            record.get("line"),
            tuple(str(name) for name in record.get("as") or ()),
        )
        position = len(trace.lock_events)
        while position and trace.lock_events[position - 1].time > when:
            position -= 1
        trace.lock_events.insert(position, event)


def _seen_from_inside(trace: Trace, pid: int, ppid: int, when: float) -> None:
    """A process's own record: its word on its parent and start time beats its parent's."""
    info = trace.processes.get(pid)
    if info is None:
        info = trace.processes[pid] = ProcessInfo(pid, ppid, when)
    elif not info.seen_from_inside:
        info.ppid, info.started = ppid, when
    info.seen_from_inside = True
