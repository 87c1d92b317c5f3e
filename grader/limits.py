"""What one graded run may use, and how a run that went past a limit is described.

The kernel enforces memory and file size (``setrlimit`` in ``launcher.py``, inherited by every
process of the run). The number of processes and the output are watched by the runner, which
ends the run as soon as one goes past its limit: ``RLIMIT_NPROC`` cannot do it, since it counts
every process of the user and does not bind root at all (CI runs as root).
"""

from __future__ import annotations

from .language import t

MB = 1024 * 1024

MEMORY_MB = 256
"""Resident memory of any one process of the run, watched by the runner. Page faults are slow
on a busy virtual machine (150 MB/s measured), so a larger cap would not be reached before the
deadline and a hog would be reported as a hang."""
ADDRESS_SPACE_MB = 4096
"""Address space of each process (``RLIMIT_AS``): the kernel's backstop between two looks of
the runner. Thread stacks count (8 MB each by default): a process with 100 threads reserves
about 900 MB with ``MALLOC_ARENA_MAX=2``."""
FILE_MB = 64
"""Largest file a process of the run may write (``RLIMIT_FSIZE``); past it the kernel stops
the writer with ``SIGXFSZ``."""
MAX_PROCESSES = 32
"""Processes of one run alive at once, the grader's own helpers included. The exercises need
fewer than 10; a runaway loop under forkserver on a busy machine must pass this well before
its deadline, or its verdict would depend on the load (a hang one time, this limit another)."""
OUTPUT_MB = 1
"""What the run may write to its standard output and error outside ``print`` (``os.write``,
``sys.__stdout__``)."""
RECORD_MB = 4
"""What the probe records (printed lines, queue traffic) before it stops recording."""

CHILD_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}
"""Set in every graded interpreter: glibc reserves 64 MB of address space per malloc arena,
up to 8 per core, which would count against ``MEMORY_MB`` for a program with many threads."""


def rlimits() -> dict[str, int]:
    """The launcher's ``setrlimit`` calls: resource name to soft and hard limit."""
    return {
        "RLIMIT_AS": ADDRESS_SPACE_MB * MB,
        "RLIMIT_FSIZE": FILE_MB * MB,
        "RLIMIT_CORE": 0,
    }


def too_many_processes(module: str) -> str:
    return t(
        "{module} had more than {count} processes running at once; the grader stopped it there "
        "(is a start() inside a loop that never ends?)",
        module=module,
        count=MAX_PROCESSES,
    )


def too_much_output(module: str) -> str:
    return t(
        "{module} wrote more than {mb} MB to its standard output outside print(); output cut, "
        "and the run stopped there",
        module=module,
        mb=OUTPUT_MB,
    )


def too_much_printed(module: str, what: str) -> str:
    """``what``: ``printed``, or ``put on queues``."""
    if what == "printed":
        return t(
            "{module} printed more than {mb} MB; output cut, and the run stopped there",
            module=module,
            mb=RECORD_MB,
        )
    return t(
        "{module} put on queues more than {mb} MB; output cut, and the run stopped there",
        module=module,
        mb=RECORD_MB,
    )


def too_much_memory(module: str) -> str:
    return t(
        "{module} used more than {mb} MB of memory in one process; stopped there",
        module=module,
        mb=MEMORY_MB,
    )


def out_of_memory(module: str) -> str:
    return t(
        "{module} ran out of memory (MemoryError): the grader gives each process at most {mb} MB "
        "of address space",
        module=module,
        mb=ADDRESS_SPACE_MB,
    )


def supervisor_killed(module: str) -> str:
    return t(
        "{module} ended the process that supervises it (it signalled its parent or its process "
        "group); the run was stopped there",
        module=module,
    )


def left_running(module: str, escaped: list[tuple[int, str]]) -> str:
    """``escaped``: (PID, command line) of each process that outlived the program."""
    shown = "; ".join(
        t("pid {pid}: {command}", pid=pid, command=command) for pid, command in escaped[:3]
    )
    if len(escaped) == 1:
        return t(
            "{module} left 1 process running after the program ended ({shown}); the grader "
            "killed it. A program must end, or wait for, every process it starts",
            module=module,
            shown=shown,
        )
    if len(escaped) > 3:
        return t(
            "{module} left {count} processes running after the program ended ({shown} and "
            "{more} more); the grader killed them. A program must end, or wait for, every "
            "process it starts",
            module=module,
            count=len(escaped),
            shown=shown,
            more=len(escaped) - 3,
        )
    return t(
        "{module} left {count} processes running after the program ended ({shown}); the grader "
        "killed them. A program must end, or wait for, every process it starts",
        module=module,
        count=len(escaped),
        shown=shown,
    )
