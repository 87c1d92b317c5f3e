"""Where each process's printing really goes: file descriptors 1 and 2 of every process of the
run point at a file of its own, ``RUN_DIR/out/<pid>``, so the grader reads, from the kernel and
not from the records, what reached each one (``grader/output_check.py``).

Only a descriptor that is the run's output is moved: the grader's pipe the first interpreter
got (remembered in ``LOCKSTEP_STDIO`` for the rest of the run), or the file of the process it
came from. One the program closed or pointed elsewhere is left as it is, so a program that
closes file descriptor 1 behaves as it would without the grader. Nothing is copied anywhere:
the bytes go to one place, as they would."""

from __future__ import annotations

import os

from . import records

_VARIABLE = "LOCKSTEP_STDIO"
_DESCRIPTORS = (1, 2)


def identity(fd: int) -> tuple[int, int, bool] | None:
    """(device, inode, regular file) of what ``fd`` points at; None for a closed one."""
    try:
        status = os.fstat(fd)
    except OSError:
        return None
    return status.st_dev, status.st_ino, (status.st_mode & 0o170000) == 0o100000


def _folder() -> str:
    return os.path.join(records.RUN_DIR, "out")


def _is_run_output(fd: int) -> bool:
    found = identity(fd)
    if found is None:
        return False
    device, inode, regular = found
    if f"{device}:{inode}" in os.environ.get(_VARIABLE, "").split():
        return True
    if not regular:
        return False
    try:
        with os.scandir(_folder()) as entries:
            return any(entry.inode() == inode for entry in entries)
    except OSError:
        return False


def claim() -> dict[int, bool]:
    """Point this process's descriptors 1 and 2 at its own file where they are the run's
    output; by descriptor, whether it now does."""
    if _VARIABLE not in os.environ:
        first = [identity(fd) for fd in _DESCRIPTORS]
        os.environ[_VARIABLE] = " ".join(f"{f[0]}:{f[1]}" for f in first if f is not None)
    moved = [fd for fd in _DESCRIPTORS if _is_run_output(fd)]
    if not moved:
        return {}
    try:
        own = os.open(
            os.path.join(_folder(), str(records.getpid())),
            os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
            0o644,
        )
    except OSError:
        return {}
    try:
        for fd in moved:
            os.dup2(own, fd)
    except OSError:
        moved = []
    finally:
        if own not in moved:
            os.close(own)
    return {fd: True for fd in moved}
