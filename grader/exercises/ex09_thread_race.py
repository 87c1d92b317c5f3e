"""ex09: a hundred threads decrement one shared n; a lock keeps every update.

``task``'s read, sleep, write loses updates on every run without the lock: its threads are
held at a common start (the probe's thread rendezvous) until ``main`` has started them all,
so they all read n before any writes back. ``main`` is called twice with different thread
counts: a program that does not reset n is right only the first time.
"""

from __future__ import annotations

from ..authoring import (
    Call,
    CallResult,
    Checks,
    Failure,
    Rendezvous,
    Run,
    Runs,
    Scenario,
    ThreadInfo,
)

CALLS = (20, 7)
DELAY = 0.02

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            "main",
            tuple(Call("main", {"threads": count, "delay": DELAY}) for count in CALLS),
            thread_rendezvous=Rendezvous(("task",), "threads"),
            floor=sum(CALLS) * DELAY,  # the lock lets one thread sleep at a time
        )
    ]


def returned(call: CallResult, count: int) -> Failure | None:
    if call.value != 100 - count:
        return Failure(
            observed=f"{call.signature()} returned {call.value!r}",
            expected=f"{100 - count}: 100 minus one for each of the {count} threads",
        )
    return None


def workers(run: Run, call: CallResult) -> list[ThreadInfo]:
    """The threads running task that started during this call."""
    end = call.ended if call.ended is not None else float("inf")
    return [t for t in run.trace.student_threads("task") if call.started <= t.started <= end]


@checks("no_lost_update", "main")
def no_lost_update(runs: Runs) -> Failure | None:
    run = runs["main"]
    failure = returned(run.trace.calls[0], CALLS[0])
    if failure is not None and isinstance(run.trace.calls[0].value, int):
        lost = run.trace.calls[0].value - (100 - CALLS[0])
        if lost > 0:
            return Failure(
                observed=f"{failure.observed}: {lost} of the {CALLS[0]} updates were lost",
                expected=failure.expected,
            )
    return failure


@checks("called_twice", "main")
def called_twice(runs: Runs) -> Failure | None:
    run = runs["main"]
    failure = returned(run.trace.calls[1], CALLS[1])
    if failure is None:
        return None
    first = run.trace.calls[0]
    return Failure(
        observed=f"after {first.signature()} returned {first.value!r}, {failure.observed}",
        expected=f"{failure.expected}, on the second call as on the first",
    )


@checks("threads_together", "main")
def threads_together(runs: Runs) -> Failure | None:
    run = runs["main"]
    for call, count in zip(run.trace.calls, CALLS, strict=True):
        started = workers(run, call)
        if len(started) != count:
            return Failure(
                observed=f"{call.signature()} started {len(started)} threads running task",
                expected=f"{count} threads running task",
            )
        last_start = max(t.started for t in started)
        first = min(started, key=lambda t: t.ended if t.ended is not None else float("inf"))
        if first.ended is not None and first.ended < last_start:
            return Failure(
                observed=f"in {call.signature()}, thread {first.describe()} had already ended "
                f"({first.ended:.3f}s) when the last one started ({last_start:.3f}s): the "
                "threads ran one after the other, never alive together",
                expected="all the threads started first, then joined, so the lock is what "
                "keeps them apart",
                evidence=tuple(
                    f"thread {t.describe()}: started {t.started:.3f}s, ended "
                    + (f"{t.ended:.3f}s" if t.ended is not None else "-")
                    for t in started[:4]
                ),
            )
    return None
