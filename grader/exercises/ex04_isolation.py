"""ex04: a child's global is its own; data comes out of a child only through a queue.

Each grading draws fresh values for the child to set, so a value written into the program
cannot pass. The probe records who put what on a queue (so a value the parent made up is told
apart from one the child sent) and, when the child ends, its own copy of the global ``n``.
A megabyte-long message shows a ``join()`` made before the queue is read: the child cannot
exit until its message has gone down the pipe, so the run hangs and is reported at that line.
"""

from __future__ import annotations

import random
import re

from ..authoring import Call, CallResult, Checks, Failure, Run, Runs, Scenario, timeline, who
from ..trace import QueueEvent

PARENT_N = 100
LARGE = 2**20
_PRINTED = re.compile(r"^主进程中得值:\s*(.*)$")
# A message as the probe records it: its repr, cut after 120 characters with the full length.
_MESSAGE = re.compile(r"^[(\[](-?\d+), '(x*)(?:'[)\]]|\.\.\.\((\d+) chars\))$")

checks = Checks()


def scenarios() -> list[Scenario]:
    small, large = random.sample(range(PARENT_N + 1, 1_000_000), 2)
    return [
        Scenario("small", (Call("main", {"value": small, "payload": 0}),), watch_globals=("n",)),
        Scenario("large", (Call("main", {"value": large, "payload": LARGE}),)),
    ]


def message(item: str) -> tuple[int, int] | None:
    """(n, payload length) of a recorded ``(n, "x" * payload)``; None for anything else."""
    match = _MESSAGE.match(item)
    if match is None:
        return None
    n = int(match[1])
    if match[3] is None:
        return n, len(match[2])
    return n, int(match[3]) - len(f"({n}, '')")


def _call(run: Run) -> tuple[CallResult, int, int]:
    call = run.trace.calls[0]
    return call, int(call.kwargs["value"]), int(call.kwargs["payload"])


def _pair(call: CallResult) -> Failure | list[object]:
    value = call.value
    if isinstance(value, list) and len(value) == 2:
        return value
    return Failure(
        observed=f"{call.signature()} returned {value!r}",
        expected="a pair: (the parent's n after the child has finished, the n the child sent)",
    )


def _by_child(run: Run, event: QueueEvent) -> bool:
    info = run.trace.processes.get(event.pid)
    return info is not None and info.is_child


def _traffic(run: Run) -> tuple[str, ...]:
    lines = [f"{who(run, e.pid)} {e.action} {e.item}" for e in run.trace.queue]
    return tuple(lines) or ("(nothing was put on or taken off a queue)",)


@checks("child_value", "small")
def child_value(runs: Runs) -> Failure | None:
    call, value, _ = _call(runs["small"])
    pair = _pair(call)
    if isinstance(pair, Failure):
        return pair
    if pair[1] != value:
        return Failure(
            observed=f"{call.signature()} returned {tuple(pair)!r}: the second value is "
            f"{pair[1]!r}, but the child set its n to {value}",
            expected=f"({PARENT_N}, {value}): the n the child sent, second",
        )
    return None


@checks("sent_by_child", "small")
def sent_by_child(runs: Runs) -> Failure | None:
    run = runs["small"]
    call, value, payload = _call(run)
    wanted = (value, payload)
    sent = [e for e in run.trace.queue if e.action == "put" and _by_child(run, e)]
    if not any(message(e.item) == wanted for e in sent):
        if sent:
            observed = f"the child put {', '.join(e.item for e in sent)} on the queue"
        else:
            made_up = [e for e in run.trace.queue if e.action == "put"]
            observed = (
                f"only {who(run, made_up[0].pid)} put anything on a queue"
                if made_up
                else "the child put nothing on a queue"
            )
        return Failure(
            observed=f"during {call.signature()}, {observed}",
            expected=f"the child to put ({value}, {'x' * payload!r}), its n and the payload, on q",
            evidence=_traffic(run),
        )
    harness = run.trace.harness_pid
    taken = [e for e in run.trace.queue if e.action == "get" and e.pid == harness]
    if not any(message(e.item) == wanted for e in taken):
        return Failure(
            observed=f"during {call.signature()}, the main program never took the child's "
            "message off the queue",
            expected="main() to get the child's n from q",
            evidence=_traffic(run),
        )
    return None


@checks("parent_unchanged", "small")
def parent_unchanged(runs: Runs) -> Failure | None:
    run = runs["small"]
    call, value, _ = _call(run)
    pair = _pair(call)
    if isinstance(pair, Failure):
        return pair
    printed = [
        match[1].strip()
        for line in run.trace.out(run.trace.harness_pid)
        if (match := _PRINTED.match(line.text.strip()))
    ]
    if pair[0] != PARENT_N or printed != [str(PARENT_N)]:
        shown = ", ".join(f"主进程中得值: {text}" for text in printed) or "no 主进程中得值 line"
        return Failure(
            observed=f"the child set its n to {value}; then {call.signature()} returned "
            f"{tuple(pair)!r} and printed {shown}",
            expected=f"the parent's own n still {PARENT_N}: returned first and printed once "
            f"as 主进程中得值: {PARENT_N}",
            evidence=timeline(run),
        )
    return None


@checks("child_changed_its_n", "small")
def child_changed_its_n(runs: Runs) -> Failure | None:
    run = runs["small"]
    call, value, _ = _call(run)
    children = run.trace.children("task") or [
        p for p in run.trace.children() if p.globals_after and "n" in p.globals_after
    ]
    if not children:
        return Failure(
            observed=f"{call.signature()} started no process running task",
            expected="one child process running task",
        )
    for child in children:
        held = (child.globals_after or {}).get("n")
        if held != repr(value):
            return Failure(
                observed=f"after task(value={value}) had run in {who(run, child.pid)}, that "
                f"child's own global n was {held if held is not None else 'unknown'}",
                expected=f"n == {value} in the child: task assigns the module's global n "
                "(its own copy), not a new local variable",
            )
    return None


@checks("large_message", "large")
def large_message(runs: Runs) -> Failure | None:
    run = runs["large"]
    call, value, payload = _call(run)
    pair = _pair(call)
    if isinstance(pair, Failure):
        return pair
    if pair[1] != value:
        return Failure(
            observed=f"{call.signature()} returned {tuple(pair)!r}",
            expected=f"the n the child sent, {value}, second",
        )
    harness = run.trace.harness_pid
    taken = [message(e.item) for e in run.trace.queue if e.action == "get" and e.pid == harness]
    if (value, payload) not in taken:
        return Failure(
            observed=f"during {call.signature()}, the main program did not take the child's "
            f"{payload}-character message off the queue",
            expected="the child's whole message, n and payload, received by main()",
            evidence=_traffic(run),
        )
    return None
