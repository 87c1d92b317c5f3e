"""How an exercise's checks are written: a named function of the runs it needs.

Each module in ``grader/exercises/`` defines ``scenarios()`` (the runs to make) and ``checks``
(a ``Checks`` registry). A check returns ``None`` when the behaviour is right, or a ``Failure``
saying what was observed and what was expected. Points and hints come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .runner import Run


@dataclass(frozen=True)
class Location:
    """A place in the student's file a failure points at."""

    file: str
    line: int
    code: str = ""


@dataclass(frozen=True)
class Failure:
    observed: str
    expected: str
    evidence: tuple[str, ...] = ()
    """Supporting lines: a short timeline, where each process was stuck."""
    location: Location | None = None


Runs = Mapping[str, Run]
Evaluate = Callable[[Runs], "Failure | None"]


@dataclass(frozen=True)
class Check:
    name: str
    runs: tuple[str, ...]
    """Names of the scenarios this check reads."""
    evaluate: Evaluate
    expect_raise: bool = False
    """The calls may raise: the check itself judges the exception."""


@dataclass
class Checks:
    """The registry an exercise module fills with ``@checks("name", "scenario", ...)``."""

    all: list[Check] = field(default_factory=list)

    def __call__(
        self, name: str, *runs: str, expect_raise: bool = False
    ) -> Callable[[Evaluate], Evaluate]:
        def register(evaluate: Evaluate) -> Evaluate:
            self.all.append(Check(name, runs, evaluate, expect_raise))
            return evaluate

        return register

    def get(self, name: str) -> Check:
        for check in self.all:
            if check.name == name:
                return check
        raise KeyError(name)
