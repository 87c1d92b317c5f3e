"""ex07: several producers, several consumers, one queue: everything eaten once, everyone stops.

Graded with more consumers than producers and with more producers than consumers, because a
sentinel per producer is right by accident when there are as many of each: with more consumers
some of them wait for ever, with more producers sentinels are left in the queue. The producers
are slowed (each ``put`` waits), so a sentinel sent before they have finished reaches the
consumers before the food on every run. In the second run the consumer is slowed too (each
``get`` is followed by a pause), so a ``main`` that does not wait for the eating (daemon
consumers and no ``q.join()``) returns before it is done on every run.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..authoring import (
    Call,
    Checks,
    Failure,
    Levers,
    ProcessInfo,
    Run,
    Runs,
    Scenario,
    t,
    timeline,
    who,
)
from .ex06_producer_consumer import still_running


@dataclass(frozen=True)
class Case:
    foods: tuple[str, ...]
    consumers: int
    n: int
    slow: dict[str, float] = field(default_factory=dict)

    def call(self) -> Call:
        return Call("main", {"foods": list(self.foods), "consumers": self.consumers, "n": self.n})

    def items(self) -> Counter[str]:
        return Counter(f"生产的第{i}个{food}" for food in self.foods for i in range(self.n))

    def floor(self) -> float:
        """The slowed producers work at once; the consumers share the eating."""
        making = self.n * self.slow.get("producer", 0.0)
        eating = len(self.foods) * self.n * self.slow.get("consumer", 0.0) / self.consumers
        return max(making, eating)

    def names(self) -> list[str]:
        return [f"消费者{j}" for j in range(1, self.consumers + 1)]


CASES = {
    "more_consumers": Case(("包子",), 2, 5, {"producer": 0.05}),
    "more_producers": Case(("包子", "骨头"), 1, 4, {"producer": 0.05, "consumer": 0.05}),
}
"""Two runs of three processes each (spawn start-up is what a run costs), never as many
producers as consumers. The slowed producers need 0.2 s or more for their food, far longer
than main takes to start everyone and put a sentinel; the slowed consumer of the second run
needs 0.4 s to eat its 8 items and has eaten 3 of them when the producers have finished: a main
that does not wait for the eating returns with a quarter of a second of it still to come."""
EACH_ONCE = "every item produced to be eaten, each exactly once"
_EATEN = re.compile(r"^(?P<name>.*?)吃了(?P<item>.*)$")

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(name, (case.call(),), levers=Levers(slow=case.slow), floor=case.floor())
        for name, case in CASES.items()
    ]


def consumers_of(run: Run) -> list[ProcessInfo]:
    return run.trace.children("consumer")


def meals(run: Run) -> list[tuple[int, float, str, str]]:
    """(pid, time, name, item) of every ``{name}吃了{item}`` line, in the order printed."""
    found = []
    for line in run.trace.out():
        match = _EATEN.match(line.text.strip())
        if match:
            found.append((line.pid, line.time, match["name"], match["item"]))
    return found


def listed(items: Counter[str], limit: int = 4) -> str:
    names = sorted(items.elements())
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        return t("{items} and {more} more", items=shown, more=len(names) - limit)
    return shown


def uneaten_at_return(run: Run, case: Case) -> Counter[str]:
    """The items not yet eaten when main returned (none if it never did)."""
    ended = run.trace.calls[0].ended
    if ended is None:
        return Counter()
    return case.items() - Counter(item for _, time, _, item in meals(run) if time <= ended)


def main_call(run: Run) -> str:
    return run.trace.calls[0].signature()


# Its points wait on each_item_once (a main that does nothing ends too).
checks.program_ends("program_ends", *CASES)


@checks("each_item_once", *CASES)
def each_item_once(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        case = CASES[name]
        consumer_pids = {p.pid for p in consumers_of(run)}
        eaten = meals(run)
        for pid, _, _, item in eaten:
            if pid not in consumer_pids:
                return Failure(
                    observed=t(
                        "{call}: {process} printed that it ate {item}",
                        call=main_call(run),
                        process=who(run, pid),
                        item=item,
                    ),
                    expected=t("only the consumer processes to eat"),
                    evidence=timeline(run),
                )
        got = Counter(item for _, _, _, item in eaten)
        wanted = case.items()
        missing, extra = wanted - got, got - wanted
        if missing:
            call = run.trace.calls[0]
            cut_short = any(p.daemon and p.pid in call.live_after for p in consumers_of(run))
            fields = {
                "call": main_call(run),
                "missing": sum(missing.values()),
                "wanted": sum(wanted.values()),
                "items": listed(missing),
            }
            return Failure(
                observed=t(
                    "{call}: {missing} of the {wanted} items were never eaten ({items}); main() "
                    "returned while the daemon consumers were still eating, and they ended "
                    "with the program",
                    **fields,
                )
                if cut_short
                else t(
                    "{call}: {missing} of the {wanted} items were never eaten ({items})", **fields
                ),
                expected=t(EACH_ONCE),
                evidence=timeline(run),
            )
        if extra:
            twice = Counter({item: count for item, count in extra.items() if item in wanted})
            return Failure(
                observed=t(
                    "{call}: {items} eaten more than once", call=main_call(run), items=listed(twice)
                )
                if twice
                else t(
                    "{call}: something that was never produced eaten: {items}",
                    call=main_call(run),
                    items=listed(extra),
                ),
                expected=t(EACH_ONCE),
                evidence=timeline(run),
            )
        failure = names_used(run, case, eaten)
        if failure is not None:
            return failure
    return None


def names_used(run: Run, case: Case, eaten: list[tuple[int, float, str, str]]) -> Failure | None:
    """Each consumer prints the name it was given; the names are 消费者1 to 消费者k."""
    allowed = set(case.names())
    for pid, _, name, _ in eaten:
        info = run.trace.processes.get(pid)
        if name not in allowed or (info is not None and info.label and info.label != name):
            fields = {"call": main_call(run), "process": who(run, pid), "name": name}
            return Failure(
                observed=t(
                    "{call}: {process} printed {name}吃了... (it was given the name {given})",
                    **fields,
                    given=info.label,
                )
                if info and info.label
                else t("{call}: {process} printed {name}吃了...", **fields),
                expected=t(
                    "consumers named {names}, each printing its own name: {{name}}吃了{{item}}",
                    names=", ".join(case.names()),
                ),
                evidence=timeline(run),
            )
    return None


@checks("main_waits", *CASES)
def main_waits(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        call = run.trace.calls[0]
        if call.ended is None:
            continue
        left = uneaten_at_return(run, CASES[name])
        if left:
            return Failure(
                observed=t(
                    "{call} returned when {count} item(s) were still not eaten ({items})",
                    call=main_call(run),
                    count=sum(left.values()),
                    items=listed(left),
                ),
                expected=t("main() to return only when everything has been eaten"),
                evidence=timeline(run),
            )
        running = [
            p
            for p in run.trace.children()
            if p.role in ("producer", "consumer") and p.pid in call.live_after and not p.daemon
        ]
        if running:
            return Failure(
                observed=t(
                    "{call} returned while {processes} still ran",
                    call=main_call(run),
                    processes=", ".join(who(run, p.pid) for p in running),
                ),
                expected=t(
                    "main() to return after the producers and consumers have stopped (a daemon "
                    "consumer may be left waiting once everything is done)"
                ),
            )
    return None


@checks("consumers_stop", *CASES)
def consumers_stop(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        case = CASES[name]
        consumers = consumers_of(run)
        if len(consumers) != case.consumers:
            return Failure(
                observed=t(
                    "{call} started {count} process(es) running consumer",
                    call=main_call(run),
                    count=len(consumers),
                ),
                expected=t(
                    "{consumers} consumer processes, one per consumer", consumers=case.consumers
                ),
            )
        for consumer in consumers:
            if consumer.daemon:
                # Left waiting, and ended with the program: right once everything is done.
                left = uneaten_at_return(run, case)
                if left:
                    return Failure(
                        observed=t(
                            "{call}: {process}, a daemon, was stopped with the program while "
                            "{count} item(s) were still not eaten ({items})",
                            call=main_call(run),
                            process=who(run, consumer.pid),
                            count=sum(left.values()),
                            items=listed(left),
                        ),
                        expected=t(
                            "a daemon consumer to be stopped only once every item is done "
                            "(q.join() waits for that)"
                        ),
                        evidence=timeline(run),
                    )
                continue
            code = consumer.collected_code if consumer.ended is None else consumer.exit_code
            if consumer.ended is None and code is None:
                return Failure(
                    observed=t(
                        "{call}: {process}",
                        call=main_call(run),
                        process=still_running(run, consumer),
                    ),
                    expected=t(
                        "each consumer to leave its loop by itself and exit with code 0 (or, as "
                        "a daemon, to be left waiting once everything is done)"
                    ),
                    evidence=timeline(run),
                )
            if consumer.ended is None or consumer.exit_code != 0:
                return Failure(
                    observed=t(
                        "{call}: {process} did not stop by itself (its exit code was {code})",
                        call=main_call(run),
                        process=who(run, consumer.pid),
                        code=code,
                    ),
                    expected=t(
                        "each consumer to leave its loop by itself and exit with code 0 (or, as "
                        "a daemon, to be left waiting once everything is done)"
                    ),
                    evidence=timeline(run),
                )
    return None


@checks("queue_empty", *CASES)
def queue_empty(runs: Runs) -> Failure | None:
    for run in runs.values():
        put = Counter(e.item for e in run.trace.queue if e.action == "put")
        got = Counter(e.item for e in run.trace.queue if e.action == "get")
        left = put - got
        if left:
            return Failure(
                observed=t(
                    "{call}: {count} item(s) were put on the queue and never taken off it: {items}",
                    call=main_call(run),
                    count=sum(left.values()),
                    items=listed(left),
                ),
                expected=t(
                    "nothing left in the queue: every item eaten, and no sentinel more than "
                    "there are consumers"
                ),
            )
    return None
