"""The grader's eyes inside a submission, installed by ``sitecustomize`` in every interpreter
of a graded run (importing this package installs it, when ``LOCKSTEP_RUN_DIR`` names the run).

It records, into a file the grader reads afterwards (never into the submission's own stdout,
so printing cannot forge a record; ``records``):

- every line printed to ``sys.stdout`` / ``sys.stderr``, with the process and the time, one
  record per line whatever the buffering, and each failure to write them; the streams stay the
  program's own, and each process's descriptors 1 and 2 point at a file of its own, where the
  grader sees what really reached them (``streams``, ``outputs``);
- every process and thread: what it is for, its role, the contract function it entered first,
  however it was started (``roles``);
- every process: its start (pid, parent as the OS sees it, its name and class), its natural
  end with the exit code, and the exit codes its parent collected (``processes``);
- queue traffic (who put or got what; ``queue_traffic``);
- database traffic: each ``sqlite3`` connection, statement, commit and rollback, with the
  transaction it ran in and any ``database is locked`` error (``sqlite_traffic``);
- every thread: its start (name, class, ident, daemon flag) and end, the threads
  still alive at interpreter exit, and, for each ``threading`` lock the submission's own code
  makes, who holds it and who waits for it; each record names the thread that wrote it
  (``threads``, ``thread_locks``);
- warnings, in any thread, also outside the harness's calls (``warned``);
- on ``SIGUSR1`` (or, where there is none, at the deadline: ``dump_timer``), a dump of every
  thread's stack into a file per process.

It also applies the grader's levers (``protocol.Levers``), each keyed by role: a common start
for the processes or threads of a race (so that a missing lock shows on every run, whatever
the start method), a slowed producer or consumer, a pause right after a lock is released or
taken (so that two locks taken in opposite orders deadlock on every run, not on unlucky ones)
(``rendezvous``, ``delays``), a read of the database outside its write lock held until every
racer has read (``sqlite_traffic``).
Only the standard library is used: this runs in the student's interpreter.
"""

from __future__ import annotations

import os
import sys

from . import (
    outputs,
    processes,
    queue_traffic,
    records,
    rendezvous,
    roles,
    sqlite_traffic,
    streams,
    thread_locks,
    threads,
    warned,
)
from .appending import open_append
from .protocol import PROC
from .records import emit, getppid


def _after_fork_in_child() -> None:
    records.capped = False
    roles.forget()
    rendezvous.new_child()
    records.open_dump_file()
    emit(PROC, ppid=getppid(), how="fork")
    streams.after_fork(outputs.claim())


def install() -> None:
    if not records.RUN_DIR:
        return
    try:
        records.fd = open_append(os.path.join(records.RUN_DIR, "records.jsonl"))
    except OSError:
        return
    records.load_config()
    records.open_dump_file()
    emit(PROC, ppid=getppid(), how="exec", argv=sys.argv[:3])
    streams.install(outputs.claim())
    if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
        os.register_at_fork(after_in_child=_after_fork_in_child)
    processes.instrument()
    queue_traffic.instrument()
    sqlite_traffic.instrument()
    thread_locks.instrument()
    threads.instrument()
    warned.watch()
    roles.watch()
