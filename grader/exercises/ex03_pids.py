"""ex03: process IDs: what each child reports is compared with what the operating system saw."""

from __future__ import annotations

import signal
from typing import Any

from ..authoring import Call, Checks, Failure, Run, Runs, Scenario, t, who

N = 3
SLEEP = 30.0
_SHAPE = '{"parent": <pid>, "children": [{"pid": <p.pid>, "reported": [<pid>, <ppid>]}, ...]}'

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario("main", (Call("main", {"n": N}),)),
        Scenario("stop", (Call("stop_by_pid", {"seconds": SLEEP}),)),
    ]


def entries(run: Run) -> tuple[list[tuple[Any, Any, Any]], Failure | None]:
    """The returned (p.pid, reported pid, reported ppid) triples, or why they can't be read."""
    value = run.trace.calls[0].value
    wrong = Failure(
        observed=t("main(n={n}) returned {value!r}", n=N, value=value),
        expected=t("a dict shaped {shape} with {n} children", shape=_SHAPE, n=N),
    )
    if not isinstance(value, dict) or not isinstance(value.get("children"), list):
        return [], wrong
    triples = []
    for entry in value["children"]:
        reported = entry.get("reported") if isinstance(entry, dict) else None
        if not isinstance(reported, list) or len(reported) != 2:
            return [], wrong
        triples.append((entry.get("pid"), reported[0], reported[1]))
    if len(triples) != N:
        return [], wrong
    return triples, None


def children_table(run: Run) -> tuple[str, ...]:
    return tuple(
        t(
            "{process}: its parent as the OS saw it was pid {ppid}",
            process=who(run, p.pid),
            ppid=p.ppid,
        )
        for p in run.trace.children()
    )


@checks("reported_pids", "main")
def reported_pids(runs: Runs) -> Failure | None:
    run = runs["main"]
    triples, wrong = entries(run)
    if wrong:
        return wrong
    real = [p.pid for p in run.trace.children() if p.role == "report"]
    for number, (pid, reported, _) in enumerate(triples, 1):
        if pid not in real or reported != pid:
            return Failure(
                observed=t(
                    "child {number}: main() returned pid {pid!r}, and the child reported pid "
                    "{reported!r}; the children that ran report had the PIDs {real}",
                    number=number,
                    pid=pid,
                    reported=reported,
                    real=", ".join(map(str, real)),
                )
                if real
                else t(
                    "child {number}: main() returned pid {pid!r}, and the child reported pid "
                    "{reported!r}; no child ran report",
                    number=number,
                    pid=pid,
                    reported=reported,
                ),
                expected=t(
                    "each child's own PID, reported from inside the child and equal to p.pid"
                ),
                evidence=children_table(run),
            )
    return None


@checks("reported_parents", "main")
def reported_parents(runs: Runs) -> Failure | None:
    run = runs["main"]
    triples, wrong = entries(run)
    if wrong:
        return wrong
    for number, (pid, _, ppid) in enumerate(triples, 1):
        info = run.trace.processes.get(pid) if isinstance(pid, int) else None
        real_parent = info.ppid if info else None
        if real_parent is None or ppid != real_parent:
            return Failure(
                observed=t(
                    "child {number} (pid {pid!r}) reported its parent as {ppid!r}, but the "
                    "operating system says its parent is {real_parent}",
                    number=number,
                    pid=pid,
                    ppid=ppid,
                    real_parent=real_parent,
                ),
                expected=t(
                    "the parent's PID as the child itself sees it (os.getppid() in the child)"
                ),
                evidence=children_table(run),
            )
    return None


@checks("distinct_pids", "main")
def distinct_pids(runs: Runs) -> Failure | None:
    run = runs["main"]
    triples, wrong = entries(run)
    if wrong:
        return wrong
    value = run.trace.calls[0].value
    parent = run.trace.harness_pid
    pids = [pid for pid, _, _ in triples]
    if len(set(pids)) != len(pids) or parent in pids:
        return Failure(
            observed=t(
                "the children's PIDs were {pids} and the parent's {parent}",
                pids=pids,
                parent=parent,
            ),
            expected=t("a different PID for every child, none equal to the parent's"),
        )
    if value.get("parent") != parent:
        return Failure(
            observed=t(
                'main() returned "parent": {value!r}, but the program that called main() had '
                "the PID {parent}",
                value=value.get("parent"),
                parent=parent,
            ),
            expected=t("the PID of the process running main()"),
        )
    return None


@checks("stop_by_pid", "stop")
def stop_by_pid(runs: Runs) -> Failure | None:
    run = runs["stop"]
    call = run.trace.calls[0]
    if call.value != -signal.SIGTERM:
        return Failure(
            observed=t(
                "stop_by_pid(seconds={seconds:g}) returned {value!r}",
                seconds=SLEEP,
                value=call.value,
            ),
            expected=t(
                "the child's exit code after SIGTERM: {code} (-signal.SIGTERM)",
                code=-signal.SIGTERM,
            ),
        )
    children = run.trace.children()
    if not children:
        return Failure(
            observed=t("stop_by_pid() started no child process"),
            expected=t("a child that sleeps, ended by its PID"),
        )
    left = [p for p in children if p.pid in call.live_after or p.pid in run.leftovers]
    if left:
        return Failure(
            observed=t(
                "{process} was still running after stop_by_pid() returned",
                process=who(run, left[0].pid),
            ),
            expected=t("no process left behind"),
        )
    if any(p.ended is not None for p in children):
        return Failure(
            observed=t("the child finished its sleep by itself"),
            expected=t("the child ended from outside, by its PID, long before it would wake"),
        )
    return None
