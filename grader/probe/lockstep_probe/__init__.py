"""The grader's eyes inside a submission, installed by ``sitecustomize`` in every interpreter
of a graded run (importing this package installs it, when ``LOCKSTEP_RUN_DIR`` names the run).

It records, into a file the grader reads afterwards (never into the submission's own stdout,
so printing cannot forge a record; ``records``):

- every line printed to ``sys.stdout`` / ``sys.stderr``, with the process and the time, one
  record per line whatever the buffering (``streams``);
- every process: its start (pid, parent as the OS sees it), the ``multiprocessing`` target it
  runs, its natural end with the exit code, and the exit codes its parent collected
  (``processes``);
- queue traffic (who put or got what; ``queue_traffic``);
- every thread: its start (name, ident, daemon flag, target and arguments) and end, the threads
  still alive at interpreter exit, and, for each ``threading`` lock the submission's own code
  makes, who holds it and who waits for it; each record names the thread that wrote it
  (``threads``, ``thread_locks``);
- warnings, in any thread, also outside the harness's calls (``warned``);
- on ``SIGUSR1`` (or, where there is none, at the deadline: ``dump_timer``), a dump of every
  thread's stack into a file per process.

It also applies the grader's levers: a common start for the children of a race (so that a
missing lock shows on every run, whatever the start method) and a slowed producer or consumer;
for threads, a common start too, and a pause right after a thread takes a lock (so that two
locks taken in opposite orders deadlock on every run, not on unlucky ones) (``rendezvous``,
``delays``).
Only the standard library is used: this runs in the student's interpreter.
"""

from __future__ import annotations

import os
import sys

from . import processes, queue_traffic, records, thread_locks, threads, warned
from .appending import open_append
from .records import emit, getppid
from .streams import RecordingStream


def _after_fork_in_child() -> None:
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RecordingStream):
            stream.forget()
    records.capped = False
    records.open_dump_file()
    emit("proc", ppid=getppid(), how="fork")


def install() -> None:
    if not records.RUN_DIR:
        return
    try:
        records.fd = open_append(os.path.join(records.RUN_DIR, "records.jsonl"))
    except OSError:
        return
    records.config = records.load_config()
    records.open_dump_file()
    emit("proc", ppid=getppid(), how="exec", argv=sys.argv[:3])
    sys.stdout = RecordingStream("out", sys.stdout)
    sys.stderr = RecordingStream("err", sys.stderr)
    if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
        os.register_at_fork(after_in_child=_after_fork_in_child)
    processes.instrument()
    queue_traffic.instrument()
    thread_locks.instrument()
    threads.instrument()
    warned.watch()


install()
