"""Everything an exercise module needs, in one place: its scenarios (``Scenario``, ``Call``,
the levers), its checks (``Checks``, ``Checks.each`` for what every run must satisfy,
``Checks.program_ends``, ``Failure``) and
the words for its messages (``timeline``, ``who``, ``raised``, and ``t``: a message is one
whole English template with named fields, ``t("{call} returned {value!r}", call=...,
value=...)``, whose Chinese is in ``grader/translations/*.zh.toml``).

An exercise module defines ``scenarios()`` and fills a ``checks = Checks()`` registry; points,
hints and the order of the checks come from ``grader/catalogue.toml``. See docs/authoring.md.
"""

from __future__ import annotations

from .checking import Check, Checks, Failure, Judge, Location, Runs, each_run
from .evidence import raised, timeline, who
from .language import t
from .probe.lockstep_probe.protocol import Levers, QueueArg, Rendezvous, ThreadSituation
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
    "Judge",
    "Levers",
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
    "t",
    "timeline",
    "who",
]
