"""Grade a whole class: every submission under a folder, with the instructor's own grader.

Each subfolder of the class folder is one student (``submissions.py`` finds their modules).
The modules are copied into a private folder and graded by a grader process of their own
(``worker.py``), several submissions at a time; each student's results become one row of the
gradebook (``gradebook.py``).

Containment: what a submission can do to its parent, or to its parent's process group, it does
to its grader process, which runs in a session of its own with a private ``TMPDIR`` that every
process of its runs inherits; once it has ended, in any way, every process still carrying that
``TMPDIR`` is killed. When the grading of a submission fails as a whole, each of its exercises
is graded again on its own, so a hostile exercise costs only its own cell.

The batch itself is deliberately *not* a subreaper: a run orphaned by the death of its grader
process would otherwise be reparented to the batch, and a program that kills its parent's
process group would then kill the batch (and the shell that started it). This contains a
program that misbehaves; it is not a sandbox against one that hunts for the batch's PID: grade
classes you do not trust in a container or a throw-away VM.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .. import grading
from ..catalogue import ExerciseInfo
from ..results import ExerciseResult, GradeResult
from .gradebook import GRADED, NO_EXERCISES, NOT_GRADED, PARTLY_GRADED, CheckOutcome, Row
from .submissions import Submission, find_submissions
from .worker import EXIT_GRADED, sweep, worker_command

DEFAULT_JOBS = max(2, os.cpu_count() or 1)
"""Submissions graded at once: one per core (two on this 2-core machine). One grading already
runs ``grading.DEFAULT_JOBS`` runs at once (4 per core), most of them waiting on a lock, a
queue or a deadline, and keeps about 0.7 of a 2-core machine busy; the batch splits that same
budget of runs between its submissions (``runs_per_submission``), so that one submission's
waits overlap another's work while the machine is loaded no more than by a single grading.
More would make every run slower, and a deadline that a right program misses on an
overloaded machine is a wrong grade."""
DEFAULT_TIMEOUT = 300.0
"""Seconds one grader process may take before it is killed: a backstop, since every run of the
grader has its own deadline of a few seconds (the exercise's ``timeout`` in the catalogue)."""

Progress = Callable[[int, int, Row], None]


@dataclass(frozen=True)
class _Graded:
    """The results of one grader process, by exercise id."""

    exercises: dict[str, ExerciseResult]


@dataclass(frozen=True)
class _Fault:
    """A grader process that gave no results: why, and whether grading each exercise on its
    own could still save the others (not after a timeout: it would only take as long again)."""

    message: str
    retry: bool = True


def runs_per_submission(jobs: int) -> int:
    """Runs at once inside each grader process, so the whole batch stays near one grading."""
    return max(2, grading.DEFAULT_JOBS // max(1, jobs))


def grade_class(
    root: Path,
    exercises: Sequence[ExerciseInfo],
    *,
    jobs: int = DEFAULT_JOBS,
    start_methods: Sequence[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
) -> list[Row]:
    """Grade every submission under ``root``; one row per student, in the order of their names.

    Never raises for a broken, hanging or hostile submission: its fault is its row's note.
    """
    submissions = find_submissions(root, exercises)
    with _Batch(exercises, start_methods, timeout, runs_per_submission(jobs)) as batch:
        rows: dict[str, Row] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="lockstep-batch")
        try:
            futures = {
                pool.submit(batch.grade, submission, index): submission
                for index, submission in enumerate(submissions)
            }
            for future in as_completed(futures):
                submission = futures[future]
                try:
                    row = future.result()
                except Exception as error:  # a fault of the batch itself: still only one row
                    row = _fault_row(submission, exercises, f"the batch failed: {error!r}")
                rows[submission.student] = row
                if progress is not None:
                    progress(len(rows), len(submissions), row)
        finally:
            batch.stop()
            pool.shutdown(wait=True, cancel_futures=True)
    return [rows[s.student] for s in submissions if s.student in rows]


class _Batch:
    """The grader processes of one batch, their private folders, and the sweeping after them."""

    def __init__(
        self,
        exercises: Sequence[ExerciseInfo],
        start_methods: Sequence[str] | None,
        timeout: float,
        runs: int,
    ) -> None:
        self.exercises = list(exercises)
        self.start_methods = list(start_methods or [])
        self.timeout = timeout
        self.runs = runs
        self.root = Path(tempfile.mkdtemp(prefix="lockstep-batch-"))
        self.workers: dict[int, subprocess.Popen[bytes]] = {}
        self.workers_lock = threading.Lock()
        self.stopping = threading.Event()

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        sweep(str(self.root))
        shutil.rmtree(self.root, ignore_errors=True)

    def stop(self) -> None:
        """Start no more grader processes, and kill the running ones (after an interrupt)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        with self.workers_lock:
            running = list(self.workers)
        for pid in running:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)

    def grade(self, submission: Submission, index: int) -> Row:
        """One student's row."""
        if not submission.modules and not submission.problems:
            return _empty_row(submission, self.exercises)
        place = self.root / f"{index:04d}"
        private = place / "submission"
        private.mkdir(parents=True)
        for path in submission.modules.values():
            shutil.copyfile(path, private / path.name)
        present = [e for e in self.exercises if e.id in submission.modules]
        faults: dict[str, str] = {}
        graded = _Graded({})
        if present:
            outcome = self.run_grader(place, present)
            if isinstance(outcome, _Graded):
                graded = outcome
            elif len(present) == 1 or not outcome.retry:
                faults = {e.id: outcome.message for e in present}
            else:  # grade each exercise on its own: only the guilty one loses its cell
                for exercise in present:
                    alone = self.run_grader(place, [exercise])
                    if isinstance(alone, _Graded):
                        graded.exercises.update(alone.exercises)
                    else:
                        faults[exercise.id] = alone.message
        shutil.rmtree(place, ignore_errors=True)
        return _row(submission, self.exercises, graded, faults)

    def run_grader(self, place: Path, exercises: Sequence[ExerciseInfo]) -> _Graded | _Fault:
        """Grade ``exercises`` of ``place/submission`` in a grader process of their own.

        Returns the results, or what went wrong with the grading (for the row's notes).
        """
        interrupted = _Fault("the batch was interrupted", retry=False)
        if self.stopping.is_set():
            return interrupted
        tmp = place / "tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        result_path = place / "result.json"
        result_path.unlink(missing_ok=True)
        command = worker_command(
            [e.id for e in exercises],
            place / "submission",
            result_path,
            jobs=self.runs,
            start_methods=self.start_methods,
        )
        env = {**os.environ, "TMPDIR": str(tmp)}
        timed_out = False
        with open(place / "stderr.txt", "wb") as stderr:
            with self.workers_lock:
                if self.stopping.is_set():
                    return interrupted
                worker = subprocess.Popen(
                    command,
                    cwd=place,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,
                )
                self.workers[worker.pid] = worker
            try:
                worker.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                with contextlib.suppress(OSError):
                    os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                with self.workers_lock:
                    del self.workers[worker.pid]
                sweep(str(place))
        if self.stopping.is_set():
            return interrupted
        if timed_out:
            return _Fault(f"grading did not finish within {self.timeout:g} s", retry=False)
        if worker.returncode < 0:
            name = _signal_name(-worker.returncode)
            return _Fault(
                f"the grader was killed by {name} (does the program end its parent's processes?)"
            )
        if worker.returncode != EXIT_GRADED:
            return _Fault(f"the grader failed: {_last_line(place / 'stderr.txt')}")
        try:
            result = GradeResult.from_json(json.loads(result_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            return _Fault(f"the grader wrote no readable results ({error.__class__.__name__})")
        return _Graded({exercise.id: exercise for exercise in result.exercises})


def _row(
    submission: Submission,
    exercises: Sequence[ExerciseInfo],
    graded: _Graded,
    faults: dict[str, str],
) -> Row:
    scores: dict[str, int | None] = {}
    notes: list[str] = []
    checks: list[CheckOutcome] = []
    for exercise in exercises:
        if exercise.id in graded.exercises:
            result = graded.exercises[exercise.id]
            outcomes = [CheckOutcome(result.id, c.name, c.status) for c in result.checks]
            scores[exercise.id] = result.score
            checks += outcomes
            notes += _exercise_notes(exercise, outcomes, [c.message for c in result.checks])
        elif exercise.id in faults:
            scores[exercise.id] = None
            notes.append(f"{exercise.id} not graded: {faults[exercise.id]}")
        elif exercise.id in submission.problems:
            scores[exercise.id] = 0
            notes.append(submission.problems[exercise.id])
        else:
            scores[exercise.id] = 0
            notes.append(f"{exercise.filename} missing")
    if faults and graded.exercises:
        status = PARTLY_GRADED
    elif faults:
        status = NOT_GRADED
    else:
        status = GRADED
    return Row(submission.student, scores, status, tuple(notes), tuple(checks))


def _exercise_notes(
    exercise: ExerciseInfo, outcomes: Sequence[CheckOutcome], messages: Sequence[str]
) -> list[str]:
    if outcomes and all(o.status == "error" for o in outcomes):
        first = next((m for m in messages if m), "could not be run")
        return [f"{exercise.id}: {_shorten(first.splitlines()[0])}"]
    hung = [o.check for o in outcomes if o.status == "timeout"]
    if not hung:
        return []
    return [f"{exercise.id} hung" + ("" if len(hung) == len(outcomes) else f" ({', '.join(hung)})")]


def _empty_row(submission: Submission, exercises: Sequence[ExerciseInfo]) -> Row:
    example = exercises[0].filename if exercises else "the exercise modules"
    note = (
        f"no exercise modules in {submission.folder.name}/exercises/ or {submission.folder.name}/"
        f" (expected files such as {example})"
    )
    return Row(submission.student, {e.id: 0 for e in exercises}, NO_EXERCISES, (note,))


def _fault_row(submission: Submission, exercises: Sequence[ExerciseInfo], fault: str) -> Row:
    return Row(submission.student, {e.id: None for e in exercises}, NOT_GRADED, (fault,))


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _last_line(path: Path) -> str:
    with contextlib.suppress(OSError):
        lines = [line for line in path.read_text("utf-8", "replace").splitlines() if line.strip()]
        if lines:
            return _shorten(lines[-1])
    return "no error message"


def _shorten(text: str, limit: int = 160) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
