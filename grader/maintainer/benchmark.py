"""``python -m grader.maintainer.benchmark``: how long ``python -m grader`` takes, beside the
floor no grading can beat and the budget it must meet. Run it on an idle machine: it measures
whatever else the machine is doing too, and prints the load average before and after.

Each line times the whole command (interpreter start included) ``--repeat`` times and keeps
the best and the median. The floor is the longest chain of sleeps the grading must wait
through: each scenario's floor (``Scenario.floor``) under its first start method, then once
more under the others, which run at once; exercises are graded side by side. A scenario that
hangs waits out its deadline instead and is not repeated. A line whose verdict is not the
expected one (full marks for solutions, none for the stubs and for ``hangs``, a program whose
every function sleeps for ever) is reported as wrong, not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import ExerciseInfo, load_catalogue
from ..formats.project import KIT_ROOT
from ..grading import definition_of
from ..results import GradeResult

SPINE = ("ex01_process_lock", "ex03_pids", "ex06_producer_consumer")
"""The first three exercises built, with budgets of their own."""
SPINE_BUDGET = {"solutions": 5.0, "exercises": 15.0}
"""Seconds to grade the spine's solutions, and its untouched stubs (issue 2)."""
PER_EXERCISE = {"solutions": 1.0, "exercises": 2.0, "hangs": 3.0}
"""Seconds per catalogued exercise to grade them all at once: ten solutions within 10 s, ten
stubs within 20 s, ten exercises that all hang within 30 s (issues 2 and 4)."""
ALONE = 2.0
"""Seconds to grade one solution on its own."""
HANG_MARGIN = 2.0
"""A stub graded on its own is judged within its deadline plus this, even when it hangs."""
GROUPS = {"solutions": "solutions", "exercises": "stubs", "hangs": "exercises that all hang"}
"""What a line grades, by folder, in its label."""
HANGS = KIT_ROOT / "tests" / "fixtures" / "hangs_in_every_call.py"


@dataclass(frozen=True)
class Measurement:
    label: str
    folder: str
    """``solutions``, ``exercises`` (the untouched stubs) or ``hangs``."""
    exercises: tuple[ExerciseInfo, ...]
    budget: float


def measurements(catalogue: Sequence[ExerciseInfo] | None = None) -> list[Measurement]:
    """The lines of the benchmark, their labels and budgets counted from the catalogue."""
    every = tuple(load_catalogue() if catalogue is None else catalogue)
    spine = tuple(e for e in every if e.id in SPINE)
    numbers = " ".join(e.number for e in spine)
    return [
        *(
            Measurement(f"{len(spine)} {GROUPS[f]} ({numbers})", f, spine, SPINE_BUDGET[f])
            for f in SPINE_BUDGET
        ),
        *(
            Measurement(f"{len(every)} {GROUPS[f]}", f, every, budget * len(every))
            for f, budget in PER_EXERCISE.items()
        ),
        *(Measurement(f"solution {e.id}", "solutions", (e,), ALONE) for e in every),
        *(Measurement(f"stub {e.id}", "exercises", (e,), e.timeout + HANG_MARGIN) for e in spine),
    ]


def chain_floor(exercise: ExerciseInfo, hung: bool) -> float:
    """The exercise's floor: its longest scenario chain, or its deadline if it hung."""
    if hung:
        return exercise.timeout
    repeats = 2 if len(exercise.start_methods) > 1 else 1
    return max((s.floor * repeats for s in definition_of(exercise).scenarios()), default=0.0)


def time_once(measurement: Measurement) -> tuple[float, float]:
    """Wall seconds of one grading, and its floor; raises if the verdict is not the expected
    one."""
    with tempfile.TemporaryDirectory(prefix="lockstep-benchmark-") as scratch:
        folder = Path(measurement.folder)
        if measurement.folder == "hangs":
            folder = Path(scratch) / "hangs"
            folder.mkdir()
            for exercise in measurement.exercises:
                shutil.copy(HANGS, folder / exercise.filename)
        results = Path(scratch) / "result.json"
        command = [sys.executable, "-m", "grader", *(e.id for e in measurement.exercises)]
        command += ["--submission", str(folder), "--quiet", "--json", str(results)]
        started = time.monotonic()
        subprocess.run(command, cwd=KIT_ROOT, stdout=subprocess.DEVNULL, check=False)
        wall = time.monotonic() - started
        graded = GradeResult.from_json(json.loads(results.read_text(encoding="utf-8")))
    expected = graded.max_score if measurement.folder == "solutions" else 0
    if graded.score != expected:
        raise RuntimeError(
            f"{measurement.label}: scored {graded.score} of {graded.max_score}, "
            f"expected {expected}; a wrong verdict is not timed"
        )
    hung = {
        result.id
        for result in graded.exercises
        if any(check.status == "timeout" for check in result.checks)
    }
    floor = max(chain_floor(e, e.id in hung) for e in measurement.exercises)
    return wall, floor


NOX_OVERHEAD_BUDGET = 0.5
"""What ``nox -s grade`` may add to ``python -m grader`` on a warm virtualenv (issue 11)."""


def nox_overhead(repeat: int) -> str:
    """A line comparing ``nox -s grade -- 01`` on a warm virtualenv with ``python -m grader 01``
    (medians of ``repeat`` alternating runs, both grading solutions/), ending OVER BUDGET when
    nox adds more than its budget; without nox on the PATH, a line saying so."""
    nox = shutil.which("nox")
    if nox is None:
        return "nox -s grade -- 01: skipped (nox is not on the PATH)"
    arguments = ["01", "--submission", "solutions", "--quiet"]
    commands = {
        "nox": [nox, "-s", "grade", "--", *arguments],
        "python": [sys.executable, "-m", "grader", *arguments],
    }
    subprocess.run(commands["nox"], cwd=KIT_ROOT, capture_output=True, check=False)  # warm up
    walls: dict[str, list[float]] = {"nox": [], "python": []}
    for _ in range(repeat):
        for name, command in commands.items():
            started = time.monotonic()
            subprocess.run(command, cwd=KIT_ROOT, capture_output=True, check=False)
            walls[name].append(time.monotonic() - started)
    nox_median, python_median = (statistics.median(walls[name]) for name in ("nox", "python"))
    overhead = nox_median - python_median
    verdict = "within budget" if overhead <= NOX_OVERHEAD_BUDGET else "OVER BUDGET"
    return (
        f"nox -s grade -- 01 (warm) {nox_median:.2f}s against python -m grader 01 "
        f"{python_median:.2f}s (medians of {repeat}): overhead {overhead:+.2f}s, budget "
        f"{NOX_OVERHEAD_BUDGET:.1f}s  {verdict}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m grader.maintainer.benchmark", description=__doc__)
    cli.add_argument("--repeat", type=int, default=3, help="gradings per line (default: 3)")
    cli.add_argument("--only", action="append", default=[], help="lines whose label has this")
    args = cli.parse_args(argv)
    chosen = [m for m in measurements() if not args.only or any(k in m.label for k in args.only)]
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    width = max([len("grading"), *(len(m.label) for m in chosen)])
    print(f"{'grading':<{width}} {'budget':>7} {'floor':>7} {'best':>7} {'median':>7}")
    over = []
    for measurement in chosen:
        timed = [time_once(measurement) for _ in range(args.repeat)]
        walls = [wall for wall, _ in timed]
        floor = max(floor for _, floor in timed)
        median = statistics.median(walls)
        verdict = "within budget" if median <= measurement.budget else "OVER BUDGET"
        if median > measurement.budget:
            over.append(measurement.label)
        print(
            f"{measurement.label:<{width}} {measurement.budget:>6.1f}s {floor:>6.2f}s "
            f"{min(walls):>6.2f}s {median:>6.2f}s  {verdict}",
            flush=True,
        )
    if not args.only or any(key in "nox" for key in args.only):
        line = nox_overhead(args.repeat)
        print(line, flush=True)
        if line.endswith("OVER BUDGET"):
            over.append("nox")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
