"""ex01: three processes, one lock: arrive, stay a while, leave, one at a time.

The children of ``task`` are held at a common start (the probe's rendezvous), so a missing
lock lets them in together on every run, even under spawn where they start 100 ms apart.
"""

from __future__ import annotations

import re

from ..authoring import (
    Call,
    Checks,
    Failure,
    Levers,
    Rendezvous,
    Run,
    Runs,
    Scenario,
    t,
    timeline,
    who,
)

N = 3
FAIL_N = 3
FAILING = 1
DELAY = 0.1
"""Each child's sleep inside the lock: long beside the few milliseconds its siblings need to
print once the common start lets them go, so a missing lock always shows."""
PAUSE = 0.05
ONE_BY_ONE = "each 进程i来了 followed directly by 进程i走了 from the same process"
_LINE = re.compile(r"^进程(\d+)(来了|走了)$")


def scenarios() -> list[Scenario]:
    return [
        # A common start lets a missing lock show; a pause right after each release lets a
        # departure printed outside the lock show.
        Scenario(
            "main",
            (Call("main", {"n": N, "delay": DELAY}),),
            levers=Levers(rendezvous=Rendezvous(("task",), N), pause_after_release={"task": PAUSE}),
            # The pause comes after a release, while the next child already holds the lock.
            floor=N * DELAY + PAUSE,
        ),
        # The failing process is started first and let in first, so a lock it never
        # releases keeps out all the others on every run.
        Scenario(
            "fail",
            (Call("main", {"n": FAIL_N, "delay": DELAY, "fail": FAILING}),),
            levers=Levers(rendezvous=Rendezvous(("task",), FAIL_N, stagger=0.05)),
            floor=FAIL_N * DELAY,
        ),
    ]


checks = Checks()


def events(run: Run) -> list[tuple[int, str, int]]:
    """(pid, 来了 or 走了, i) for each arrival or departure line, in the order printed."""
    found = []
    for line in run.trace.out():
        match = _LINE.match(line.text.strip())
        if match:
            found.append((line.pid, match[2], int(match[1])))
    return found


def overlaps(run: Run) -> Failure | None:
    """Two processes inside at once: an arrival not directly followed by its departure."""
    inside: tuple[int, int] | None = None
    for pid, action, i in events(run):
        if action == "来了":
            if inside is not None:
                return Failure(
                    observed=t(
                        "进程{i}来了 was printed while 进程{inside} was still inside (before "
                        "进程{inside}走了): two processes held the critical section at once",
                        i=i,
                        inside=inside[1],
                    ),
                    expected=t(ONE_BY_ONE),
                    evidence=timeline(run),
                )
            inside = (pid, i)
        else:
            if inside is None or inside != (pid, i):
                return Failure(
                    observed=t(
                        "进程{i}走了 by {process} without its own arrival before it",
                        i=i,
                        process=who(run, pid),
                    ),
                    expected=t(ONE_BY_ONE),
                    evidence=timeline(run),
                )
            inside = None
    if inside is not None:
        return Failure(
            observed=t(
                "进程{i}来了 by {process} was never followed by 进程{i}走了",
                i=inside[1],
                process=who(run, inside[0]),
            ),
            expected=t(ONE_BY_ONE),
            evidence=timeline(run),
        )
    return None


@checks("one_at_a_time", "main")
def one_at_a_time(runs: Runs) -> Failure | None:
    run = runs["main"]
    if not events(run):
        return Failure(
            observed=t("{call} printed no 进程i来了 line", call=run.trace.calls[0].signature()),
            expected=t("{n} processes printing 进程i来了 and 进程i走了", n=N),
            evidence=timeline(run),
        )
    failure = overlaps(run)
    if failure is not None:
        return failure
    # Taking turns is only shown when every process took its turn.
    through = {i for _, action, i in events(run) if action == "走了"}
    if len(through) < N:
        return Failure(
            observed=t(
                "{call}: only {through} of the {n} processes got in and out",
                call=run.trace.calls[0].signature(),
                through=len(through),
                n=N,
            ),
            expected=t("{n} processes printing 进程i来了 and 进程i走了, one at a time", n=N),
            evidence=timeline(run),
        )
    return None


@checks("each_once", "main")
def each_once(runs: Runs) -> Failure | None:
    run = runs["main"]
    seen = events(run)
    expected = sorted((action, i) for i in range(1, N + 1) for action in ("来了", "走了"))
    if sorted((action, i) for _, action, i in seen) != expected:
        return Failure(
            observed=t("main(n={n}) printed these arrivals and departures", n=N),
            expected=t("进程i来了 and 进程i走了 exactly once for each i in 1..{n}", n=N),
            evidence=timeline(run),
        )
    children = {p.pid for p in run.trace.children()}
    printers: dict[int, set[int]] = {}
    for pid, _, i in seen:
        printers.setdefault(i, set()).add(pid)
    for i, pids in sorted(printers.items()):
        if len(pids) != 1 or not pids <= children:
            return Failure(
                observed=t(
                    "the lines of 进程{i} came from {processes}",
                    i=i,
                    processes=", ".join(who(run, p) for p in pids),
                ),
                expected=t(
                    "both lines of 进程i printed by the same child process, one child per i"
                ),
                evidence=timeline(run),
            )
    if len({next(iter(pids)) for pids in printers.values()}) != N:
        return Failure(
            observed=t("one child process printed the lines of several i"),
            expected=t("{n} different child processes, one per i", n=N),
            evidence=timeline(run),
        )
    return None


@checks("started_together", "main")
def started_together(runs: Runs) -> Failure | None:
    run = runs["main"]
    children = run.trace.children("task")
    if len(children) < N:
        return Failure(
            observed=t(
                "main(n={n}) started {count} processes running task", n=N, count=len(children)
            ),
            expected=t("{n} processes running task", n=N),
        )
    last_start = max(p.started for p in children)
    first_end = min(p.ended if p.ended is not None else float("inf") for p in children)
    if last_start >= first_end:
        spans = tuple(
            t(
                "{process}: started {started:.3f}s, ended {ended:.3f}s",
                process=who(run, p.pid),
                started=p.started,
                ended=p.ended,
            )
            if p.ended is not None
            else t(
                "{process}: started {started:.3f}s, ended -",
                process=who(run, p.pid),
                started=p.started,
            )
            for p in children
        )
        return Failure(
            observed=t(
                "a child ended before the last one was started: the processes ran one after "
                "the other, never alive together"
            ),
            expected=t(
                "all the children started first, then joined, so the lock is what keeps them apart"
            ),
            evidence=spans,
        )
    return None


@checks("main_waits", "main")
def main_waits(runs: Runs) -> Failure | None:
    run = runs["main"]
    call = run.trace.calls[0]
    running = [
        p
        for p in run.trace.children()
        if p.pid in call.live_after
        or (p.ended is not None and call.ended is not None and p.ended > call.ended)
    ]
    if running:
        return Failure(
            observed=t(
                "main() returned while {processes} still ran",
                processes=", ".join(who(run, p.pid) for p in running),
            ),
            expected=t("main() to return only after every child has exited"),
        )
    return None


@checks("released_on_error", "fail")
def released_on_error(runs: Runs) -> Failure | None:
    run = runs["fail"]
    seen = [(action, i) for _, action, i in events(run)]
    missing = [
        f"进程{i}{action}"
        for i in range(1, FAIL_N + 1)
        for action in ("来了", "走了")
        if (action, i) not in seen and not (i == FAILING and action == "走了")
    ]
    if missing:
        return Failure(
            observed=t(
                "with process {failing} raising RuntimeError inside, {missing} never appeared",
                failing=FAILING,
                missing=", ".join(missing),
            ),
            expected=t("every other process still to get in and out"),
            evidence=timeline(run),
        )
    return overlaps_ignoring_failed(run)


def overlaps_ignoring_failed(run: Run) -> Failure | None:
    """One at a time in the run where one process raises: its arrival ends with the error."""
    inside: int | None = None
    failed_pid = next((pid for pid, action, i in events(run) if i == FAILING), None)
    for pid, action, i in events(run):
        if action == "来了":
            if inside is not None and inside != failed_pid:
                return Failure(
                    observed=t(
                        "进程{i}来了 was printed while another process was still inside", i=i
                    ),
                    expected=t("one process at a time, even when one of them raises"),
                    evidence=timeline(run),
                )
            inside = pid
        else:
            inside = None
    return None
