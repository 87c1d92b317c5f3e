"""Start one graded run in its sandbox and watch it until it ends, hangs or goes too far.

The sandbox is the platform's (``grader/platforms``): on Linux and macOS the run starts as
``launcher.py`` (limits, a session of its own, a PID namespace where Linux allows it); on
Windows, and with ``LOCKSTEP_BACKEND=portable``, as ``launcher.py spawn`` (in a Job Object on
Windows). The run is watched from here: its exit status, its deadline, its output (read as it
comes, kept up to a cap, so a flood neither fills a disk nor the grader's memory), how many
processes it has and how much the probe has recorded. The first limit passed ends the watch;
``end()`` then finds every process of the run, says which were still alive, and kills them all.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path

from . import platforms
from .platforms import base
from .platforms.base import KEPT_OUTPUT, STRETCH, RunSandbox

__all__ = [
    "KEPT_OUTPUT",
    "STRETCH",
    "Interrupted",
    "RunSandbox",
    "ended_on_interrupt",
    "pid_namespaces",
    "start",
]


def start(
    run_dir: Path,
    program: list[str],
    env: dict[str, str],
    cwd: Path,
    read_only: Sequence[Path] = (),
    deadline: float | None = None,
) -> RunSandbox:
    """Start ``program`` (the harness) in a new sandbox; ``deadline`` (seconds) is when the
    processes of a layer that cannot be signalled dump their stacks. Raises ``Interrupted``
    while an interrupted grading is ending its runs."""
    if _interrupted.is_set():
        raise Interrupted
    sandbox = platforms.sandbox_class()(run_dir, program, env, cwd, read_only, deadline)
    base.track(sandbox)
    return sandbox


class Interrupted(KeyboardInterrupt):
    """No run starts: the grading was interrupted (Ctrl+C)."""


_interrupted = threading.Event()


@contextlib.contextmanager
def ended_on_interrupt(pool: Executor) -> Iterator[None]:
    """Ctrl+C (``KeyboardInterrupt``) inside the block ends every run at once, starts none
    of those still waiting in ``pool``, and is raised again once they have all ended: the
    student's terminal is back within moments, with nothing left running. (Where the grader
    is killed instead, its runs end with it: ``launcher.py``, and the Job Object on
    Windows.)"""
    try:
        yield
    except KeyboardInterrupt:
        _interrupted.set()
        try:
            base.stop_every_run()
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            _interrupted.clear()
        raise


def pid_namespaces() -> bool:
    """Whether runs are held in a PID namespace here (where they are, a submission's signals
    cannot reach outside its own run, and the kit is read-only for it)."""
    from .platforms import posix

    return platforms.sandbox_class() is posix.PosixSandbox and posix.pid_namespaces()
