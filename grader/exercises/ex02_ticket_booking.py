"""ex02: buyers grab tickets from a JSON file; only the purchase is under the lock.

The children of ``task`` are held at a common start (the probe's rendezvous), so without a
lock around the purchase every buyer reads the same count on every run, under every start
method. The file is read back with the module's own ``load`` after ``main`` returns. Whether
the searches ran at the same time is read from the order and times of the search lines: a
search sleeps ``delay`` before it prints, so two searches that exclude each other print at
least ``delay`` apart, and two that overlap print at about the same moment.
"""

from __future__ import annotations

import itertools
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

DB = "tickets.json"
DELAY = 0.1
OVERLAP = 0.9 * DELAY
"""Search lines closer than this came from searches that ran at the same time."""
CASES = {"scarce": (3, 2), "plenty": (2, 3)}
"""Scenario name: (buyers, tickets). More buyers than tickets, then more tickets than buyers
(where a purchase that overwrites another shows as a count that went down by too little)."""

_SEARCH = re.compile(r"^用户(-?\d+)查询余票:\s*(-?\d+)$")
_RESULT = re.compile(r"^用户(-?\d+)抢票(成功|失败)$")

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            name,
            (
                Call("main", {"buyers": buyers, "tickets": tickets, "db_path": DB, "delay": DELAY}),
                Call("load", {"db_path": DB}),
            ),
            levers=Levers(rendezvous=Rendezvous(("task",), buyers)),
            floor=DELAY + buyers * DELAY,  # the searches overlap; the bookings take turns
        )
        for name, (buyers, tickets) in CASES.items()
    ]


def searches(run: Run) -> list[tuple[int, int, float]]:
    """(pid, buyer, time) of each search line printed by a child, in the order printed."""
    found = []
    for line in run.trace.out():
        match = _SEARCH.match(line.text.strip())
        if match and _by_child(run, line.pid):
            found.append((line.pid, int(match[1]), line.time))
    return found


def results(run: Run) -> list[tuple[int, int, bool]]:
    """(pid, buyer, bought) of each 抢票成功 / 抢票失败 line printed by a child."""
    found = []
    for line in run.trace.out():
        match = _RESULT.match(line.text.strip())
        if match and _by_child(run, line.pid):
            found.append((line.pid, int(match[1]), match[2] == "成功"))
    return found


def _by_child(run: Run, pid: int) -> bool:
    info = run.trace.processes.get(pid)
    return info is not None and info.is_child


def _case(run: Run) -> str:
    buyers, tickets = CASES[run.scenario.name]
    return f"main(buyers={buyers}, tickets={tickets})"


def successes(case: str, winners: list[int]) -> str:
    """``main(buyers=3, tickets=2): 3 buyers printed 抢票成功 (用户1, 用户2, 用户3)``."""
    if not winners:
        return t("{case}: 0 buyers printed 抢票成功 (nobody)", case=case)
    named = ", ".join(f"用户{i}" for i in winners)
    if len(winners) == 1:
        return t("{case}: one buyer printed 抢票成功 ({winners})", case=case, winners=named)
    return t(
        "{case}: {count} buyers printed 抢票成功 ({winners})",
        case=case,
        count=len(winners),
        winners=named,
    )


@checks("never_oversold", *CASES)
def never_oversold(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        buyers, tickets = CASES[name]
        wanted = min(tickets, buyers)
        winners = [i for _, i, bought in results(run) if bought]
        if len(winners) != wanted:
            return Failure(
                observed=successes(_case(run), winners),
                expected=t(
                    "exactly {wanted} successes: {tickets} tickets for {buyers} buyers, each "
                    "sold once",
                    wanted=wanted,
                    tickets=tickets,
                    buyers=buyers,
                ),
                evidence=timeline(run),
            )
    return None


@checks("count_left", *CASES)
def count_left(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        buyers, tickets = CASES[name]
        wanted = max(tickets - buyers, 0)
        returned, in_file = run.trace.calls[0].value, run.trace.calls[1].value
        if in_file != wanted:
            return Failure(
                observed=t(
                    'after {case} the file held {{"count": {count!r}}}',
                    case=_case(run),
                    count=in_file,
                ),
                expected=t(
                    '{{"count": {wanted}}}: each of the {sales} sales takes one ticket off the '
                    "count the previous sale wrote (none overwritten)",
                    wanted=wanted,
                    sales=min(tickets, buyers),
                ),
                evidence=timeline(run),
            )
        if returned != in_file:
            return Failure(
                observed=t(
                    '{case} returned {returned!r}, but the file held {{"count": {count!r}}}',
                    case=_case(run),
                    returned=returned,
                    count=in_file,
                ),
                expected=t("main() to return the count left in the file"),
            )
    return None


@checks("each_buyer_once", *CASES)
def each_buyer_once(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        buyers, _ = CASES[name]
        failure = _each_buyer_once(run, buyers)
        if failure is not None:
            return failure
    return None


def _each_buyer_once(run: Run, buyers: int) -> Failure | None:
    wanted = set(range(1, buyers + 1))
    expected = t(
        "用户i查询余票: N and then 用户i抢票成功 or 用户i抢票失败, once each for every i in "
        "1..{buyers}, both printed by buyer i's own child process",
        buyers=buyers,
    )
    looked = [(pid, i) for pid, i, _ in searches(run)]
    tried = [(pid, i) for pid, i, _ in results(run)]
    for kind, seen in (("search", looked), ("result", tried)):
        numbers = sorted(i for _, i in seen)
        if numbers != sorted(wanted):
            return Failure(
                observed=_wrong_buyers(_case(run), kind, numbers),
                expected=expected,
                evidence=timeline(run),
            )
    searched_by = {i: pid for pid, i in looked}
    for pid, i in tried:
        if searched_by[i] != pid:
            return Failure(
                observed=t(
                    "用户{i}'s search was printed by {searcher} and its result by {buyer}",
                    i=i,
                    searcher=who(run, searched_by[i]),
                    buyer=who(run, pid),
                ),
                expected=expected,
                evidence=timeline(run),
            )
    if len(set(searched_by.values())) != buyers:
        return Failure(
            observed=t("one child process printed the lines of several buyers"),
            expected=t("{buyers} child processes, one per buyer", buyers=buyers),
            evidence=timeline(run),
        )
    return _search_before_result(run)


def _wrong_buyers(case: str, kind: str, numbers: list[int]) -> str:
    """Whose search (or result) lines there were, when not one per buyer."""
    found = ", ".join(map(str, numbers))
    if kind == "search":
        if not numbers:
            return t("{case}: the search (用户i查询余票) lines were for buyers none", case=case)
        return t(
            "{case}: the search (用户i查询余票) lines were for buyers {numbers}",
            case=case,
            numbers=found,
        )
    if not numbers:
        return t("{case}: the result (用户i抢票...) lines were for buyers none", case=case)
    return t(
        "{case}: the result (用户i抢票...) lines were for buyers {numbers}",
        case=case,
        numbers=found,
    )


def _search_before_result(run: Run) -> Failure | None:
    searched: set[int] = set()
    for line in run.trace.out():
        text = line.text.strip()
        search = _SEARCH.match(text)
        if search:
            searched.add(int(search[1]))
        result = _RESULT.match(text)
        if result and int(result[1]) not in searched:
            return Failure(
                observed=t(
                    "用户{i}抢票{outcome} was printed before 用户{i}'s search",
                    i=result[1],
                    outcome=result[2],
                ),
                expected=t("each buyer to search first, then buy"),
                evidence=timeline(run),
            )
    return None


@checks("searches_overlap", *CASES)
def searches_overlap(runs: Runs) -> Failure | None:
    """Two searches overlapped if their lines came less than DELAY apart: a search sleeps DELAY
    before it prints, so one that waited for another to finish prints at least DELAY after it.
    A machine too loaded to start the buyers together can hide the overlap in one run, never
    fake it: seeing it in either scenario is enough."""
    failures = []
    for name, run in runs.items():
        buyers, _ = CASES[name]
        times = sorted(time for _, _, time in searches(run))
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        if gaps and min(gaps) < OVERLAP:
            return None
        call = run.trace.calls[0]
        took = (call.ended or 0.0) - call.started
        if len(times) < 2:
            observed = t("{case} printed {count} search line(s)", case=_case(run), count=len(times))
        else:
            observed = t(
                "{case}: the search lines came one after another, {gaps} s apart, so no two "
                "searches ran at the same time (main took {took:.2f} s)",
                case=_case(run),
                gaps=", ".join(f"{gap:.2f}" for gap in gaps),
                took=took,
            )
        failures.append(
            Failure(
                observed=observed,
                expected=t(
                    "the searches to run together, outside the lock, all done after about "
                    "{delay:g} s; only the purchases wait for each other (about {locked:.1f} s "
                    "in all, not {serial:.1f} s)",
                    delay=DELAY,
                    locked=DELAY * (buyers + 1),
                    serial=2 * DELAY * buyers,
                ),
                evidence=timeline(run),
            )
        )
    return failures[0] if failures else None
