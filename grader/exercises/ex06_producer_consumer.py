"""ex06: one producer, one consumer, a sentinel.

The producer is slowed on purpose (each ``put`` waits), so a sentinel sent before the producer
has finished overtakes the food on every run instead of on unlucky ones.
"""

from __future__ import annotations

from collections import Counter

from ..checking import Checks, Failure, Runs
from ..evidence import timeline, who
from ..runner import Call, Run, Scenario

CASES = {"ten": (10, "包子"), "three": (3, "馒头")}
PRODUCER_DELAY = 0.01

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            name,
            (Call("main", {"n": n, "food": food}),),
            slow={"producer": PRODUCER_DELAY},
            # The consumer starts with the producer, not after it has put everything (spawn
            # is slow to start): a consumer that stops when the queue looks empty shows.
            rendezvous={"target": ["producer", "consumer"], "count": 2},
            floor=n * PRODUCER_DELAY,
        )
        for name, (n, food) in CASES.items()
    ]


def consumer_lines(run: Run) -> list[str]:
    pids = {p.pid for p in run.trace.children() if p.target == "consumer"}
    return [line.text for line in run.trace.out() if line.pid in pids]


@checks("program_ends", *CASES)
def program_ends(runs: Runs) -> Failure | None:
    for run in runs.values():
        call = run.trace.calls[0]
        if call.live_after:
            return Failure(
                observed=f"{call.signature()} returned while "
                f"{', '.join(who(run, pid) for pid in call.live_after)} still ran",
                expected="main() to return after the consumer has finished",
            )
    return None


@checks("items_in_order", *CASES)
def items_in_order(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        n, food = CASES[name]
        wanted = [f"生产的第{i}个{food}" for i in range(n)]
        got = [line for line in consumer_lines(run) if line != "None"]
        if got != wanted:
            return Failure(
                observed=f"main(n={n}, food={food!r}): the consumer printed {len(got)} items",
                expected=f"exactly {wanted[0]} ... {wanted[-1]}, in that order",
                evidence=timeline(run),
            )
    return None


@checks("never_none", *CASES)
def never_none(runs: Runs) -> Failure | None:
    for run in runs.values():
        if "None" in consumer_lines(run):
            return Failure(
                observed="the consumer printed None",
                expected="the sentinel to end the loop without being printed",
                evidence=timeline(run),
            )
    return None


@checks("consumer_stops_itself", *CASES)
def consumer_stops_itself(runs: Runs) -> Failure | None:
    for run in runs.values():
        consumers = [p for p in run.trace.children() if p.target == "consumer"]
        if not consumers:
            return Failure(observed="no process ran consumer", expected="one consumer process")
        for consumer in consumers:
            if consumer.ended is None or consumer.exit_code != 0:
                code = consumer.collected_code if consumer.ended is None else consumer.exit_code
                return Failure(
                    observed=f"{who(run, consumer.pid)} did not end by itself "
                    f"(its exit code was {code})",
                    expected="the consumer to leave its loop at the sentinel and exit with code 0",
                )
    return None


@checks("nothing_lost", *CASES)
def nothing_lost(runs: Runs) -> Failure | None:
    for run in runs.values():
        put = Counter(e.item for e in run.trace.queue if e.action == "put" and e.item != "None")
        got = Counter(e.item for e in run.trace.queue if e.action == "get" and e.item != "None")
        lost = put - got
        if lost:
            return Failure(
                observed=f"{sum(lost.values())} item(s) were put on the queue and never taken: "
                f"{', '.join(sorted(lost))[:200]}",
                expected="the consumer to take every item before it stops",
            )
    return None
