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

from ..authoring import (
    Call,
    CallResult,
    Checks,
    Failure,
    Levers,
    Run,
    Runs,
    Scenario,
    t,
    timeline,
    who,
)
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
        Scenario(
            "small",
            (Call("main", {"value": small, "payload": 0}),),
            levers=Levers(watch_globals=("n",)),
        ),
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
        observed=t("{call} returned {value!r}", call=call.signature(), value=value),
        expected=t("a pair: (the parent's n after the child has finished, the n the child sent)"),
    )


def _by_child(run: Run, event: QueueEvent) -> bool:
    info = run.trace.processes.get(event.pid)
    return info is not None and info.is_child


def _traffic(run: Run) -> tuple[str, ...]:
    lines = [
        t("{process} put {item}", process=who(run, e.pid), item=e.item)
        if e.action == "put"
        else t("{process} get {item}", process=who(run, e.pid), item=e.item)
        for e in run.trace.queue
    ]
    return tuple(lines) or (t("(nothing was put on or taken off a queue)"),)


@checks("child_value", "small")
def child_value(runs: Runs) -> Failure | None:
    call, value, _ = _call(runs["small"])
    pair = _pair(call)
    if isinstance(pair, Failure):
        return pair
    if pair[1] != value:
        return Failure(
            observed=t(
                "{call} returned {pair!r}: the second value is {second!r}, but the child set "
                "its n to {value}",
                call=call.signature(),
                pair=tuple(pair),
                second=pair[1],
                value=value,
            ),
            expected=t(
                "({parent_n}, {value}): the n the child sent, second",
                parent_n=PARENT_N,
                value=value,
            ),
        )
    return None


@checks("sent_by_child", "small")
def sent_by_child(runs: Runs) -> Failure | None:
    run = runs["small"]
    call, value, payload = _call(run)
    wanted = (value, payload)
    sent = [e for e in run.trace.queue if e.action == "put" and _by_child(run, e)]
    if not any(message(e.item) == wanted for e in sent):
        made_up = [e for e in run.trace.queue if e.action == "put"]
        if sent:
            observed = t(
                "during {call}, the child put {items} on the queue",
                call=call.signature(),
                items=", ".join(e.item for e in sent),
            )
        elif made_up:
            observed = t(
                "during {call}, only {process} put anything on a queue",
                call=call.signature(),
                process=who(run, made_up[0].pid),
            )
        else:
            observed = t("during {call}, the child put nothing on a queue", call=call.signature())
        return Failure(
            observed=observed,
            expected=t(
                "the child to put ({value}, {payload!r}), its n and the payload, on q",
                value=value,
                payload="x" * payload,
            ),
            evidence=_traffic(run),
        )
    harness = run.trace.harness_pid
    taken = [e for e in run.trace.queue if e.action == "get" and e.pid == harness]
    if not any(message(e.item) == wanted for e in taken):
        return Failure(
            observed=t(
                "during {call}, the main program never took the child's message off the queue",
                call=call.signature(),
            ),
            expected=t("main() to get the child's n from q"),
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
        fields = {"value": value, "call": call.signature(), "pair": tuple(pair)}
        observed = (
            t(
                "the child set its n to {value}; then {call} returned {pair!r} and printed {shown}",
                **fields,
                shown=", ".join(f"主进程中得值: {text}" for text in printed),
            )
            if printed
            else t(
                "the child set its n to {value}; then {call} returned {pair!r} and printed no "
                "主进程中得值 line",
                **fields,
            )
        )
        return Failure(
            observed=observed,
            expected=t(
                "the parent's own n still {parent_n}: returned first and printed once as "
                "主进程中得值: {parent_n}",
                parent_n=PARENT_N,
            ),
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
            observed=t("{call} started no process running task", call=call.signature()),
            expected=t("one child process running task"),
        )
    for child in children:
        held = (child.globals_after or {}).get("n")
        if held != repr(value):
            return Failure(
                observed=t(
                    "after task(value={value}) had run in {process}, that child's own global n "
                    "was {held}",
                    value=value,
                    process=who(run, child.pid),
                    held=held,
                )
                if held is not None
                else t(
                    "after task(value={value}) had run in {process}, that child's own global n "
                    "was unknown",
                    value=value,
                    process=who(run, child.pid),
                ),
                expected=t(
                    "n == {value} in the child: task assigns the module's global n (its own "
                    "copy), not a new local variable",
                    value=value,
                ),
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
            observed=t("{call} returned {pair!r}", call=call.signature(), pair=tuple(pair)),
            expected=t("the n the child sent, {value}, second", value=value),
        )
    harness = run.trace.harness_pid
    taken = [message(e.item) for e in run.trace.queue if e.action == "get" and e.pid == harness]
    if (value, payload) not in taken:
        return Failure(
            observed=t(
                "during {call}, the main program did not take the child's {payload}-character "
                "message off the queue",
                call=call.signature(),
                payload=payload,
            ),
            expected=t("the child's whole message, n and payload, received by main()"),
            evidence=_traffic(run),
        )
    return None
