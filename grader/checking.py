"""How an exercise's checks are written: a named function of the runs it needs.

Each module in ``grader/exercises/`` defines ``scenarios()`` (the runs to make) and ``checks``
(a ``Checks`` registry). A check returns ``None`` when the behaviour is right, or a ``Failure``
saying what was observed and what was expected. Points and hints come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .language import t
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
Judge = Callable[[Run], "Failure | None"]
"""Judges one run: a check that each of its runs must satisfy (``Checks.each``)."""


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

    def each(self, name: str, *runs: str, expect_raise: bool = False) -> Callable[[Judge], Judge]:
        """Register ``name``, which each of ``runs`` must satisfy: the first failure, in the
        order the runs are named, is the check's."""

        def register(judge: Judge) -> Judge:
            self.all.append(Check(name, runs, lambda given: each_run(given, judge), expect_raise))
            return judge

        return register

    def program_ends(self, name: str, *runs: str) -> None:
        """Register ``name``: in each of ``runs``, every call returned and the program then
        ended by itself (no hang, no crash, no process left running)."""
        self.all.append(Check(name, runs, _program_ended))

    def get(self, name: str) -> Check:
        for check in self.all:
            if check.name == name:
                return check
        raise KeyError(name)


def each_run(runs: Runs | Iterable[Run], judge: Judge) -> Failure | None:
    """The first failure ``judge`` finds in the runs, in their order; None when every run
    satisfies it."""
    for run in runs.values() if isinstance(runs, Mapping) else runs:
        failure = judge(run)
        if failure is not None:
            return failure
    return None


def _program_ended(runs: Runs) -> Failure | None:
    """Most of what this check sees fails it before it is called (``evidence.unexpected``:
    a hang, a crash, a limit); what is left is a run whose calls ended but whose interpreter
    did not end cleanly."""
    for run in runs.values():
        unfinished = [call for call in run.trace.calls if call.ended is None]
        if run.timed_out or unfinished or not run.trace.done or run.exit_code != 0:
            return Failure(
                observed=t(
                    "{call} did not end by itself (exit code {code})",
                    call=unfinished[0].signature(),
                    code=run.exit_code,
                )
                if unfinished
                else t("the program did not end by itself (exit code {code})", code=run.exit_code),
                expected=t("the program to end by itself"),
            )
    return None
