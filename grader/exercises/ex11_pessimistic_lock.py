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

from ..authoring import (
    Call,
    Checks,
    DbEvent,
    Failure,
    Levers,
    Rendezvous,
    Run,
    Runs,
    Scenario,
    t,
    timeline,
)
from .ex02_ticket_booking import _wrong_buyers, results, searches, successes

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


def sale(run: Run) -> tuple[str, ...]:
    """The timeline of ``main``: the lines the grader's own ``search(0, ...)`` printed after it
    (用户0查询余票) are not the student's program."""
    ended = run.trace.calls[0].ended if run.trace.calls else None
    return timeline(run, [line for line in run.trace.out() if ended is None or line.time <= ended])


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
        levers=Levers(
            rendezvous=Rendezvous(("task",), buyers),
            read_together=Rendezvous(("task",), buyers, timeout=2.0),
        ),
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
    """A buyer's statements as a failure's evidence, under a heading."""
    return (t("Its statements:"), *(_statement(event) for event in events[:12]))


def _statement(event: DbEvent) -> str:
    at, what, error = event.started, event.what, event.error
    if event.write_lock_after and error:
        return t("  {at:6.3f}s {what} (write lock held, {error})", at=at, what=what, error=error)
    if event.write_lock_after:
        return t("  {at:6.3f}s {what} (write lock held)", at=at, what=what)
    if error:
        return t("  {at:6.3f}s {what} (no write lock, {error})", at=at, what=what, error=error)
    return t("  {at:6.3f}s {what} (no write lock)", at=at, what=what)


def sold_exactly(run: Run, buyers: int, tickets: int) -> Failure | None:
    wanted = min(tickets, buyers)
    won = winners(run)
    if len(won) != wanted:
        return Failure(
            observed=successes(case(run), won),
            expected=t(
                "exactly {wanted} successes: {tickets} tickets for {buyers} buyers, each sold once",
                wanted=wanted,
                tickets=tickets,
                buyers=buyers,
            ),
            evidence=sale(run),
        )
    return None


def count_is(run: Run, wanted: int) -> Failure | None:
    returned, in_table = left(run)
    if in_table != wanted:
        return Failure(
            observed=t(
                "after {case} the table held count = {count!r}", case=case(run), count=in_table
            ),
            expected=t(
                "count = {wanted}: each sale takes one ticket off the count the previous sale "
                "wrote (none overwritten)",
                wanted=wanted,
            ),
            evidence=sale(run),
        )
    if returned != in_table:
        return Failure(
            observed=t(
                "{case} returned {returned!r}, but the table held count = {count!r}",
                case=case(run),
                returned=returned,
                count=in_table,
            ),
            expected=t("main() to return the count left in the table"),
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
            observed=t(
                "{case}: 用户{fail}, which raised before committing, printed a result",
                case=case(run),
                fail=fail,
            ),
            expected=t("no result line from 用户{fail}: it failed before it could buy", fail=fail),
            evidence=sale(run),
        )
    return sold_exactly(run, buyers - 1, tickets) or count_is(run, tickets - (buyers - 1))


def each_once(run: Run, buyers: int, silent: int | None = None) -> Failure | None:
    """Buyer i searched once and then printed one result, both from one child of its own;
    ``silent`` printed its search only."""
    looked = [(pid, i) for pid, i, _ in searches(run)]
    tried = [(pid, i) for pid, i, _ in results(run)]
    expected = t(
        "用户i查询余票: N, then one 用户i抢票成功 or 用户i抢票失败, for every i in 1..{buyers}, "
        "from buyer i's own child process",
        buyers=buyers,
    )
    wanted_results = [i for i in range(1, buyers + 1) if i != silent]
    for kind, seen, wanted in (
        ("search", looked, list(range(1, buyers + 1))),
        ("result", tried, wanted_results),
    ):
        numbers = sorted(i for _, i in seen)
        if numbers != wanted:
            return Failure(
                observed=_wrong_buyers(case(run), kind, numbers),
                expected=expected,
                evidence=sale(run),
            )
    by = dict(looked)
    if len(set(by)) != buyers or any(by.get(pid) != i for pid, i in tried):
        return Failure(
            observed=t(
                "{case}: a buyer's search and result came from different processes, or one "
                "process printed for several buyers",
                case=case(run),
            ),
            expected=expected,
            evidence=sale(run),
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
                    observed=t(
                        "{process} read the count without holding the database's write lock, "
                        "or let it go before it had thought and written",
                        process=run.trace.who(pid),
                    ),
                    expected=t(
                        "BEGIN IMMEDIATE first, then the SELECT, the thinking and the UPDATE, "
                        "then COMMIT: the lock taken before the read, held until the write"
                    ),
                    evidence=statements(events),
                )
    return None


@checks("waits_for_lock", *CASES, FAIL_CASE[0])
def waits_for_lock(runs: Runs) -> Failure | None:
    for run in runs.values():
        for connection in run.trace.db_connections:
            if connection.timeout is not None and connection.timeout < MIN_BUSY_TIMEOUT:
                return Failure(
                    observed=t(
                        "{process} connected with timeout={timeout:g}",
                        process=run.trace.who(connection.pid),
                        timeout=connection.timeout,
                    ),
                    expected=t(
                        "a busy timeout of at least {minimum:g} s (the default), so that a buyer "
                        "waits for the lock instead of failing",
                        minimum=MIN_BUSY_TIMEOUT,
                    ),
                )
        for event in run.trace.db_events:
            if event.locked:
                return Failure(
                    observed=t(
                        "{case}: {what} in {process} failed: {error}",
                        case=case(run),
                        what=event.what,
                        process=run.trace.who(event.pid),
                        error=event.error,
                    ),
                    expected=t("every buyer to wait its turn for the database's lock"),
                    evidence=sale(run),
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
                observed=(
                    t(
                        "{case}: the search lines came one after another, {gaps} s apart",
                        case=case(run),
                        gaps=", ".join(f"{gap:.2f}" for gap in gaps),
                    )
                    if gaps
                    else t(
                        "{case}: the search lines came one after another, none s apart",
                        case=case(run),
                    )
                ),
                expected=t(
                    "the searches to run together, with no lock held: all done after about "
                    "{delay:g} s; only the purchases wait for each other",
                    delay=DELAY,
                ),
                evidence=sale(run),
            )
        )
    return failures[0] if failures else None
