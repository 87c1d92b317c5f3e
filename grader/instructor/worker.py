"""The grader process of one submission in a batch, and the sweeping after it.

``worker_command`` starts *this* copy of the grader (never the student's) as ``worker_main``:
it grades with the engine (``grading.grade``), writes the ``lockstep/result/v1`` JSON the
batch reads back (``GradeResult.from_json``), then kills whatever its runs left behind that
came back to it (it is a child subreaper). Every process of its runs inherits its private
``TMPDIR``; ``sweep`` kills every process still carrying it. If the batch is killed, the grader
process notices (its parent changed), ends itself and leaves the sweeping and the removal of
its folder to a process of its own (``clean_up_after``): its grading threads may start runs up
to the very end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import psutil

from .. import reaper
from ..catalogue import load_catalogue
from ..formats.project import KIT_ROOT
from ..grading import grade
from ..integrity import KitChanged

EXIT_GRADED = 0
"""The results file is written."""
EXIT_FAULT = 2
"""The grading itself failed; the last line the grader process wrote to stderr says why."""
EXIT_ORPHANED = 3
"""Exit code of a grader process that stopped because its batch was gone."""
_SWEEP_GRACE = 3.0
_WATCH_EVERY = 0.5


def worker_command(
    exercises: Sequence[str],
    submission: Path,
    results: Path,
    *,
    jobs: int,
    start_methods: Sequence[str] = (),
) -> list[str]:
    """The command line of a grader process that grades ``exercises`` (ids) of the folder
    ``submission`` into the results file ``results``, for the batch that calls this (whose PID
    it is given: by the time it asks for its parent, the batch may already be gone)."""
    arguments = (
        f"{list(exercises)!r}, {str(submission)!r}, {str(results)!r}, jobs={jobs}, "
        f"start_methods={list(start_methods)!r}, batch={os.getpid()}"
    )
    return _calling("worker_main", arguments)


def _calling(function: str, arguments: str) -> list[str]:
    """A command line that exits with what ``function(arguments)`` of this module returns,
    imported from *this* copy of the grader (first on the path), never from a student's."""
    code = (
        f"import sys; sys.path.insert(0, {str(KIT_ROOT)!r}); "
        f"from grader.instructor.worker import {function}; sys.exit({function}({arguments}))"
    )
    return [sys.executable, "-c", code]


def sweep(marker: str) -> None:
    """Kill every process whose ``TMPDIR`` or run folder lies under ``marker``, until none is
    left (or the grace time is over)."""
    deadline = time.monotonic() + _SWEEP_GRACE
    while strays := _strays(marker):
        _kill(strays)
        if time.monotonic() > deadline:
            break


def worker_main(
    exercises: Sequence[str],
    submission: str,
    results: str,
    *,
    jobs: int,
    start_methods: Sequence[str],
    batch: int,
) -> int:
    """The grader process of one submission for the batch ``batch`` (its parent's PID): grade,
    write the results, then kill whatever the runs left behind that came back to it (it is a
    child subreaper).

    If the batch dies (``kill -9``, a test's timeout), nobody will read the results: the
    grader process then ends its runs and itself instead of grading on without a reader, and
    has its folder removed, which the batch would have done.
    """
    reaper.become_subreaper()
    threading.Thread(target=_watch_batch, args=(batch,), daemon=True).start()
    try:
        return _grade(exercises, Path(submission), Path(results), jobs, start_methods)
    finally:
        _end_descendants()
        if os.getppid() != batch:  # the batch died while the grading was ending
            _end_orphaned()


def _grade(
    ids: Sequence[str], submission: Path, results: Path, jobs: int, start_methods: Sequence[str]
) -> int:
    catalogue = {exercise.id: exercise for exercise in load_catalogue()}
    try:
        exercises = [catalogue[exercise_id] for exercise_id in ids]
        result = grade(submission, exercises, start_methods=start_methods or None, jobs=jobs)
    except KitChanged as error:  # a submission wrote into the kit: no results at all
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAULT
    except Exception:
        traceback.print_exc()
        return EXIT_FAULT
    result.write_json(results)
    return EXIT_GRADED


def _watch_batch(batch: int) -> None:
    while os.getppid() == batch:
        time.sleep(_WATCH_EVERY)
    _end_orphaned()


def _end_orphaned() -> NoReturn:
    """End this grader process, whose batch is gone, and have its folder cleaned up."""
    # This process's grading threads may start runs until the very end, so the cleaning up
    # is left to a process of its own that starts once this one has ended.
    marker = os.environ.get("TMPDIR", "")
    if marker:
        env = {key: value for key, value in os.environ.items() if key != "TMPDIR"}
        with contextlib.suppress(OSError):
            subprocess.Popen(
                _calling("clean_up_after", f"{os.getpid()}, {marker!r}"),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
    os._exit(EXIT_ORPHANED)


def clean_up_after(worker: int, marker: str) -> None:
    """Once the grader process ``worker`` of a vanished batch has ended, kill every process
    under its ``TMPDIR`` (``marker``) and remove its folder, and the batch's once empty."""
    deadline = time.monotonic() + _SWEEP_GRACE
    while time.monotonic() < deadline:
        try:
            if psutil.Process(worker).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.Error:
            break
        time.sleep(0.05)
    sweep(marker)
    place = Path(marker).parent
    shutil.rmtree(place, ignore_errors=True)
    with contextlib.suppress(OSError):
        place.parent.rmdir()  # the last one to finish finds it empty


def _end_descendants() -> None:
    deadline = time.monotonic() + _SWEEP_GRACE
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            leftovers = psutil.Process().children(recursive=True)
            if not leftovers:
                break
            _kill(leftovers)


def _strays(marker: str) -> list[psutil.Process]:
    """Live processes whose environment places them under the batch folder ``marker``."""
    me = os.getpid()
    alive = []
    for process in psutil.process_iter():
        if process.pid == me:
            continue
        try:
            env = process.environ()
            if not any(_under(env.get(k, ""), marker) for k in ("TMPDIR", "LOCKSTEP_RUN_DIR")):
                continue
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except (psutil.Error, OSError):
            continue
    return alive


def _kill(processes: list[psutil.Process]) -> None:
    """Stop them all first (so none can fork a replacement), then kill and reap them."""
    reaper.signal_each(processes, signal.SIGSTOP)
    reaper.signal_each(processes, signal.SIGKILL)
    psutil.wait_procs(processes, timeout=0.5)


def _under(path: str, marker: str) -> bool:
    return bool(path) and (path == marker or path.startswith(marker.rstrip(os.sep) + os.sep))
