"""Everything an exercise module needs, in one place: its scenarios (``Scenario``, ``Call``,
the levers), its checks (``Checks``, ``Failure``, ``each_run``, ``Checks.program_ends``) and
the words for its messages (``timeline``, ``who``, ``raised``).

An exercise module defines ``scenarios()`` and fills a ``checks = Checks()`` registry; points,
hints and the order of the checks come from ``grader/catalogue.toml``. See docs/authoring.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from .checking import Check, Checks, Failure, Location, Runs
from .evidence import raised, timeline, who
from .probe.lockstep_probe.protocol import QueueArg, Rendezvous, ThreadSituation
from .runner import AS_PROGRAM, Call, Run, Scenario
from .trace import CallResult, DbConnection, DbEvent, Line, ProcessInfo, ThreadInfo

__all__ = [
    "AS_PROGRAM",
    "Call",
    "CallResult",
    "Check",
    "Checks",
    "DbConnection",
    "DbEvent",
    "Failure",
    "Line",
    "Location",
    "ProcessInfo",
    "QueueArg",
    "Rendezvous",
    "Run",
    "Runs",
    "Scenario",
    "ThreadInfo",
    "ThreadSituation",
    "each_run",
    "raised",
    "timeline",
    "who",
]


def each_run(runs: Runs | Iterable[Run], judge: Callable[[Run], Failure | None]) -> Failure | None:
    """The first failure ``judge`` finds in the runs, in their order; None when every run
    satisfies it."""
    for run in runs.values() if isinstance(runs, Mapping) else runs:
        failure = judge(run)
        if failure is not None:
            return failure
    return None
