"""ex12: optimistic buyers hold no lock while they think; a write checks the version it read
and a buyer that lost the race reads again.

Same table, levers and read-back as ex11 (``ex11_pessimistic_lock``): the buyers start
together, and every read made without the write lock waits until every buyer still buying has
read as often, so buyers collide on every run: all but one write against a version that has
changed. A write without the version check then oversells, and a buyer that does not retry
buys too little, on every run, under every start method. Whether a transaction stayed open
while a buyer thought is read from the gaps between its statements (``Trace.db_events``).
"""

from __future__ import annotations

import itertools
import re

from ..authoring import Checks, DbEvent, Failure, Run, Runs, Scenario, t
from .ex11_pessimistic_lock import (
    CASES,
    THINKING,
    buyer_events,
    case,
    count_is,
    each_once,
    scenario,
    sold_exactly,
    statements,
    waits_for_lock,
)

_RETRY = re.compile(r"^用户(-?\d+)重试$")

checks = Checks()


def scenarios() -> list[Scenario]:
    return [scenario(name, buyers, tickets) for name, (buyers, tickets) in CASES.items()]


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


def _lost(events: list[DbEvent]) -> list[DbEvent]:
    """The writes of one buyer that changed no row: someone else had written first."""
    return [e for e in events if e.verb == "UPDATE" and e.error is None and e.rows == 0]


def _retried(run: Run, pid: int, after: float) -> bool:
    """The buyer printed 用户i重试 after ``after`` and then read the table again."""
    retry = next(
        (
            line.time
            for line in run.trace.out(pid)
            if line.time >= after and _RETRY.match(line.text.strip())
        ),
        None,
    )
    return retry is not None and any(
        e.verb == "SELECT" and e.started >= retry for e in run.trace.db(pid)
    )


@checks("retries", *CASES)
def retries(runs: Runs) -> Failure | None:
    for run in runs.values():
        for pid, events in buyer_events(run).items():
            for write in _lost(events):
                if not _retried(run, pid, write.time):
                    return Failure(
                        observed=t(
                            "{case}: the UPDATE of {process} changed no row (another buyer had "
                            "written first), and it did not print 用户i重试 and read count and "
                            "version again",
                            case=case(run),
                            process=run.trace.who(pid),
                        ),
                        expected=t(
                            "a buyer that lost the race to print 用户i重试 and try again, until "
                            "it buys or finds no ticket left"
                        ),
                        evidence=statements(events),
                    )
    return None


def _held_while_thinking(events: list[DbEvent]) -> DbEvent | None:
    """The statement after which this buyer kept a transaction open while it thought."""
    for before, after in itertools.pairwise(events):
        if (
            before.in_transaction_after
            and after.conn == before.conn
            and after.started - before.time >= THINKING
        ):
            return before
    return None


@checks("no_lock_while_thinking", *CASES)
def no_lock_while_thinking(runs: Runs) -> Failure | None:
    for run in runs.values():
        for pid, events in buyer_events(run).items():
            held = _held_while_thinking(events)
            if held is not None:
                return Failure(
                    observed=t(
                        "{process} kept a transaction open after {what!r} while it thought",
                        process=run.trace.who(pid),
                        what=held.what,
                    ),
                    expected=t(
                        "no lock while thinking: read in autocommit mode, sleep, then one "
                        "UPDATE ... AND version = ? committed at once"
                    ),
                    evidence=statements(events),
                )
    return None


@checks("each_buyer_once", *CASES)
def each_buyer_once(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        failure = each_once(run, CASES[name][0])
        if failure:
            return failure
    return None


checks("waits_for_lock", *CASES)(waits_for_lock)
