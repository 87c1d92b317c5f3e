"""Find every process a graded run started, escapees included, and end them all.

A run's launcher leads its own process group, and every process of the run inherits the
environment variable ``LOCKSTEP_RUN_DIR`` naming the run. Where the launcher could give the run
a PID namespace, every process of the run, escapees included, stays a descendant of the
launcher and dies with the namespace's init. Elsewhere: a process that leaves the group
(``setsid()`` after a double fork) keeps the variable; one that also clears its environment is
still a descendant of the grader, which is a child subreaper on Linux, so orphans come back to
it instead of to init.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable

import psutil

_PR_SET_CHILD_SUBREAPER = 36

_harnesses_lock = threading.Lock()
_harnesses: set[int] = set()
"""PIDs of running harnesses: the grader's own children, which their threads wait for."""


def become_subreaper() -> None:
    """Make orphaned descendants children of this process (Linux only; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def register_harness(pid: int) -> None:
    with _harnesses_lock:
        _harnesses.add(pid)


def unregister_harness(pid: int) -> None:
    with _harnesses_lock:
        _harnesses.discard(pid)


def inner_pid(pid: int) -> int:
    """The PID a process has in its own PID namespace (the one the submission saw and the
    probe recorded); the same PID where namespaces are not used."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        pass
    return pid


def _environ(process: psutil.Process) -> dict[str, str]:
    try:
        return process.environ()
    except (psutil.Error, OSError):
        return {}


def run_processes(run_dir: str, pgid: int, by_group: bool = True) -> list[psutil.Process]:
    """The live (non-zombie) processes of a run: the process ``pgid`` and its descendants,
    the processes of its group (unless not ``by_group``: there are no process groups on
    Windows) and those carrying the run's environment marker."""
    me = os.getpid()
    found: dict[int, psutil.Process] = {}
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(pgid).children(recursive=True):
            found[child.pid] = child
        found[pgid] = psutil.Process(pgid)
    for process in psutil.process_iter():
        if process.pid in found or process.pid == me:
            continue
        try:
            in_group = by_group and os.getpgid(process.pid) == pgid
        except OSError:
            continue
        if in_group or _environ(process).get("LOCKSTEP_RUN_DIR") == run_dir:
            found[process.pid] = process
    alive = []
    for process in found.values():
        with contextlib.suppress(psutil.Error):
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
    return alive


def signal_each(processes: Iterable[psutil.Process], signum: int) -> None:
    for process in processes:
        with contextlib.suppress(psutil.Error, OSError):
            process.send_signal(signum)


def end_run(run_dir: str, pgid: int, grace: float = 2.0) -> list[int]:
    """Kill every process of the run until none is left; returns the PIDs that were alive.

    The processes are stopped before they are killed so that one that forks in a loop cannot
    outrun the killing; the scan repeats until it finds nothing (or ``grace`` has passed).
    """
    ended: list[int] = []
    deadline = time.monotonic() + grace
    while True:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
        alive = run_processes(run_dir, pgid)
        if not alive or time.monotonic() > deadline:
            break
        signal_each(alive, signal.SIGSTOP)
        signal_each(alive, signal.SIGKILL)
        ended.extend(p.pid for p in alive)
        psutil.wait_procs(alive, timeout=0.5)
    reap_orphans()
    return ended


def reap_orphans() -> None:
    """Collect the exit status of ended processes that were reparented to the grader (POSIX;
    Windows has no zombies)."""
    if os.name != "posix":
        return
    with _harnesses_lock:
        keep = set(_harnesses)
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process().children():
            if child.pid in keep:
                continue
            with contextlib.suppress(psutil.Error, ChildProcessError, OSError):
                if child.status() == psutil.STATUS_ZOMBIE:
                    os.waitpid(child.pid, os.WNOHANG)
