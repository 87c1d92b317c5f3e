"""One engine, one small layer per platform: where a graded run's sandbox differs.

The engine (``base.py``) is the same everywhere; each layer starts a run in a group of its
own with its limits, asks every process of the run for its stacks, finds and ends every
process of the run, and tells an escapee:

- ``posix.py``: Linux (a PID namespace where allowed, a subreaper, ``/proc``) and macOS
  (session and process group, ``setrlimit``, ``psutil``); stacks on ``SIGUSR1``.
- ``portable.py``: no ``fork``, no signals, no ``/proc``: ``subprocess``, ``psutil`` and the
  run's environment marker, stacks from timers armed inside each process.
- ``windows.py``: the portable layer, each run in a Job Object.

``LOCKSTEP_BACKEND=portable`` runs the portable layer on any system (the kit's tests run the
fixture suite through it on Linux, so that the code Windows runs is tested here too);
unset, or ``native``, each system gets its own.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from .base import RunSandbox

BACKENDS = ("native", "portable")


def backend() -> str:
    """``native`` or ``portable``, from ``LOCKSTEP_BACKEND`` (read at each run)."""
    chosen = os.environ.get("LOCKSTEP_BACKEND", "") or "native"
    if chosen not in BACKENDS:
        raise ValueError(f"LOCKSTEP_BACKEND={chosen!r}: expected one of {', '.join(BACKENDS)}")
    return chosen


def sandbox_class() -> type[RunSandbox]:
    """The layer a run starts in here."""
    if backend() == "portable":
        from .portable import PortableSandbox

        return PortableSandbox
    if sys.platform == "win32":
        from .windows import WindowsSandbox

        return WindowsSandbox
    from .posix import PosixSandbox

    return PosixSandbox


def system() -> str:
    """The operating system a check may be unjudgeable on (``sys.platform``: ``linux``,
    ``darwin``, ``win32``), whichever layer runs."""
    return sys.platform


def system_name() -> str:
    """The operating system as a student calls it."""
    names = {"win32": "Windows", "darwin": "macOS", "linux": "Linux"}
    return names.get(system(), system())


def start_methods() -> tuple[str, ...]:
    """The start methods this system has (Windows: spawn only)."""
    return tuple(multiprocessing.get_all_start_methods())
