"""Turn a run into words a student can act on: timelines, exceptions, where a hang was stuck."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .checking import Failure, Location
from .runner import Run
from .trace import CallResult, Line

TIMELINE_LIMIT = 12


def who(run: Run, pid: int) -> str:
    """``task (pid 4242)``, ``the main program (pid 4240)``."""
    return f"{run.trace.role(pid)} (pid {pid})"


def timeline(
    run: Run, lines: Iterable[Line] | None = None, limit: int = TIMELINE_LIMIT
) -> tuple[str, ...]:
    """Who printed what and when, in the order printed; the middle is elided when long."""
    chosen = list(run.trace.out() if lines is None else lines)
    rendered = [f"{line.time:7.3f}s  {who(run, line.pid):<28} {line.text}" for line in chosen]
    if len(rendered) > limit:
        head = limit // 2
        skipped = len(rendered) - limit
        rendered = [
            *rendered[:head],
            f"         ... {skipped} more lines ...",
            *rendered[-(limit - head) :],
        ]
    return tuple(rendered) or ("(nothing was printed)",)


def raised(run: Run, call: CallResult) -> Failure:
    """A call that raised: which exception, and the student's line it came from."""
    error = call.error or {}
    frames = error.get("frames") or []
    location = None
    where = ""
    if frames:
        last = frames[-1]
        location = Location(str(last["file"]), int(last["line"]), str(last.get("code", "")))
        where = f" at {Path(location.file).name}:{location.line} (`{location.code}`)"
    return Failure(
        observed=f"{call.signature()} raised {error.get('type')}: {error.get('message')}{where}",
        expected=f"{call.function}() to return normally",
        evidence=timeline(run),
        location=location,
    )


def crashed(run: Run) -> Failure:
    """The harness ended before finishing its calls (os._exit, a signal, a closed stdout...)."""
    unfinished = next((c for c in run.trace.calls if c.ended is None), None)
    what = unfinished.signature() if unfinished else "the program"
    code = run.exit_code
    how = (
        f"was killed by signal {-code}"
        if code is not None and code < 0
        else f"exited with code {code}"
    )
    detail = run.output.strip().splitlines()[-3:]
    return Failure(
        observed=f"the program {how} while running {what}, before it returned",
        expected=f"{what} to return normally",
        evidence=tuple(detail) + timeline(run),
    )


def hang(run: Run) -> Failure:
    """A run that passed its deadline: where every process of the submission was stuck."""
    unfinished = next((c for c in run.trace.calls if c.ended is None), None)
    if unfinished is not None:
        what = unfinished.signature()
    elif not run.trace.loaded:
        what = "importing the module"
    else:
        what = "the program"
    stuck: list[str] = []
    location: Location | None = None
    pids = sorted(run.stacks, key=lambda pid: (pid != run.trace.harness_pid, pid))
    for pid in pids:
        for thread in run.stacks[pid]:
            frame = thread.innermost_in(run.submission)
            if frame is None:
                continue
            if location is None:
                location = Location(frame.file, frame.line, frame.code)
            thread_note = (
                "" if thread.current or len(run.stacks[pid]) == 1 else f" (thread {thread.ident})"
            )
            stuck.append(
                f"{who(run, pid)}{thread_note} was waiting at {frame.where()}: `{frame.code}`"
            )
    calls_done = run.trace.calls and all(c.ended is not None for c in run.trace.calls)
    if calls_done:
        last = run.trace.calls[-1]
        ended = "had returned"
        if last.error is not None:
            ended = f"raised {raised(run, last).observed.split(' raised ', 1)[1]}"
        stuck.insert(
            0,
            f"{last.function}() {ended}, but the program could not end: Python waits "
            "at exit for every child process that is still running",
        )
    if not stuck:
        stuck.append("no process was in the submission's own code (blocked inside the library)")
    return Failure(
        observed=f"{what} did not finish within {run.scenario.deadline:g} s",
        expected="the program to end by itself",
        evidence=(*stuck, "last lines printed:", *timeline(run, run.trace.out()[-6:], limit=6)),
        location=location,
    )


def unexpected(run: Run, expect_raise: bool) -> Failure | None:
    """The failure every check shares: a hang, a crash, or a call that raised."""
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
