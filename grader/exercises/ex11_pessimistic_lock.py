"""ex11: buyers grab tickets from a sqlite3 table; the database's write lock, taken before the
read (``BEGIN IMMEDIATE``), is the lock.

The buyers' ``task`` is held at a common start (the probe's rendezvous), and a buyer that
fetched rows without holding the write lock waits there until every buyer has read as often
(``read_together``): a count read outside the write transaction is then the same stale count
in every buyer, on every run, under every start method. A read under the buyer's own write
lock is never held. The probe records each process's statements (``Trace.db_events``): which
ran under the write lock, how long the transaction stayed open, which failed with ``database
is locked``. The count left is read back after ``main`` with the module's own ``search``.
"""

from __future__ import annotations

import itertools

from ..authoring import Call, Checks, DbEvent, Failure, Rendezvous, Run, Runs, Scenario, timeline
from .ex02_ticket_booking import results, searches

DB = "tickets.db"
DELAY = 0.1
OVERLAP = 0.9 * DELAY
"""Search lines closer than this came from searches that ran at the same time."""
THINKING = 0.5 * DELAY
"""A transaction that stayed open this long between two statements was held while thinking."""
MIN_BUSY_TIMEOUT = 5.0
CASES = {"scarce": (3, 2), "plenty": (2, 3)}
"""Scenario name: (buyers, tickets)."""
FAIL_CASE = ("fail", 3, 3, 2)
"""(scenario, buyers, tickets, the buyer that fails): every buyer finds a ticket, so the one
that fails has always written before it raises."""

checks = Checks()


def scenario(name: str, buyers: int, tickets: int, **extra: int) -> Scenario:
    """``main`` then ``search(0, ...)`` (the count left), the buyers starting and reading
    together."""
    return Scenario(
        name,
        (
            Call(
                "main",
                {"buyers": buyers, "tickets": tickets, "db_path": DB, "delay": DELAY, **extra},
            ),
            Call("search", {"i": 0, "db_path": DB, "delay": 0}),
        ),
        rendezvous=Rendezvous(("task",), buyers),
        read_together=Rendezvous(("task",), buyers, timeout=2.0),
        floor=DELAY + buyers * DELAY,  # the searches overlap; the purchases take turns
    )


def scenarios() -> list[Scenario]:
    name, buyers, tickets, fail = FAIL_CASE
    return [
        *(scenario(case, buyers, tickets) for case, (buyers, tickets) in CASES.items()),
        scenario(name, buyers, tickets, fail=fail),
    ]


def case(run: Run) -> str:
    """How a message names the call: ``main(buyers=3, tickets=2)``."""
    kwargs = run.trace.calls[0].kwargs if run.trace.calls else {}
    shown = ", ".join(f"{k}={kwargs[k]}" for k in ("buyers", "tickets", "fail") if k in kwargs)
    return f"main({shown})"


def winners(run: Run) -> list[int]:
    return [i for _, i, bought in results(run) if bought]


def left(run: Run) -> tuple[object, object]:
    """(what main returned, the count the table held after main)."""
    calls = run.trace.calls
    return (calls[0].value if calls else None, calls[1].value if len(calls) > 1 else None)


def buyer_events(run: Run) -> dict[int, list[DbEvent]]:
    """Each buyer process's database events, by pid."""
    return {p.pid: run.trace.db(p.pid) for p in run.trace.children("task")}


def statements(events: list[DbEvent]) -> tuple[str, ...]:
    """A process's statements as evidence lines."""
    shown = []
    for event in events:
        lock = "write lock held" if event.write_lock_after else "no write lock"
        error = f", {event.error}" if event.error else ""
        shown.append(f"  {event.started:6.3f}s {event.what} ({lock}{error})")
    return tuple(shown[:12])


def sold_exactly(run: Run, buyers: int, tickets: int) -> Failure | None:
    wanted = min(tickets, buyers)
    won = winners(run)
    if len(won) != wanted:
        return Failure(
            observed=f"{case(run)}: {len(won)} buyers printed 抢票成功 "
            f"({', '.join(f'用户{i}' for i in won) or 'nobody'})",
            expected=f"exactly {wanted} successes: {tickets} tickets for {buyers} buyers, "
            "each sold once",
            evidence=timeline(run),
        )
    return None


def count_is(run: Run, wanted: int) -> Failure | None:
    returned, in_table = left(run)
    if in_table != wanted:
        return Failure(
            observed=f"after {case(run)} the table held count = {in_table!r}",
            expected=f"count = {wanted}: each sale takes one ticket off the count the "
            "previous sale wrote (none overwritten)",
            evidence=timeline(run),
        )
    if returned != in_table:
        return Failure(
            observed=f"{case(run)} returned {returned!r}, but the table held count = {in_table!r}",
            expected="main() to return the count left in the table",
        )
    return None


@checks("never_oversold", *CASES)
def never_oversold(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        failure = sold_exactly(run, *CASES[name])
        if failure:
            return failure
    return None


@checks("count_left", *CASES)
def count_left(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        buyers, tickets = CASES[name]
        failure = count_is(run, max(tickets - buyers, 0))
        if failure:
            return failure
    return None


@checks("rolled_back", FAIL_CASE[0])
def rolled_back(runs: Runs) -> Failure | None:
    name, buyers, tickets, fail = FAIL_CASE
    run = runs[name]
    printed = [i for _, i, _ in results(run) if i == fail]
    if printed:
        return Failure(
            observed=f"{case(run)}: 用户{fail}, which raised before committing, printed a result",
            expected=f"no result line from 用户{fail}: it failed before it could buy",
            evidence=timeline(run),
        )
    return sold_exactly(run, buyers - 1, tickets) or count_is(run, tickets - (buyers - 1))


def each_once(run: Run, buyers: int, silent: int | None = None) -> Failure | None:
    """Buyer i searched once and then printed one result, both from one child of its own;
    ``silent`` printed its search only."""
    looked = [(pid, i) for pid, i, _ in searches(run)]
    tried = [(pid, i) for pid, i, _ in results(run)]
    expected = (
        f"用户i查询余票: N, then one 用户i抢票成功 or 用户i抢票失败, for every i in 1..{buyers}, "
        "from buyer i's own child process"
    )
    wanted_results = [i for i in range(1, buyers + 1) if i != silent]
    for what, seen, wanted in (
        ("search (用户i查询余票)", looked, list(range(1, buyers + 1))),
        ("result (用户i抢票...)", tried, wanted_results),
    ):
        numbers = sorted(i for _, i in seen)
        if numbers != wanted:
            return Failure(
                observed=f"{case(run)}: the {what} lines were for buyers "
                f"{', '.join(map(str, numbers)) or 'none'}",
                expected=expected,
                evidence=timeline(run),
            )
    by = dict(looked)
    if len(set(by)) != buyers or any(by.get(pid) != i for pid, i in tried):
        return Failure(
            observed=f"{case(run)}: a buyer's search and result came from different processes, "
            "or one process printed for several buyers",
            expected=expected,
            evidence=timeline(run),
        )
    return None


@checks("each_buyer_once", *CASES, FAIL_CASE[0])
def each_buyer_once(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        if name == FAIL_CASE[0]:
            failure = each_once(run, FAIL_CASE[1], silent=FAIL_CASE[3])
        else:
            failure = each_once(run, CASES[name][0])
        if failure:
            return failure
    return None


def thought_under_lock(events: list[DbEvent]) -> DbEvent | None:
    """The read this process made under its write lock and then held the transaction open
    while it thought, or None."""
    for read, after in itertools.pairwise(events):
        if (
            read.verb == "SELECT"
            and read.write_lock_after
            and after.conn == read.conn
            and after.in_transaction_before
            and after.started - read.time >= THINKING
        ):
            return read
    return None


@checks("read_under_lock", *CASES)
def read_under_lock(runs: Runs) -> Failure | None:
    for run in runs.values():
        for pid, events in buyer_events(run).items():
            if thought_under_lock(events) is None:
                return Failure(
                    observed=f"{run.trace.who(pid)} read the count without holding the "
                    "database's write lock, or let it go before it had thought and written",
                    expected="BEGIN IMMEDIATE first, then the SELECT, the thinking and the "
                    "UPDATE, then COMMIT: the lock taken before the read, held until the write",
                    evidence=("Its statements:", *statements(events)),
                )
    return None


@checks("waits_for_lock", *CASES, FAIL_CASE[0])
def waits_for_lock(runs: Runs) -> Failure | None:
    for run in runs.values():
        for connection in run.trace.db_connections:
            if connection.timeout is not None and connection.timeout < MIN_BUSY_TIMEOUT:
                return Failure(
                    observed=f"{run.trace.who(connection.pid)} connected with "
                    f"timeout={connection.timeout:g}",
                    expected=f"a busy timeout of at least {MIN_BUSY_TIMEOUT:g} s (the default), "
                    "so that a buyer waits for the lock instead of failing",
                )
        for event in run.trace.db_events:
            if event.locked:
                return Failure(
                    observed=f"{case(run)}: {event.what} in {run.trace.who(event.pid)} failed: "
                    f"{event.error}",
                    expected="every buyer to wait its turn for the database's lock",
                    evidence=timeline(run),
                )
    return None


@checks("searches_overlap", *CASES)
def searches_overlap(runs: Runs) -> Failure | None:
    """As in ex02: search lines less than DELAY apart came from searches that overlapped;
    seeing that in either scenario is enough (a loaded machine can hide it, never fake it)."""
    failures = []
    for run in runs.values():
        times = sorted(time for _, _, time in searches(run))
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        if gaps and min(gaps) < OVERLAP:
            return None
        failures.append(
            Failure(
                observed=f"{case(run)}: the search lines came one after another, "
                f"{', '.join(f'{gap:.2f}' for gap in gaps) or 'none'} s apart",
                expected=f"the searches to run together, with no lock held: all done after "
                f"about {DELAY:g} s; only the purchases wait for each other",
                evidence=timeline(run),
            )
        )
    return failures[0] if failures else None
