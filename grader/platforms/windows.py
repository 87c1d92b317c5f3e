"""Windows: the portable layer (``portable.py``: spawn only, stacks from timers armed inside
each process, UTF-8 mode), with each run held in a Job Object.

The Job Object (``kernel32``, through ``ctypes``) is what a process group and a PID namespace
are elsewhere: every process the run starts, at any depth and whatever it does to leave its
parent, is in the job; ``TerminateJobObject`` ends them all at once; and because the job is
made with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``, a grader that ends in any way (Ctrl+C, closed
console, killed from the Task Manager) closes its handle and takes every run with it. The job
also caps how many processes the run has and how much memory each commits: backstops between
two looks of the watch, set above the limits it enforces itself (``limits.py``), so that a run
that goes too far is named for the same limit as on Linux.

Written against Microsoft's documented API (CreateJobObjectW, SetInformationJobObject with
JOBOBJECT_EXTENDED_LIMIT_INFORMATION, OpenProcess, AssignProcessToJobObject,
TerminateJobObject, CloseHandle); it cannot run on the machines the kit is developed on, so it
is kept small, and everything around it is the portable layer, tested on every CI run.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import limits
from .portable import PortableSandbox

_JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
"""``JOBOBJECTINFOCLASS`` value of ``JobObjectExtendedLimitInformation``."""
_LIMIT_ACTIVE_PROCESS = 0x00000008
_LIMIT_PROCESS_MEMORY = 0x00000100
_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
_PROCESS_SET_QUOTA = 0x0100
_PROCESS_TERMINATE = 0x0001
PROCESS_BACKSTOP = 2 * limits.MAX_PROCESSES
"""The job refuses new processes past this many (the watch ends the run at MAX_PROCESSES)."""


class BasicLimits(ctypes.Structure):
    """``JOBOBJECT_BASIC_LIMIT_INFORMATION``."""

    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class IoCounters(ctypes.Structure):
    """``IO_COUNTERS``."""

    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "ReadOperationCount",
            "WriteOperationCount",
            "OtherOperationCount",
            "ReadTransferCount",
            "WriteTransferCount",
            "OtherTransferCount",
        )
    ]


class ExtendedLimits(ctypes.Structure):
    """``JOBOBJECT_EXTENDED_LIMIT_INFORMATION``."""

    _fields_ = [
        ("BasicLimitInformation", BasicLimits),
        ("IoInfo", IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


def job_limits() -> ExtendedLimits:
    """The limits every run's job gets."""
    info = ExtendedLimits()
    basic = info.BasicLimitInformation
    basic.LimitFlags = _LIMIT_KILL_ON_JOB_CLOSE | _LIMIT_ACTIVE_PROCESS | _LIMIT_PROCESS_MEMORY
    basic.ActiveProcessLimit = PROCESS_BACKSTOP
    info.ProcessMemoryLimit = limits.ADDRESS_SPACE_MB * limits.MB  # as RLIMIT_AS elsewhere
    return info


class Job:
    """One Job Object: made with its limits, given the run's first process, ended with it."""

    def __init__(self) -> None:
        self._kernel32 = _kernel32()
        # An unnamed job: nothing outside the grader can open it.
        self.handle = self._kernel32.CreateJobObjectW(None, None)
        if not self.handle:
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined,unused-ignore]
        info = job_limits()
        if not self._kernel32.SetInformationJobObject(
            self.handle,
            _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
            ctypes.byref(info),
            ctypes.sizeof(info),
        ):
            error = ctypes.get_last_error()  # type: ignore[attr-defined,unused-ignore]
            self.close()
            raise ctypes.WinError(error)  # type: ignore[attr-defined,unused-ignore]

    def assign(self, pid: int) -> None:
        """Put the process in the job; every process it starts from then on is in it too."""
        process = self._kernel32.OpenProcess(_PROCESS_SET_QUOTA | _PROCESS_TERMINATE, False, pid)
        if not process:
            return  # it has already ended: nothing of the run to hold
        try:
            # Refused only where the system allows no nested jobs (before Windows 8) and the
            # grader already runs in one: the environment marker still finds the run.
            self._kernel32.AssignProcessToJobObject(self.handle, process)
        finally:
            self._kernel32.CloseHandle(process)

    def terminate(self) -> None:
        """End every process in the job at once."""
        if self.handle:
            self._kernel32.TerminateJobObject(self.handle, 1)

    def close(self) -> None:
        """Close the handle (KILL_ON_JOB_CLOSE ends whatever is still in the job)."""
        if self.handle:
            self._kernel32.CloseHandle(self.handle)
            self.handle = None


def _kernel32() -> Any:
    if sys.platform != "win32":
        raise OSError("Job Objects exist only on Windows")
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = ctypes.c_void_p
    kernel32.OpenProcess.restype = ctypes.c_void_p
    kernel32.SetInformationJobObject.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.POINTER(ExtendedLimits),
        ctypes.c_uint32,
    ]
    kernel32.AssignProcessToJobObject.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    kernel32.TerminateJobObject.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    kernel32.CloseHandle.argtypes = [ctypes.c_void_p]
    return kernel32


class WindowsSandbox(PortableSandbox):
    """A run of the portable layer, held in a Job Object from its first process on."""

    def __init__(
        self,
        run_dir: Path,
        program: list[str],
        env: dict[str, str],
        cwd: Path,
        read_only: Sequence[Path] = (),
        deadline: float | None = None,
    ) -> None:
        self.job = Job()
        try:
            super().__init__(run_dir, program, env, cwd, read_only, deadline)
        except BaseException:
            self.job.close()
            raise
        # The launcher is an interpreter still starting up (tens of milliseconds) when it is
        # put in the job, long before it starts the harness; were a process of the run ever
        # started before, the environment marker would still find it.
        self.job.assign(self.launcher.pid)

    def stop(self) -> None:
        self.job.terminate()
        super().stop()

    def _kill_all(self) -> None:
        self.job.terminate()
        try:
            super()._kill_all()
        finally:
            self.job.close()
