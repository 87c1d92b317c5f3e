"""ex06: one producer, one consumer, a sentinel.

Two runs, each with a lever that makes a mistake show on every run instead of on unlucky ones:

- ``ten``: the producer is slowed (each ``put`` waits) and starts together with the consumer,
  so a sentinel sent before the producer has finished overtakes the food, and a consumer that
  stops when the queue looks empty finds it empty;
- ``three``: the consumer is slowed (it waits after each ``get``), so it is still eating when
  the producer has finished, and a consumer terminated then leaves food uneaten.
"""

from __future__ import annotations

from collections import Counter

from ..authoring import (
    Call,
    Checks,
    Failure,
    Levers,
    ProcessInfo,
    Rendezvous,
    Run,
    Runs,
    Scenario,
    t,
    timeline,
    who,
)

PRODUCER_DELAY = 0.01
CONSUMER_DELAY = 0.1
"""The consumer's pause after each item of ``three``. At 0.05 s a terminated consumer had
sometimes eaten everything (1 row of the 20-run stress), most likely because a producer held up
between its puts under load let it catch up."""
CASES = {"ten": (10, "包子"), "three": (3, "馒头")}
SLOW = {"ten": {"producer": PRODUCER_DELAY}, "three": {"consumer": CONSUMER_DELAY}}

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            name,
            (Call("main", {"n": n, "food": food}),),
            levers=Levers(
                slow=SLOW[name],
                # The consumer starts with the producer, not after it has put everything
                # (spawn is slow to start).
                rendezvous=Rendezvous(("producer", "consumer"), 2),
            ),
            floor=n * sum(SLOW[name].values()),
        )
        for name, (n, food) in CASES.items()
    ]


def consumer_lines(run: Run) -> list[str]:
    pids = {p.pid for p in run.trace.children() if p.role == "consumer"}
    return [line.text for line in run.trace.out() if line.pid in pids]


@checks.each("program_ends", *CASES)
def program_ends(run: Run) -> Failure | None:
    call = run.trace.calls[0]
    if call.live_after:
        return Failure(
            observed=t(
                "{call} returned while {processes} still ran",
                call=call.signature(),
                processes=", ".join(who(run, pid) for pid in call.live_after),
            ),
            expected=t("main() to return after the consumer has finished"),
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
                observed=t(
                    "main(n={n}, food={food!r}): the consumer printed {count} items",
                    n=n,
                    food=food,
                    count=len(got),
                ),
                expected=t(
                    "exactly {first} ... {last}, in that order", first=wanted[0], last=wanted[-1]
                ),
                evidence=timeline(run),
            )
    return None


@checks.each("never_none", *CASES)
def never_none(run: Run) -> Failure | None:
    if "None" in consumer_lines(run):
        return Failure(
            observed=t("the consumer printed None"),
            expected=t("the sentinel to end the loop without being printed"),
            evidence=timeline(run),
        )
    return None


def still_running(run: Run, consumer: ProcessInfo) -> str:
    """What to say of a consumer that never ended and was never collected."""
    if consumer.daemon:
        return t(
            "{process} was still running when the program ended (a daemon is stopped with the "
            "program)",
            process=who(run, consumer.pid),
        )
    return t("{process} was still running when the run was stopped", process=who(run, consumer.pid))


@checks.each("consumer_stops_itself", *CASES)
def consumer_stops_itself(run: Run) -> Failure | None:
    consumers = run.trace.children("consumer")
    if not consumers:
        return Failure(observed=t("no process ran consumer"), expected=t("one consumer process"))
    expected = t("the consumer to leave its loop at the sentinel and exit with code 0")
    for consumer in consumers:
        code = consumer.collected_code if consumer.ended is None else consumer.exit_code
        if consumer.ended is None and code is None:
            return Failure(observed=still_running(run, consumer), expected=expected)
        if consumer.ended is None or code != 0:
            return Failure(
                observed=t(
                    "{process} did not end by itself (its exit code was {code})",
                    process=who(run, consumer.pid),
                    code=code,
                ),
                expected=expected,
            )
        taken = [e.item for e in run.trace.queue if e.action == "get" and e.pid == consumer.pid]
        if not taken or taken[-1] != "None":
            return Failure(
                observed=t(
                    "{process} ended without getting the sentinel: the last thing it took off "
                    "the queue was {item}",
                    process=who(run, consumer.pid),
                    item=taken[-1] if taken else "-",
                ),
                expected=t(
                    "main to send None once the producer has finished, and the consumer to stop "
                    "when it gets it (an empty-looking queue or a timeout does not mean that "
                    "production is over)"
                ),
                evidence=timeline(run),
            )
    return None


@checks.each("nothing_lost", *CASES)
def nothing_lost(run: Run) -> Failure | None:
    put = Counter(e.item for e in run.trace.queue if e.action == "put" and e.item != "None")
    got = Counter(e.item for e in run.trace.queue if e.action == "get" and e.item != "None")
    lost = put - got
    if lost:
        return Failure(
            observed=t(
                "{count} item(s) were put on the queue and never taken: {items}",
                count=sum(lost.values()),
                items=", ".join(sorted(lost))[:200],
            ),
            expected=t("the consumer to take every item before it stops"),
        )
    return None
