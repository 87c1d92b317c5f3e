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
    Levers,
    Rendezvous,
    Run,
    Runs,
    Scenario,
    ThreadInfo,
    t,
)

CALLS = (20, 7)
DELAY = 0.02

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            "main",
            tuple(Call("main", {"threads": count, "delay": DELAY}) for count in CALLS),
            levers=Levers(thread_rendezvous=Rendezvous(("task",), "threads")),
            floor=sum(CALLS) * DELAY,  # the lock lets one thread sleep at a time
        )
    ]


def returned(call: CallResult, count: int) -> Failure | None:
    if call.value != 100 - count:
        return Failure(
            observed=t("{call} returned {value!r}", call=call.signature(), value=call.value),
            expected=t(
                "{count_left}: 100 minus one for each of the {count} threads",
                count_left=100 - count,
                count=count,
            ),
        )
    return None


def workers(run: Run, call: CallResult) -> list[ThreadInfo]:
    """The threads running task that started during this call."""
    end = call.ended if call.ended is not None else float("inf")
    return [th for th in run.trace.student_threads("task") if call.started <= th.started <= end]


@checks("no_lost_update", "main")
def no_lost_update(runs: Runs) -> Failure | None:
    run = runs["main"]
    failure = returned(run.trace.calls[0], CALLS[0])
    if failure is not None and isinstance(run.trace.calls[0].value, int):
        lost = run.trace.calls[0].value - (100 - CALLS[0])
        if lost > 0:
            return Failure(
                observed=t(
                    "{observed}: {lost} of the {calls} updates were lost",
                    observed=failure.observed,
                    lost=lost,
                    calls=CALLS[0],
                ),
                expected=failure.expected,
            )
    return failure


@checks("called_twice", "main")
def called_twice(runs: Runs) -> Failure | None:
    run = runs["main"]
    failure = returned(run.trace.calls[1], CALLS[1])
    if failure is None:
        return None
    first, second = run.trace.calls[0], run.trace.calls[1]
    if (
        isinstance(first.value, int)
        and isinstance(second.value, int)
        and first.value > 100 - CALLS[0]
        and second.value != first.value - CALLS[1]
    ):
        # Updates were lost in both calls, and the second did not go on from the first: that
        # is no_lost_update's to say (this check requires it), not a global left unreset.
        return None
    return Failure(
        observed=t(
            "after {call} returned {value!r}, {observed}",
            call=first.signature(),
            value=first.value,
            observed=failure.observed,
        ),
        expected=t("{expected}, on the second call as on the first", expected=failure.expected),
    )


@checks("threads_together", "main")
def threads_together(runs: Runs) -> Failure | None:
    run = runs["main"]
    for call, count in zip(run.trace.calls, CALLS, strict=True):
        started = workers(run, call)
        if len(started) != count:
            return Failure(
                observed=t(
                    "{call} started {count} threads running task",
                    call=call.signature(),
                    count=len(started),
                ),
                expected=t("{count} threads running task", count=count),
            )
        last_start = max(th.started for th in started)
        first = min(started, key=lambda th: th.ended if th.ended is not None else float("inf"))
        if first.ended is not None and first.ended < last_start:
            return Failure(
                observed=t(
                    "in {call}, thread {thread} had already ended ({ended:.3f}s) when the last "
                    "one started ({last_start:.3f}s): the threads ran one after the other, "
                    "never alive together",
                    call=call.signature(),
                    thread=first.describe(),
                    ended=first.ended,
                    last_start=last_start,
                ),
                expected=t(
                    "all the threads started first, then joined, so the lock is what keeps them "
                    "apart"
                ),
                evidence=tuple(
                    t(
                        "thread {thread}: started {started:.3f}s, ended {ended:.3f}s",
                        thread=th.describe(),
                        started=th.started,
                        ended=th.ended,
                    )
                    if th.ended is not None
                    else t(
                        "thread {thread}: started {started:.3f}s, ended -",
                        thread=th.describe(),
                        started=th.started,
                    )
                    for th in started[:4]
                ),
            )
    return None
