"""Turn a run into words a student can act on: timelines, exceptions, where a hang was stuck."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .checking import Failure, Location
from .language import t
from .runner import Run
from .trace import CallResult, Line, LockEvent, LockState, ProcessInfo

TIMELINE_LIMIT = 12


def who(run: Run, pid: int) -> str:
    """``Visitor-2 (pid 4242, running task)``, ``the main program (pid 4240)``."""
    return run.trace.who(pid)


def printer(run: Run, line: Line) -> str:
    """Who printed a line: the process, or the thread when another than its main thread did."""
    if line.thread is None or run.trace.main_threads.get(line.pid) in (None, line.thread):
        return who(run, line.pid)
    name = run.trace.thread_name(line.pid, line.thread, line.time)
    if line.pid == run.trace.harness_pid:
        return name
    return t("{thread} of {process}", thread=name, process=who(run, line.pid))


def timeline(
    run: Run, lines: Iterable[Line] | None = None, limit: int = TIMELINE_LIMIT
) -> tuple[str, ...]:
    """Who printed what and when, in the order printed; the middle is elided when long."""
    chosen = list(run.trace.out() if lines is None else lines)
    rendered = [f"{line.time:7.3f}s  {printer(run, line):<28} {line.text}" for line in chosen]
    if len(rendered) > limit:
        head = limit // 2
        skipped = len(rendered) - limit
        rendered = [
            *rendered[:head],
            t("         ... {count} more lines ...", count=skipped),
            *rendered[-(limit - head) :],
        ]
    return (*(rendered or [t("(nothing was printed)")]), *child_errors(run))


def child_errors(run: Run) -> list[str]:
    """The children that ended with a traceback (often why nothing else happened), those that
    failed alike on one line."""
    failed: dict[tuple[str, str, int | None], list[int]] = {}
    lost_lock = False
    # Children still alive when a call returned: it did not join them.
    left_running = {pid for call in run.trace.calls for pid in call.live_after}
    unjoined = False
    written: dict[int, list[str]] = {}
    for line in run.trace.lines:
        if line.stream == "err":
            written.setdefault(line.pid, []).append(line.text)
    for child in run.trace.children():
        errors = written.get(child.pid, [])
        if not any(text.startswith("Traceback") for text in errors):
            continue
        code = child.collected_code if child.collected_code is not None else child.exit_code
        failed.setdefault((_kind(child), errors[-1].strip(), code), []).append(child.pid)
        if any("SemLock._rebuild" in text for text in errors):
            lost_lock = True
            unjoined = unjoined or child.pid in left_running
    found = []
    for (role, error, code), pids in failed.items():
        fields = {"role": role, "pids": ", ".join(map(str, sorted(pids))), "error": error}
        if code is None:
            found.append(
                t("{role} (pids {pids}) failed with {error}", **fields)
                if len(pids) > 1
                else t("{role} (pid {pids}) failed with {error}", **fields)
            )
        else:
            found.append(
                t(
                    "{role} (pids {pids}) failed with {error} and exited with code {code}",
                    **fields,
                    code=code,
                )
                if len(pids) > 1
                else t(
                    "{role} (pid {pids}) failed with {error} and exited with code {code}",
                    **fields,
                    code=code,
                )
            )
    if lost_lock and unjoined:
        found.append(
            t(
                "(under spawn and forkserver a child loads its arguments after start(), and the "
                "lock was already gone: main had returned without joining its children)"
            )
        )
    elif lost_lock:
        found.append(
            t(
                "(under spawn and forkserver a child loads its arguments after start(), and by "
                "then the lock it was given no longer existed in the parent: keep one lock in a "
                "variable of main, give it to every child, and join them before main returns)"
            )
        )
    return found


def _kind(child: ProcessInfo) -> str:
    """How a message names children failing alike: ``Visitor running task``."""
    if child.role:
        return t("{cls} running {role}", cls=child.cls or "Process", role=child.role)
    return child.cls or t("a process")


def exception(call: CallResult) -> tuple[str, Location | None]:
    """``ValueError: bad at ex01.py:12 (`raise ValueError("bad")`)`` and that line, for a call
    that raised."""
    error = call.error or {}
    frames = error.get("frames") or []
    fields = {"type": error.get("type"), "message": error.get("message")}
    if not frames:
        return t("{type}: {message}", **fields), None
    last = frames[-1]
    location = Location(str(last["file"]), int(last["line"]), str(last.get("code", "")))
    text = t(
        "{type}: {message} at {file}:{line} (`{code}`)",
        **fields,
        file=Path(location.file).name,
        line=location.line,
        code=location.code,
    )
    return text, location


def raised(run: Run, call: CallResult) -> Failure:
    """A call that raised: which exception, and the student's line it came from."""
    error, location = exception(call)
    return Failure(
        observed=t("{call} raised {error}", call=call.signature(), error=error),
        expected=t("{function}() to return normally", function=call.function),
        evidence=timeline(run),
        location=location,
    )


def crashed(run: Run) -> Failure:
    """The harness ended before finishing its calls (os._exit, a signal, a closed stdout...)."""
    unfinished = next((c for c in run.trace.calls if c.ended is None), None)
    what = unfinished.signature() if unfinished else t("the program")
    code = run.exit_code
    observed = (
        t(
            "the program was killed by signal {signal} while running {call}, before it returned",
            signal=-code,
            call=what,
        )
        if code is not None and code < 0
        else t(
            "the program exited with code {code} while running {call}, before it returned",
            code=code,
            call=what,
        )
    )
    detail = run.output.strip().splitlines()[-3:]
    return Failure(
        observed=observed,
        expected=t("{call} to return normally", call=what),
        evidence=tuple(detail) + timeline(run),
    )


def hang(run: Run) -> Failure:
    """A run that passed its deadline: where every process of the submission was stuck."""
    unfinished = next((c for c in run.trace.calls if c.ended is None), None)
    if unfinished is not None:
        what = unfinished.signature()
    elif not run.trace.loaded:
        what = t("importing the module")
    else:
        what = t("the program")
    stuck: list[str] = []
    location: Location | None = None
    locks = run.trace.lock_state()
    pids = sorted(run.stacks, key=lambda pid: (pid != run.trace.harness_pid, pid))
    for pid in pids:
        for thread in sorted(run.stacks[pid], key=lambda t: _start_order(run, pid, t.number)):
            frame = thread.innermost_in(run.submission)
            if frame is None and thread.exiting_with_queue_data():
                stuck.append(
                    t(
                        "{process} had finished and was waiting to exit: a process sends "
                        "everything it put on a queue before it ends, and nobody was taking it "
                        "off",
                        process=who(run, pid),
                    )
                )
            if frame is None:
                continue
            if location is None:
                location = Location(frame.file, frame.line, frame.code)
            stuck.append(
                t(
                    "{thread} was waiting at {where}: `{code}`{locks}",
                    thread=stuck_thread(
                        run, pid, thread.number, thread.current, len(run.stacks[pid])
                    ),
                    where=t(
                        "{file}:{line} in {function}",
                        file=Path(frame.file).name,
                        line=frame.line,
                        function=frame.function,
                    ),
                    code=frame.code,
                    locks=lock_note(run, locks, pid, thread.number),
                )
            )
    stuck.extend(deadlock_cycles(run, locks))
    calls_done = run.trace.calls and all(c.ended is not None for c in run.trace.calls)
    if calls_done:
        last = run.trace.calls[-1]
        running = [th for th in run.trace.student_threads() if th.ended is None and not th.daemon]
        children = [p for p in run.trace.children() if p.ended is None]
        stuck.insert(0, _could_not_end(last, bool(running), bool(children)))
    stuck.extend(
        t(
            "{process}: its stack could not be read (it did not answer the grader's request "
            "for it, or is stopped)",
            process=who(run, pid),
        )
        if pid in run.trace.processes and run.trace.processes[pid].seen_from_inside
        else t(
            "{process} was still starting (its interpreter had not finished loading)",
            process=who(run, pid),
        )
        for pid in run.unread
    )
    if not stuck:
        stuck.append(t("no process was in the submission's own code (blocked inside the library)"))
    return Failure(
        observed=t(
            "{call} did not finish within {deadline:g} s", call=what, deadline=run.scenario.deadline
        ),
        expected=t("the program to end by itself"),
        evidence=(
            *stuck,
            t("last lines printed:"),
            *timeline(run, run.trace.out()[-6:], limit=6),
        ),
        location=location,
    )


def _could_not_end(last: CallResult, threads_running: bool, children_running: bool) -> str:
    """Every call ended, yet the program did not: what Python was waiting for at exit."""
    fields = {"call": last.signature() if last.script else last.function + "()"}
    if not threads_running and not children_running:
        if last.error is not None:
            return t(
                "{call} raised {error}, and the program had not ended when the time was up",
                error=exception(last)[0],
                **fields,
            )
        return t(
            "{call} had returned, and the program had not ended when the time was up", **fields
        )
    if last.error is not None:
        fields["error"] = exception(last)[0]
        if threads_running:
            return t(
                "{call} raised {error}, but the program could not end: Python waits at exit "
                "for every non-daemon thread that is still running",
                **fields,
            )
        return t(
            "{call} raised {error}, but the program could not end: Python waits at exit for "
            "every child process that is still running",
            **fields,
        )
    if threads_running:
        return t(
            "{call} had returned, but the program could not end: Python waits at exit for "
            "every non-daemon thread that is still running",
            **fields,
        )
    return t(
        "{call} had returned, but the program could not end: Python waits at exit for every "
        "child process that is still running",
        **fields,
    )


def _start_order(run: Run, pid: int, ident: int) -> int:
    """The main thread first, then the threads in the order they started."""
    if run.trace.main_threads.get(pid) == ident:
        return -1
    info = run.trace.thread(pid, ident)
    return run.trace.threads.index(info) if info is not None else len(run.trace.threads)


def stuck_thread(run: Run, pid: int, ident: int, current: bool, count: int) -> str:
    """How a hang report names a thread: ``the main program (pid 4240)``, ``thread 甲-eat2
    (Thread-3)``, ``thread worker (Thread-2) of task (pid 4242)``."""
    unknown = run.trace.thread(pid, ident) is None and run.trace.last_thread(pid, ident) is None
    if run.trace.main_threads.get(pid) == ident or (unknown and (current or count == 1)):
        return who(run, pid)
    name = run.trace.thread_name(pid, ident)
    if pid == run.trace.harness_pid:
        return name
    return t("{thread} of {process}", thread=name, process=who(run, pid))


def lock_name(
    run: Run, pid: int, lock: int, names: tuple[str, ...] = (), *, made: bool = False
) -> str:
    """``noodle_lock``, ``noodle_lock / fork_lock`` (one lock under two names), or where it
    was made: ``the Lock made at line 40``; with ``made``, both: ``noodle_lock (the Lock made
    at line 40)``."""
    if not names:
        names = next(
            (e.names for e in run.trace.lock_events if (e.pid, e.lock) == (pid, lock) and e.names),
            (),
        )
    info = run.trace.locks.get((pid, lock))
    kind = info.kind if info else t("lock")
    where = (
        t("the {kind} made at line {line}", kind=kind, line=info.line)
        if info and info.line
        else t("a {kind}", kind=kind)
    )
    if not names:
        return where
    return (
        t("{names} ({where})", names=" / ".join(names), where=where) if made else " / ".join(names)
    )


def _holders(run: Run, locks: LockState, pid: int, lock: int, asker: int) -> str:
    owners = [t for t in locks.holders.get((pid, lock), {}) if t != asker]
    if asker in locks.holders.get((pid, lock), {}):
        kind = run.trace.locks[(pid, lock)].kind if (pid, lock) in run.trace.locks else t("lock")
        if kind == "Lock":
            return t(
                "which it holds itself (a Lock cannot be taken again by its holder; an RLock can)"
            )
        return t("which it holds itself (a {kind} cannot be taken again by its holder)", kind=kind)
    if not owners:
        return t("which nobody held any more")
    holding: list[str] = []
    gone: list[str] = []
    for owner in owners:
        info = run.trace.last_thread(pid, owner)
        ended = info is not None and info.ended is not None
        (gone if ended else holding).append(run.trace.thread_name(pid, owner))
    if gone and not holding:
        return t(
            "which {threads} had taken and never released: that thread had already ended",
            threads=_and(gone),
        )
    return t("which {threads} held", threads=_and(holding + gone))


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a and b and c``, in the current language."""
    return t(" and ").join(names)


def lock_note(run: Run, locks: LockState, pid: int, ident: int) -> str:
    """``; it held fork_lock and was waiting for noodle_lock, which thread 乙-eat1 (Thread-4)
    held``: what the records say about a stuck thread's locks (empty when they say nothing)."""
    held = [
        lock_name(run, pid, lock, locks.held_as.get((pid, lock, ident), ()))
        for lock in locks.held_by(pid, ident)
    ]
    wait: LockEvent | None = locks.waiting.get((pid, ident))
    if wait is None:
        return t("; it held {locks}", locks=_and(held)) if held else ""
    fields = {
        "lock": lock_name(run, pid, wait.lock, wait.names),
        "holders": _holders(run, locks, pid, wait.lock, ident),
    }
    if held:
        return t(
            "; it held {locks} and was waiting for {lock}, {holders}", locks=_and(held), **fields
        )
    return t("; it was waiting for {lock}, {holders}", **fields)


def deadlock_cycles(run: Run, locks: LockState) -> list[str]:
    """One line per cycle of threads each waiting for a lock the next one holds."""
    waits_for: dict[tuple[int, int], tuple[int, tuple[int, int]]] = {}
    for (pid, ident), event in locks.waiting.items():
        owners = [t for t in locks.holders.get((pid, event.lock), {}) if t != ident]
        if len(owners) == 1:
            waits_for[(pid, ident)] = (event.lock, (pid, owners[0]))
    lines: list[str] = []
    seen: set[tuple[int, int]] = set()
    for start in waits_for:
        path, node = [], start
        while node in waits_for and node not in path:
            path.append(node)
            node = waits_for[node][1]
        if node != start or seen & set(path):
            continue
        seen.update(path)
        steps = [
            t(
                ", which waits for {lock}, held by {holder}"
                if step
                else "{thread} waits for {lock}, held by {holder}",
                thread=run.trace.thread_name(pid, ident),
                lock=lock_name(run, pid, waits_for[(pid, ident)][0]),
                holder=run.trace.thread_name(*waits_for[(pid, ident)][1]),
            )
            for step, (pid, ident) in enumerate(path)
        ]
        lines.append(t("That is a deadlock: {cycle}.", cycle="".join(steps)))
    return lines


def went_too_far(run: Run) -> Failure:
    """A run ended by the grader at one of its limits (``limits.py``): which, and what the
    program was doing then."""
    unfinished = next((c for c in run.trace.calls if c.ended is None), None)
    return Failure(
        observed=t(
            "while running {call}, {problem}", call=unfinished.signature(), problem=run.problem
        )
        if unfinished
        else str(run.problem),
        expected=t(
            "the program to end by itself within the grader's limits, leaving no process behind"
        ),
        evidence=(*run.output.strip().splitlines()[-3:], *timeline(run)),
    )


def unexpected(run: Run, expect_raise: bool) -> Failure | None:
    """The failure every check shares: a limit passed, a hang, a crash, or a call that raised."""
    if run.problem is not None:
        return went_too_far(run)
    if run.timed_out:
        return hang(run)
    for call in run.trace.calls:
        if call.ended is None:
            return crashed(run)
        if call.error is not None and not expect_raise:
            return raised(run, call)
    if not run.trace.done:
        return crashed(run)
    return None
