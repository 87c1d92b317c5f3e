"""``python -m grader.maintainer.stress``: grade every reference solution and fixture many times
under load, and fail if any verdict flips.

Every file in ``solutions/`` and every fixture in ``tests/fixtures/<exercise id>/`` (or one
folder deeper, ``tests/fixtures/<group>/<exercise id>/``) that exists when it starts is graded
``--runs`` times under each start method, every other run with ``PYTHONUNBUFFERED=1``,
while a busy loop per core keeps the machine loaded. One row per (exercise, submission, start
method, ``-`` for the thread exercises) gives the runs, how many earned full marks, how many
did not, and the flips: the checks whose status was not the same in every run. A fixture
declares what it must score in its first line (``# expect: ...``, see ``Expectation``; a
solution must earn full marks); a row whose runs contradict that is listed. The exit code is 1
if anything flipped or contradicted its declaration.

Fixtures marked ``lockstep: sandbox-only`` (they write into the kit) are never graded here;
those marked ``lockstep: needs-pid-namespace`` only where runs get a PID namespace.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..catalogue import ExerciseInfo, load_catalogue
from ..cli_constants import START_METHODS
from ..formats.project import KIT_ROOT
from ..grading import grade
from ..integrity import KitChanged
from ..sandbox import pid_namespaces

_BUSY_LOOP = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    pass\n"
SANDBOX_ONLY = "lockstep: sandbox-only"
NEEDS_NAMESPACE = "lockstep: needs-pid-namespace"
NO_PROCESSES = "-"
EXPECT = "# expect: "


@dataclass(frozen=True)
class Expectation:
    """What a fixture declares it must score, in its first line (as exercism's golden folders
    hold their expected results): ``# expect: full marks``; ``# expect: fails a, b`` (at least
    these checks fail, and no check is an error: it loses points for its own reason, not
    because it did not load); ``# expect: fails only a, b`` (these checks and no other)."""

    failing: frozenset[str]
    only: bool

    @classmethod
    def of(cls, path: Path) -> Expectation | None:
        """The declaration at the top of ``path``; ``None`` when it has none."""
        first = path.read_text(encoding="utf-8", errors="replace").partition("\n")[0]
        if not first.startswith(EXPECT):
            return None
        said = first[len(EXPECT) :].strip()
        if said == "full marks":
            return cls(frozenset(), only=True)
        only = said.startswith("fails only ")
        names = said.removeprefix("fails only " if only else "fails ").split(",")
        return cls(frozenset(name.strip() for name in names if name.strip()), only)

    def contradicted(self, statuses: Mapping[str, Collection[str]]) -> list[str]:
        """The checks whose statuses (over one run or many) contradict the declaration, and
        any declared check the exercise does not have."""
        wrong = sorted(self.failing - statuses.keys())
        for name, seen in statuses.items():
            if name in self.failing:
                wrong += [name] if {"passed", "error"} & set(seen) else []
            elif set(seen) - ({"passed"} if self.only else {"passed", "failed", "timeout"}):
                wrong.append(name)
        return wrong


FULL_MARKS = Expectation(frozenset(), only=True)


@dataclass(frozen=True)
class Submission:
    exercise: ExerciseInfo
    name: str
    """``solution``, or the fixture's path under ``tests/fixtures`` without ``.py``."""
    path: Path
    expected: Expectation | None = FULL_MARKS

    @property
    def key(self) -> str:
        return f"{self.exercise.id}/{self.name}"


@dataclass
class Row:
    """What the runs of one submission under one start method gave."""

    runs: int = 0
    passes: int = 0
    statuses: dict[str, set[str]] = field(default_factory=dict)
    """Each check's statuses over the runs."""

    @property
    def flips(self) -> list[str]:
        return sorted(name for name, seen in self.statuses.items() if len(seen) > 1)


def submissions(root: Path = KIT_ROOT) -> tuple[list[Submission], list[str]]:
    """What to grade, and what was left out (with why)."""
    found: list[Submission] = []
    skipped: list[str] = []
    namespaces: bool | None = None
    fixtures = root / "tests" / "fixtures"
    for exercise in load_catalogue():
        solution = root / "solutions" / exercise.filename
        if solution.is_file():
            found.append(Submission(exercise, "solution", solution))
        folders = [fixtures / exercise.id, *sorted(fixtures.glob(f"*/{exercise.id}"))]
        for folder in folders:
            for path in sorted(folder.glob("*.py")):
                name = str(path.relative_to(fixtures).with_suffix(""))
                text = path.read_text(encoding="utf-8", errors="replace")
                if SANDBOX_ONLY in text:
                    skipped.append(f"{name}: writes into the kit (graded by its test, in a copy)")
                    continue
                if NEEDS_NAMESPACE in text:
                    namespaces = pid_namespaces() if namespaces is None else namespaces
                    if not namespaces:
                        skipped.append(f"{name}: needs a PID namespace, not available here")
                        continue
                found.append(Submission(exercise, name, path, Expectation.of(path)))
    return found, skipped


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """Keep ``count`` cores busy with a loop each, for as long as the block runs (a loop also
    ends by itself when this process does, however it ends)."""
    loops = [
        subprocess.Popen(
            [sys.executable, "-c", _BUSY_LOOP],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for loop in loops:
            with contextlib.suppress(OSError):
                os.killpg(loop.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                loop.wait()


@contextlib.contextmanager
def unbuffered(value: bool) -> Iterator[None]:
    """``PYTHONUNBUFFERED`` set (to 1) or unset for the runs started inside the block."""
    saved = os.environ.pop("PYTHONUNBUFFERED", None)
    if value:
        os.environ["PYTHONUNBUFFERED"] = "1"
    try:
        yield
    finally:
        os.environ.pop("PYTHONUNBUFFERED", None)
        if saved is not None:
            os.environ["PYTHONUNBUFFERED"] = saved


def methods_of(exercise: ExerciseInfo, methods: Sequence[str]) -> list[str]:
    """The chosen start methods the exercise is graded under; ``-`` for one that starts no
    processes (its runs would be the same under each)."""
    return [m for m in methods if m in exercise.start_methods] or [NO_PROCESSES]


def grade_once(submission: Submission, method: str, scratch: Path) -> dict[str, str]:
    """Each check's status from one grading of the submission under one start method."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    try:
        shutil.copy(submission.path, folder / submission.exercise.filename)
        try:
            chosen = None if method == NO_PROCESSES else [method]
            result = grade(folder, [submission.exercise], start_methods=chosen, jobs=4)
        except KitChanged:
            return {check.name: "kit-changed" for check in submission.exercise.checks}
        return {check.name: check.status for check in result.exercises[0].checks}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stress(
    chosen: Sequence[Submission], methods: Sequence[str], runs: int, parallel: int, load: int
) -> dict[tuple[str, str, str], Row]:
    work = [(s, m) for s in chosen for m in methods_of(s.exercise, methods)]
    rows = {(s.exercise.id, s.name, m): Row() for s, m in work}
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="lockstep-stress-"))
    try:
        with busy_cores(load), ThreadPoolExecutor(max_workers=parallel) as pool:
            for done in range(runs):
                setting = done % 2 == 0  # every other round with PYTHONUNBUFFERED set
                with unbuffered(setting):
                    graded = pool.map(lambda job: grade_once(job[0], job[1], scratch), work)
                    for (submission, method), statuses in zip(work, graded, strict=True):
                        row = rows[(submission.exercise.id, submission.name, method)]
                        row.runs += 1
                        row.passes += all(s == "passed" for s in statuses.values())
                        for check, status in statuses.items():
                            row.statuses.setdefault(check, set()).add(status)
                print(
                    f"round {done + 1} of {runs} done (PYTHONUNBUFFERED "
                    f"{'set' if setting else 'unset'}), {time.monotonic() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


def table(rows: dict[tuple[str, str, str], Row]) -> str:
    width = max([len(name) for _, name, _ in rows] + [10])
    lines = [f"{'exercise':<24} {'submission':<{width}} {'method':<11} runs passes fails flips"]
    for (exercise, name, method), row in rows.items():
        flips = ", ".join(f"{c}: {'/'.join(sorted(row.statuses[c]))}" for c in row.flips)
        lines.append(
            f"{exercise:<24} {name:<{width}} {method:<11} {row.runs:>4} {row.passes:>6} "
            f"{row.runs - row.passes:>5} {len(row.flips):>5}" + (f"  ({flips})" if flips else "")
        )
    return "\n".join(lines)


def graded_as_a_whole(
    rows: Mapping[tuple[str, str, str], Row], submission: Submission
) -> dict[str, set[str]]:
    """Each check's statuses as a student's gradings show them, every start method at once: a
    check fails a grading when it fails under any method (a module-level lock is right under
    fork only, and its fixture declares the failure). A check failed under one method on
    every run is ``failed``; otherwise each method's statuses count."""
    mine = [
        row for (exercise, name, _), row in rows.items() if f"{exercise}/{name}" == submission.key
    ]
    whole: dict[str, set[str]] = {}
    for row in mine:
        for check, seen in row.statuses.items():
            whole.setdefault(check, set()).update(seen)
    for check in whole:
        always = [row.statuses.get(check, set()) for row in mine]
        if any(seen and seen <= {"failed", "timeout"} for seen in always):
            whole[check] = {"failed"}
    return whole


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m grader.maintainer.stress", description=__doc__)
    cli.add_argument(
        "--runs",
        type=int,
        default=20,
        help="gradings per submission and start method (default: 20)",
    )
    cli.add_argument(
        "--start-method", action="append", choices=START_METHODS, dest="methods", default=None
    )
    cli.add_argument("--parallel", type=int, default=4, help="gradings at once (default: 4)")
    cli.add_argument(
        "--load", type=int, default=os.cpu_count() or 1, help="busy loops (default: one per core)"
    )
    cli.add_argument("--only", action="append", default=[], help="submissions whose name has this")
    args = cli.parse_args(argv)
    found, skipped = submissions()
    chosen = [s for s in found if not args.only or any(k in s.key for k in args.only)]
    methods = args.methods or list(START_METHODS)
    print(
        f"Stress: {len(chosen)} submissions x {len(methods)} start methods x {args.runs} runs "
        f"(PYTHONUNBUFFERED set in every other one), {args.load} busy loops, "
        f"{args.parallel} at once",
        flush=True,
    )
    started = time.monotonic()
    rows = stress(chosen, methods, args.runs, args.parallel, args.load)
    print(table(rows))
    for note in skipped:
        print(f"skipped {note}")
    flipped = [key for key, row in rows.items() if row.flips]
    contradicted = [
        f"{submission.key}: {', '.join(checks)}"
        for submission in chosen
        if submission.expected is not None
        and (checks := submission.expected.contradicted(graded_as_a_whole(rows, submission)))
    ]
    for line in contradicted:
        print(f"contradicts its declaration: {line}")
    wall = time.monotonic() - started
    print(
        f"{len(flipped)} of {len(rows)} rows flipped, {len(contradicted)} contradicted their "
        f"declaration; wall time {wall:.0f} s"
    )
    return 1 if flipped or contradicted else 0


if __name__ == "__main__":
    sys.exit(main())
