"""Reading a run's ``records.jsonl`` into a ``Trace``: one reader per record kind of the
protocol (``READERS``), none for a kind it does not define."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..probe.lockstep_probe import protocol as p
from .locks import LockEvent, LockInfo
from .model import (
    CallResult,
    DbConnection,
    DbEvent,
    Line,
    ProcessInfo,
    QueueEvent,
    ThreadInfo,
    Trace,
)

Record = dict[str, Any]
Reader = Callable[[Trace, Record, int, float], None]
"""Applies one record to the trace: (trace, record, pid, seconds since the run began)."""


def parse_trace(path: Path, origin_ns: int) -> Trace:
    """Read a records file; times become seconds since ``origin_ns`` (``time.monotonic_ns``).
    Records of a kind the protocol does not define are counted in ``Trace.unknown``."""
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
        if not isinstance(record, dict):
            continue
        reader = READERS.get(str(record.get("k")))
        if reader is None:
            trace.unknown += 1
            continue
        when = (_int(record.get("t"), origin_ns) - origin_ns) / 1e9
        reader(trace, record, _int(record.get("pid")), when)
    _assign_roles(trace)
    return trace


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _process(trace: Trace, pid: int, when: float) -> ProcessInfo:
    return trace.processes.setdefault(pid, ProcessInfo(pid, None, when))


def _seen_from_inside(trace: Trace, record: Record, pid: int, when: float) -> ProcessInfo:
    """A process's own record: its word on its parent and start time beats its parent's."""
    info = trace.processes.get(pid)
    ppid = _int(record.get("ppid"))
    if info is None:
        info = trace.processes[pid] = ProcessInfo(pid, ppid, when)
    elif not info.seen_from_inside:
        info.ppid, info.started = ppid, when
    info.seen_from_inside = True
    return info


def _proc(trace: Trace, record: Record, pid: int, when: float) -> None:
    tid = record.get("tid")
    if isinstance(tid, int):
        trace.main_threads.setdefault(pid, tid)
    _seen_from_inside(trace, record, pid, when)


def _child(trace: Trace, record: Record, pid: int, when: float) -> None:
    info = _seen_from_inside(trace, record, pid, when)
    info.child = not record.get("library")
    info.name = record.get("name")
    info.cls = record.get("cls")
    info.static_role = info.static_role or record.get("target")
    info.mp_parent = record.get("parent")
    info.daemon = bool(record.get("daemon"))


def _started(trace: Trace, record: Record, pid: int, when: float) -> None:
    info = _process(trace, _int(record.get("child")), when)
    info.child = not record.get("library")
    info.name = info.name or record.get("name")
    info.cls = info.cls or record.get("cls")
    info.static_role = info.static_role or record.get("target")
    info.mp_parent = info.mp_parent or pid
    info.daemon = info.daemon or bool(record.get("daemon"))


def _exit(trace: Trace, record: Record, pid: int, when: float) -> None:
    if pid in trace.processes:
        trace.processes[pid].ended = when
        trace.processes[pid].exit_code = record.get("code")
        unflushed = record.get("unflushed")
        trace.processes[pid].unflushed = {
            str(k): v
            for k, v in (unflushed if isinstance(unflushed, dict) else {}).items()
            if isinstance(v, int)
        }


def _globals(trace: Trace, record: Record, pid: int, when: float) -> None:
    if pid in trace.processes:
        trace.processes[pid].globals_after = _str_dict(record.get("values"))


def _joined(trace: Trace, record: Record, pid: int, when: float) -> None:
    joined = trace.processes.get(_int(record.get("child")))
    if joined is not None:
        joined.collected_code = record.get("code")


def _enter(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.entries.append(
        (
            pid,
            _int(record.get("tid")),
            when,
            str(record.get("fn")),
            bool(record.get("first")),
            record,
        )
    )


def _line(trace: Trace, record: Record, pid: int, when: float) -> None:
    tid = record.get("tid")
    thread = tid if isinstance(tid, int) else None
    stream = str(record.get("k"))
    text = str(record.get("line", ""))
    trace.lines.append(Line(pid, when, stream, text, thread, bool(record.get("partial"))))


def _queue(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.queue.append(QueueEvent(pid, when, str(record.get("k")), str(record.get("item"))))


def _call(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.harness_pid = pid
    trace.calls.append(
        CallResult(
            _int(record.get("index")),
            str(record.get("function")),
            dict(record.get("kwargs") or {}),
            when,
        )
    )


def _call_context(trace: Trace, record: Record, pid: int, when: float) -> None:
    if trace.calls:
        trace.calls[-1].threads_before = dict(record.get("threads") or {})
        trace.calls[-1].script = record.get("script")


def _call_ended(trace: Trace, record: Record, pid: int, when: float) -> None:
    if not trace.calls:
        return
    result = trace.calls[-1]
    result.ended = when
    result.returned = record.get("k") == p.RETURN
    result.value = record.get("value")
    if isinstance(record.get("duration"), (int, float)):
        result.duration = float(record["duration"])
    if isinstance(record.get("cpu"), (int, float)):
        result.cpu = float(record["cpu"])
    if not result.returned:
        result.error = {k: record.get(k) for k in ("type", "message", "frames")}


def _after_call(trace: Trace, record: Record, pid: int, when: float) -> None:
    if trace.calls:
        trace.calls[-1].live_after = list(record.get("live") or [])


def _warning(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.warnings.append(record)


def _load_error(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.harness_pid = pid
    trace.load_error = record


def _loaded(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.harness_pid = pid
    trace.loaded = True


def _done(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.done = True


def _capped(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.capped = True


def _written(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.written.append(record)


def _thread(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.threads.append(
        ThreadInfo(
            pid=pid,
            ident=_int(record.get("ident")) or _int(record.get("tid")),
            name=str(record.get("name")),
            started=when,
            cls=str(record.get("cls") or "Thread"),
            static_role=record.get("target"),
            daemon=bool(record.get("daemon")),
            probe=bool(record.get("probe")),
        )
    )


def _thread_end(trace: Trace, record: Record, pid: int, when: float) -> None:
    info = trace.thread(pid, _int(record.get("ident")) or _int(record.get("tid")))
    if info is not None:
        info.ended = when
        info.final_name = record.get("name")


def _exit_threads(trace: Trace, record: Record, pid: int, when: float) -> None:
    trace.exit_threads[pid] = list(record.get("alive") or [])


def _lock_new(trace: Trace, record: Record, pid: int, when: float) -> None:
    lock = _int(record.get("lock"))
    trace.locks[(pid, lock)] = LockInfo(pid, lock, str(record.get("type")), record.get("line"))


def _lock_event(trace: Trace, record: Record, pid: int, when: float) -> None:
    event = LockEvent(
        pid,
        _int(record.get("lock")),
        _int(record.get("tid")),
        when,
        str(record.get("k")).removeprefix("lock_"),
        record.get("line"),
        tuple(str(name) for name in record.get("as") or ()),
    )
    position = len(trace.lock_events)
    while position and trace.lock_events[position - 1].time > when:
        position -= 1
    trace.lock_events.insert(position, event)


def _db_connect(trace: Trace, record: Record, pid: int, when: float) -> None:
    timeout = record.get("timeout")
    autocommit = record.get("autocommit")
    trace.db_connections.append(
        DbConnection(
            pid,
            _int(record.get("conn")),
            when,
            float(timeout) if isinstance(timeout, (int, float)) else None,
            str(record.get("isolation")),
            None if autocommit is None else str(autocommit),
            bool(record.get("txn")),
        )
    )


def _db_event(trace: Trace, record: Record, pid: int, when: float) -> None:
    statement = record.get("k") == p.DB_STATEMENT
    took = record.get("took")
    error = record.get("error")
    trace.db_events.append(
        DbEvent(
            pid,
            _int(record.get("tid")),
            _int(record.get("conn")),
            when,
            float(took) if isinstance(took, (int, float)) else 0.0,
            str(record.get("sql" if statement else "how")),
            statement,
            _int(record.get("rows"), -1),
            bool(record.get("txn")),
            bool(record.get("txn_after")),
            bool(record.get("write_after")),
            None if error is None else str(error),
        )
    )


READERS: dict[str, Reader] = {
    p.PROC: _proc,
    p.CHILD: _child,
    p.STARTED: _started,
    p.EXIT: _exit,
    p.JOINED: _joined,
    p.GLOBALS: _globals,
    p.ENTER: _enter,
    p.OUT: _line,
    p.ERR: _line,
    p.WRITTEN: _written,
    p.PUT: _queue,
    p.GET: _queue,
    p.LOADED: _loaded,
    p.LOAD_ERROR: _load_error,
    p.CALL: _call,
    p.CALL_CONTEXT: _call_context,
    p.RETURN: _call_ended,
    p.RAISE: _call_ended,
    p.AFTER_CALL: _after_call,
    p.DONE: _done,
    p.WARNING: _warning,
    p.CAPPED: _capped,
    p.THREAD: _thread,
    p.THREAD_END: _thread_end,
    p.EXIT_THREADS: _exit_threads,
    p.LOCK_NEW: _lock_new,
    p.LOCK_WAIT: _lock_event,
    p.LOCK_ACQ: _lock_event,
    p.LOCK_REL: _lock_event,
    p.LOCK_GAVE_UP: _lock_event,
    p.DB_CONNECT: _db_connect,
    p.DB_STATEMENT: _db_event,
    p.DB_END: _db_event,
}
"""One reader per record kind of the protocol (a test holds the two sets equal)."""


def _assign_roles(trace: Trace) -> None:
    """Each thread's role is the first contract function it entered; each process's, the
    first one its main thread entered (else any of its threads), with the arguments it was
    given."""
    firsts = [(pid, tid, t, record) for pid, tid, t, _, first, record in trace.entries if first]
    for pid, tid, when, record in firsts:
        thread = trace.thread(pid, tid, when)
        if thread is not None and thread.role is None:
            thread.role = str(record.get("fn"))
            thread.label = record.get("label")
            thread.args = _str_dict(record.get("args"))
            thread.locks = {str(k): _int(v) for k, v in (record.get("locks") or {}).items()}
    for main_only in (True, False):
        for pid, tid, _, record in firsts:
            process = trace.processes.get(pid)
            if process is None or process.role is not None:
                continue
            if main_only and tid != trace.main_threads.get(pid):
                continue
            process.role = str(record.get("fn"))
            process.label = record.get("label")
            process.args = _str_dict(record.get("args"))
    # One that entered none (ended, or stopped, before it could) is known by its target, where
    # that is one of the exercise's functions.
    for thread in trace.threads:
        thread.role = thread.role or thread.static_role
    for process in trace.processes.values():
        process.role = process.role or process.static_role
