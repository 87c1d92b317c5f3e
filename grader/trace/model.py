"""What a graded run did, as the grader reads it back from the probe's records: the model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..language import t
from ..probe.lockstep_probe.protocol import is_queue_arg
from .locks import LockEvent, LockInfo, LockState


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
    partial: bool = False
    """It had no newline yet when it was recorded (flushed, or its thread or process ended)."""


@dataclass
class ProcessInfo:
    """One process of the run, as the operating system saw it."""

    pid: int
    ppid: int | None
    """The real parent when the process started (under forkserver: the fork server); None
    when the process was ended before it could say (only its parent's record exists)."""
    started: float
    child: bool = False
    """Started by ``multiprocessing`` for the program (not the fork server, the resource
    tracker or a Manager's server)."""
    role: str | None = None
    """What it is for: the contract function it entered first (``task``), however it was
    started; one that entered none is known by its ``static_role``, or None."""
    static_role: str | None = None
    """Its ``target=``, where that is one of the exercise's functions (unwrapped from a
    ``functools.partial``): what it would have entered had it run."""
    name: str | None = None
    """Its ``Process`` name (``Process-2``, ``Visitor-2``, or the one the program gave)."""
    cls: str | None = None
    """Its class (``Process``, ``ForkProcess``, ``Visitor``)."""
    mp_parent: int | None = None
    """The PID of the program that created the ``Process`` object."""
    daemon: bool = False
    ended: float | None = None
    """When its run() finished (it then exits at once); None if it was ended from outside."""
    exit_code: int | None = None
    """The exit code it ended with by itself."""
    unflushed: dict[str, int] = field(default_factory=dict)
    """By stream (``out``, ``err``), how many of the lines it recorded last may not have been
    written when it ended by itself (all the others were)."""
    collected_code: int | None = None
    """The exit code its parent collected with ``join()``."""
    seen_from_inside: bool = False
    """The process itself left a record (it was not ended before it could)."""
    label: str | None = None
    """The ``name`` argument of its role function (``消费者2``), if that function takes one."""
    args: dict[str, str] = field(default_factory=dict)
    """``repr`` of each argument its role function was called with, by parameter name."""
    globals_after: dict[str, str] | None = None
    """``repr`` of the module globals a run watched (``Levers.watch_globals``), as this
    child's own copy held them when it ended; None when it left no such record."""

    @property
    def is_child(self) -> bool:
        """Started by ``multiprocessing.Process`` for the program."""
        return self.child

    def describe(self) -> str:
        """How a message names it: ``Visitor-2 (pid 4242, running task)``."""
        fields = {"name": self.name or t("a process"), "pid": self.pid}
        if self.role is None:
            return t(
                "{name} (pid {pid}, before it entered any of the exercise's functions)", **fields
            )
        if self.label:
            return t(
                "{name} (pid {pid}, running {role} {label})",
                **fields,
                role=self.role,
                label=self.label,
            )
        return t("{name} (pid {pid}, running {role})", **fields, role=self.role)


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
    if is_queue_arg(value):
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
    started: float
    cls: str = "Thread"
    """Its class (``Thread``, or the program's subclass: ``TaskThread``)."""
    role: str | None = None
    """What it is for: the contract function it entered first, however it was started; one
    that entered none is known by its ``static_role``, or None."""
    static_role: str | None = None
    """Its ``target=``, where that is one of the exercise's functions."""
    daemon: bool = False
    label: str | None = None
    """The ``name`` argument of its role function (``甲``), if that function takes one."""
    args: dict[str, str] = field(default_factory=dict)
    """``repr`` of each argument its role function was called with, by parameter name."""
    locks: dict[str, int] = field(default_factory=dict)
    """The recorded locks its role function was given, by parameter: ``{"noodle_lock": 1}``."""
    probe: bool = False
    """Started by the grader's harness (a helper), not by the submission."""
    ended: float | None = None
    """When its target had returned; None if it was still running when the process ended."""
    final_name: str | None = None

    def describe(self) -> str:
        """How a message names it: ``甲-eat2 (Thread-3)``, ``Thread-2``, ``TaskThread
        (Thread-2, running task)``."""
        name = self.final_name or self.name
        if self.cls != "Thread":
            if self.role:
                return t("{cls} ({name}, running {role})", cls=self.cls, name=name, role=self.role)
            return f"{self.cls} ({name})"
        default = _DEFAULT_THREAD_NAME.match(name)
        short_name = default.group(1) if default else name
        role = self.role or "Thread"
        what = f"{self.label}-{role}" if self.label else role
        if default is None and what in (name, "Thread"):
            return name
        return f"{what} ({short_name})"


_DEFAULT_THREAD_NAME = re.compile(r"^(Thread-\d+)(?: \(.*\))?$")


@dataclass(frozen=True)
class QueueEvent:
    pid: int
    time: float
    action: str
    """``put`` or ``get``."""
    item: str
    """The item's ``repr``, shortened."""


@dataclass(frozen=True)
class DbConnection:
    """A ``sqlite3`` connection a process opened."""

    pid: int
    conn: int
    """Its id in that process (``id()``): statements name their connection by it."""
    time: float
    timeout: float | None
    """Its busy timeout in seconds (how long a statement waits for another's lock)."""
    isolation: str
    """``repr`` of its ``isolation_level``: ``''`` (the default), ``None``, ``'IMMEDIATE'``."""
    autocommit: str | None
    """``repr`` of its ``autocommit`` (Python 3.12+), else None."""
    in_transaction: bool
    """A transaction was open as soon as it connected (``autocommit=False``)."""


@dataclass(frozen=True)
class DbEvent:
    """A statement a connection ran, or its commit, rollback, ``with`` block end or close."""

    pid: int
    thread: int
    conn: int
    time: float
    """When it returned (or raised)."""
    took: float
    what: str
    """The SQL text, or ``commit``, ``rollback``, ``with: commit``, ``close``..."""
    is_statement: bool
    rows: int
    """Rows it changed (``rowcount``; -1 for a ``SELECT`` or an error)."""
    in_transaction_before: bool
    in_transaction_after: bool
    write_lock_after: bool
    """The connection held the database's write lock once it returned."""
    error: str | None

    @property
    def started(self) -> float:
        return self.time - self.took

    @property
    def verb(self) -> str:
        """``SELECT``, ``UPDATE``, ``BEGIN IMMEDIATE``, ``COMMIT``, ``commit``..."""
        if not self.is_statement:
            return self.what
        words = self.what.upper().split(None, 2)
        return " ".join(words[:2]) if words[:1] == ["BEGIN"] else (words[:1] or [""])[0]

    @property
    def locked(self) -> bool:
        """It failed with ``database is locked`` (or busy)."""
        return self.error is not None and ("locked" in self.error or "busy" in self.error)


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
    entries: list[tuple[int, int, float, str, bool, dict[str, Any]]] = field(default_factory=list)
    """(pid, thread ident, time, function, whether it was that thread's first, the record) for
    each first entry of a thread into a contract function."""
    written: list[dict[str, Any]] = field(default_factory=list)
    """How each process's streams reached their file descriptors, and which failed
    (``WRITTEN`` records, read by ``output_check``)."""
    unknown: int = 0
    """Records of a kind the protocol does not define (a submission writing into the
    records file, or a probe out of step with the grader)."""
    exit_threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """pid -> the threads still alive when its interpreter exited, after the non-daemon ones
    were joined (so: daemon threads, stopped wherever they were)."""
    db_connections: list[DbConnection] = field(default_factory=list)
    db_events: list[DbEvent] = field(default_factory=list)
    """Every statement, commit, rollback and close of every process, in the file's order."""

    def db(self, pid: int) -> list[DbEvent]:
        """One process's database events, in the order it made them."""
        return [event for event in self.db_events if event.pid == pid]

    def out(self, pid: int | None = None) -> list[Line]:
        """Lines printed to stdout, by one process or all."""
        return [ln for ln in self.lines if ln.stream == "out" and pid in (None, ln.pid)]

    def children(self, role: str | None = None) -> list[ProcessInfo]:
        """The ``multiprocessing`` children, in the order they started; optionally only those
        whose role is ``role``."""
        return sorted(
            (p for p in self.processes.values() if p.child and role in (None, p.role)),
            key=lambda p: p.started,
        )

    def who(self, pid: int) -> str:
        """How a message names a process: ``the main program (pid 4240)``, ``Visitor-2 (pid
        4242, running task)``."""
        if pid == self.harness_pid:
            return t("the main program (pid {pid})", pid=pid)
        info = self.processes.get(pid)
        if info is None:
            return t("a process (pid {pid})", pid=pid)
        return info.describe()

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
            return t("the main thread")
        info = None
        if ident is not None:
            info = self.thread(pid, ident, at) or self.last_thread(pid, ident)
        if info is not None:
            return t("thread {thread}", thread=info.describe())
        return t("thread {ident:#x}", ident=ident) if ident is not None else t("a thread")

    def student_threads(self, role: str | None = None) -> list[ThreadInfo]:
        """The threads the submission started (not the harness's helpers), optionally only
        those whose role is ``role``."""
        return [t for t in self.threads if not t.probe and role in (None, t.role)]

    def lock_state(self, at: float | None = None) -> LockState:
        """Who held and who waited for which lock at ``at`` (default: at the end)."""
        state = LockState()
        for event in self.lock_events:
            if at is not None and event.time > at:
                break
            info = self.locks.get((event.pid, event.lock))
            state.apply(event, info.kind if info else "Lock")
        return state
