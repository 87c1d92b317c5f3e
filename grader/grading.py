"""Grade a submission: make every exercise's runs in parallel, then judge each check.

Every check is judged under every start method of its exercise that this system has (Windows:
spawn only); it passes only if it passes under all of them, and a failure names the start
method it appeared under. A check the catalogue says cannot be judged on this system is
``skipped``: 0 of 0 points here.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from . import evidence, integrity, platforms
from .catalogue import CheckInfo, ExerciseInfo
from .checking import Check, Checks, Failure
from .language import catalogue_text, t
from .results import CheckResult, ExerciseResult, GradeResult, Status
from .runner import Run, Scenario, run
from .sandbox import ended_on_interrupt

DEFAULT_JOBS = 4 * (os.cpu_count() or 1)
"""Runs at once: they mostly sleep or wait, so more than the cores."""


@dataclass(frozen=True)
class Plan:
    """One exercise's runs, keyed by (start method, scenario name); a scenario that hung
    under its first start method is not run again under the others."""

    exercise: ExerciseInfo
    definition: ModuleType
    runs: dict[str, Future[dict[str | None, Run]]]


def definition_of(exercise: ExerciseInfo) -> ModuleType:
    """The module in ``grader/exercises`` holding the exercise's scenarios and checks."""
    return importlib.import_module(f"{__package__}.exercises.{exercise.id}")


class _Runner:
    """Makes runs with at most ``jobs`` of them at once, and times each exercise's own runs."""

    def __init__(self, submission: Path, jobs: int) -> None:
        self.submission = submission
        self.slots = threading.BoundedSemaphore(jobs)
        self.spans: dict[str, tuple[float, float]] = {}
        """Exercise id -> when its first run started and its last one ended (monotonic)."""
        self.spans_lock = threading.Lock()

    def one(self, scenario: Scenario, module: str, api: list[dict[str, Any]]) -> Run:
        with self.slots:
            started = time.monotonic()
            try:
                return run(scenario, self.submission, module, api)
            finally:
                self._ran(module, started, time.monotonic())

    def _ran(self, module: str, started: float, ended: float) -> None:
        with self.spans_lock:
            first, last = self.spans.get(module, (started, ended))
            self.spans[module] = (min(first, started), max(last, ended))

    def duration(self, module: str) -> float:
        """Seconds from the start of the exercise's first run to the end of its last (the
        time its runs waited for a slot before the first one started is not counted)."""
        with self.spans_lock:
            first, last = self.spans.get(module, (0.0, 0.0))
        return last - first

    def chain(
        self,
        scenario: Scenario,
        methods: Sequence[str | None],
        module: str,
        api: list[dict[str, Any]],
    ) -> dict[str | None, Run]:
        """The first start method, then the others at once unless the first hung or did
        not load or went past a limit of the sandbox (the others would only repeat it)."""
        first = self.one(replace(scenario, start_method=methods[0]), module, api)
        done = {methods[0]: first}
        if first.timed_out or not first.trace.loaded or first.problem is not None:
            return done
        with ThreadPoolExecutor(max_workers=max(1, len(methods) - 1)) as pool:
            others = {
                method: pool.submit(self.one, replace(scenario, start_method=method), module, api)
                for method in methods[1:]
            }
            done.update({method: future.result() for method, future in others.items()})
        return done


def grade(
    submission: Path,
    exercises: Sequence[ExerciseInfo],
    *,
    start_methods: Sequence[str] | None = None,
    jobs: int = DEFAULT_JOBS,
    hint_level: int = 1,
) -> GradeResult:
    """Grade ``exercises`` of the submission folder; never raises for a broken submission,
    but raises ``integrity.KitChanged`` for one that wrote into the kit or the submission."""
    runner = _Runner(submission, jobs)
    plans: list[Plan | ExerciseResult] = []
    watched = integrity.watched(submission, [exercise.filename for exercise in exercises])
    with (
        integrity.guarded(watched),
        ThreadPoolExecutor(max_workers=64, thread_name_prefix="lockstep-chain") as pool,
        ended_on_interrupt(pool),
    ):
        for exercise in exercises:
            if not (submission / exercise.filename).is_file():
                plans.append(_missing(exercise, submission))
                continue
            definition = definition_of(exercise)
            methods: list[str | None] = [
                m
                for m in exercise.start_methods
                if (not start_methods or m in start_methods) and m in platforms.start_methods()
            ]
            api = [function.to_json() for function in exercise.api]
            chains = {
                scenario.name: pool.submit(
                    runner.chain,
                    replace(scenario, deadline=exercise.timeout),
                    methods or [None],
                    exercise.id,
                    api,
                )
                for scenario in definition.scenarios()
            }
            plans.append(Plan(exercise, definition, chains))
        results = [
            plan if isinstance(plan, ExerciseResult) else _judge(plan, hint_level, runner)
            for plan in plans
        ]
    return GradeResult(str(submission), tuple(results))


def _missing(exercise: ExerciseInfo, submission: Path) -> ExerciseResult:
    message = t(
        "{path} is missing. Each exercise is one file named {name} in the submission folder; "
        "was it renamed or moved?",
        path=submission / exercise.filename,
        name=exercise.filename,
    )
    return _all_checks(exercise, "error", message)


def _all_checks(exercise: ExerciseInfo, status: Status, message: str) -> ExerciseResult:
    return ExerciseResult(
        exercise.id,
        exercise.title,
        tuple(
            _skipped(c) or CheckResult(c.name, status, 0, c.points, message, c.localized().summary)
            for c in exercise.checks
        ),
    )


def api_problem(file: str, error: dict[str, Any]) -> str:
    """The harness's finding that the module lacks a promised function (``check_api``), in
    words."""
    fields = {"file": file, "name": error.get("name"), "param": repr(error.get("param"))}
    problem = error.get("problem")
    if problem == "not_callable":
        return t("{file}: {name} is a {type}, not a function", **fields, type=error.get("type"))
    if problem == "no_parameter":
        return t(
            "{file}: {name}() has no parameter {param}: the exercise asks for {signature}",
            **fields,
            signature=error.get("signature"),
        )
    if problem == "extra_parameter":
        return t(
            "{file}: {name}() requires a parameter {param} that the exercise does not have: the "
            "exercise asks for {signature}",
            **fields,
            signature=error.get("signature"),
        )
    return t(
        "{file}: missing function {name}(): is it defined at the top level and spelled {name}?",
        **fields,
    )


def _skipped(info: CheckInfo) -> CheckResult | None:
    """The result of a check that cannot be judged on this system: 0 of 0 points, and why."""
    reason = info.why_not_judged(platforms.system())
    if reason is None:
        return None
    message = t(
        "Not graded on {system}: {reason}. The course's grading on Linux grades it.",
        system=platforms.system_name(),
        reason=catalogue_text(reason),
    )
    return CheckResult(info.name, "skipped", 0, 0, message, info.localized().summary)


def load_problem(exercise: ExerciseInfo, runs: Sequence[Run]) -> str | None:
    """Why the module could not be graded at all (it does not load, or its records claim
    what did not happen), or None."""
    for attempt in runs:
        if attempt.untrue is not None:
            return attempt.untrue
    for attempt in runs:
        error = attempt.trace.load_error
        if error is None:
            continue
        name = exercise.filename
        if error.get("reason") == "syntax":
            return t(
                "{name} has a syntax error at line {line}: {message}\n    {code}\n"
                "Fix it, then run `python {name}` to check.",
                name=name,
                line=error.get("line"),
                message=error.get("message"),
                code=error.get("code", ""),
            )
        if error.get("reason") == "api":
            return api_problem(name, error)
        frames = error.get("frames") or []
        fields = {"name": name, "type": error.get("type"), "message": error.get("message")}
        if frames:
            return t(
                "importing {name} raised {type}: {message} at line {line} (`{code}`). Code at "
                "the top level of the module runs on import; keep the program under "
                '`if __name__ == "__main__":`.',
                **fields,
                line=frames[-1]["line"],
                code=frames[-1]["code"],
            )
        return t(
            "importing {name} raised {type}: {message}. Code at the top level of the module "
            'runs on import; keep the program under `if __name__ == "__main__":`.',
            **fields,
        )
    for attempt in runs:
        if attempt.trace.loaded:
            continue
        if attempt.problem is not None:
            return t(
                "{problem} while {name} was being imported",
                problem=attempt.problem,
                name=exercise.filename,
            )
        if attempt.timed_out:
            failure = evidence.hang(attempt)
            return t(
                "importing {name} did not finish within {deadline:g} s:\n{where}\n"
                'Is the call to main() inside `if __name__ == "__main__":`?',
                name=exercise.filename,
                deadline=attempt.scenario.deadline,
                where="\n".join(failure.evidence[:2]),
            )
        return t(
            "{name} ended the program while it was being imported (exit code {code}). Code at "
            "the top level runs on import: keep sys.exit() and the program itself under "
            '`if __name__ == "__main__":`.',
            name=exercise.filename,
            code=attempt.exit_code,
        )
    return None


def _judge(plan: Plan, hint_level: int, runner: _Runner) -> ExerciseResult:
    exercise = plan.exercise
    _wait_awake(plan.runs.values())
    finished = {
        (method, name): attempt
        for name, future in plan.runs.items()
        for method, attempt in future.result().items()
    }
    duration = runner.duration(exercise.id)
    problem = load_problem(exercise, list(finished.values()))
    if problem is not None:
        return replace(_all_checks(exercise, "error", problem), duration=duration)
    methods = list(dict.fromkeys(method for method, _ in finished))
    checks: Checks = plan.definition.checks
    verdicts = {
        info.name: _verdict(checks.get(info.name), methods, finished) for info in exercise.checks
    }
    results = []
    told: dict[str, str] = {}
    system = platforms.system()
    for info in (check.localized() for check in exercise.checks):
        skipped = _skipped(info)
        if skipped is not None:
            results.append(skipped)
            continue
        status, failure, failed_under = verdicts[info.name]
        blockers = [
            name
            for name in info.requires
            if verdicts[name][0] != "passed" and not exercise.check(name).why_not_judged(system)
        ]
        result = _result(info, status, failure, failed_under, blockers, hint_level)
        if failure is not None and failure.observed in told:
            # The same failure (a hang, an exception) sinks several checks: tell it once.
            first = told[failure.observed]
            message = t(
                "{observed}: see {first} above.\nHint: {hint}",
                observed=failure.observed,
                first=first,
                hint=info.hint,
            )
            result = replace(result, message=message)
        elif failure is not None:
            told[failure.observed] = info.name
        results.append(result)
    return ExerciseResult(exercise.id, exercise.title, tuple(results), duration)


def _wait_awake(futures: Iterable[Future[Any]]) -> None:
    """Wait for ``futures``, waking often: a Ctrl+C the system hands to another thread is
    acted on only once the main thread runs (``sandbox.ended_on_interrupt``)."""
    pending = set(futures)
    while pending:
        pending = wait(pending, timeout=0.2).not_done


def _verdict(
    check: Check, methods: Sequence[str | None], finished: dict[tuple[str | None, str], Run]
) -> tuple[Status, Failure | None, list[str | None]]:
    status: Status = "passed"
    first: Failure | None = None
    failed_under: list[str | None] = []
    for method in methods:
        if any((method, name) not in finished for name in check.runs):
            continue  # not repeated under this method: it already hung under the first one
        runs = {name: finished[(method, name)] for name in check.runs}
        failure = None
        for name in check.runs:
            failure = evidence.unexpected(runs[name], check.expect_raise)
            if failure is not None:
                break
        timed_out = failure is not None and any(r.timed_out for r in runs.values())
        if failure is None:
            failure = check.evaluate(runs)
        if failure is None:
            continue
        failed_under.append(method)
        if first is None:
            first, status = failure, "timeout" if timed_out else "failed"
    return status, first, failed_under


def _result(
    info: CheckInfo,
    status: Status,
    failure: Failure | None,
    failed_under: list[str | None],
    blockers: list[str],
    hint_level: int,
) -> CheckResult:
    if failure is None and blockers:
        message = t(
            "This part behaves, but it earns its points only together with {checks}: fix that "
            "first.",
            checks=", ".join(blockers),
        )
        return CheckResult(info.name, "failed", 0, info.points, message, info.summary)
    if failure is None:
        return CheckResult(info.name, "passed", info.points, info.points, "", info.summary)
    method = failed_under[0]
    parts = [
        t("Under the {method} start method: {observed}.", method=method, observed=failure.observed)
        if method
        else t("{observed}.", observed=failure.observed),
        t("Expected: {expected}.", expected=failure.expected),
    ]
    if failure.evidence:
        parts.append("\n".join(f"    {line}" for line in failure.evidence))
    others = [m for m in failed_under[1:] if m]
    if others:
        parts.append(t("(Also under: {methods}.)", methods=", ".join(others)))
    parts.append(t("Hint: {hint}", hint=info.hint))
    if hint_level >= 2:
        parts.append(t("More help: {hint}", hint=info.hint2))
    location = failure.location
    return CheckResult(
        info.name,
        status,
        0,
        info.points,
        "\n".join(parts),
        info.summary,
        file=location.file if location else None,
        line=location.line if location else None,
    )
