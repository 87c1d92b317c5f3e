"""The grader's common start for the racers: a lever that makes a race show on every run.

The processes (``hold_child``) and the threads (``hold_thread``) of a race are held where they
enter their role's function until all their siblings have started, so that a missing lock
shows on every run, whatever the start method, and two locks taken in opposite orders deadlock
on every run, not on unlucky ones. Which roles are held, and for how long at most, is the run's
``Levers``. The parent counts every process or thread it starts (``started``), whatever it
runs; each one then either arrives (its role is held) or settles (it showed another role, or
ended without any), so a join inside the start loop or a sibling of another kind never makes
the others wait for the timeout. Processes meet through files in ``RUN_DIR/rendezvous``,
threads in memory.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import time

from . import records

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .protocol import Rendezvous

meet_guard = _thread.allocate_lock()
meet = {"started": 0, "arrived": 0, "settled": 0, "joining": 0, "count": 0}
"""The threads of the running call: started, arrived at the rendezvous, settled elsewhere,
whether the starting thread waits in ``join()``, and how many are expected (0: not said)."""
_settled_threads: set[int] = set()
"""Idents of threads already counted as arrived or settled in the running call."""
_child_done = False
"""This process already arrived or settled (a process takes one role)."""


def folder() -> str:
    return os.path.join(records.RUN_DIR, "rendezvous")


def _mark(name: str) -> None:
    with contextlib.suppress(OSError):
        open(os.path.join(folder(), name), "w").close()


def _count(prefix: str) -> int:
    try:
        return sum(1 for name in os.listdir(folder()) if name.startswith(prefix))
    except OSError:
        return 0


def _spec(threads: bool = False) -> Rendezvous | None:
    levers = records.levers
    return levers.thread_rendezvous if threads else levers.rendezvous


# Processes.


def child_started(pid: int | None) -> None:
    """The parent started a child (called after ``start()``): it is one of the siblings."""
    if _spec() is not None:
        _mark(f"started-{time.monotonic_ns():020d}-{pid}")


def parent_joining() -> None:
    if _spec() is not None:
        _mark("joining")


def child_role(role: str) -> None:
    """A child entered its role's function: held there if the race is about that role."""
    global _child_done
    spec = _spec()
    if spec is None or _child_done:
        return
    _child_done = True
    pid = records.getpid()
    if role not in spec.roles:
        _mark(f"settled-{pid}")
        return
    _mark(f"arrived-{pid}")
    give_up = time.monotonic() + spec.timeout
    joining = os.path.join(folder(), "joining")
    count = int(spec.count) if isinstance(spec.count, int) else 0
    while time.monotonic() < give_up:
        arrived = _count("arrived-")
        if count and arrived >= count:
            break
        if os.path.exists(joining) and arrived + _count("settled-") >= _count("started-"):
            break
        time.sleep(0.001)
    if spec.stagger:
        time.sleep(_start_order(pid, give_up) * spec.stagger)


def child_ending() -> None:
    """A child ends without having entered any role: it settles."""
    global _child_done
    if _spec() is not None and not _child_done:
        _child_done = True
        _mark(f"settled-{records.getpid()}")


def new_child() -> None:
    """A fork child starts afresh: it has neither arrived nor settled."""
    global _child_done
    _child_done = False


def _start_order(pid: int, give_up: float) -> int:
    """0 for the child its parent started first, 1 for the next, ..."""
    suffix = f"-{pid}"
    while True:
        try:
            names = sorted(n for n in os.listdir(folder()) if n.startswith("started-"))
        except OSError:
            return 0
        for order, name in enumerate(names):
            if name.endswith(suffix):
                return order
        if time.monotonic() > give_up:
            return 0
        time.sleep(0.001)


# Threads.


def reset_threads(kwargs: dict[str, Any]) -> None:
    """A call with these arguments begins: its threads meet afresh (called by the harness).
    The rendezvous's ``count`` may name one of the arguments (``"threads"``)."""
    spec = _spec(threads=True)
    count = spec.count if spec is not None else 0
    if isinstance(count, str):
        count = kwargs.get(count)
    with meet_guard:
        meet.update(started=0, arrived=0, settled=0, joining=0, count=int(count or 0))
        _settled_threads.clear()


def thread_started() -> None:
    if _spec(threads=True) is not None:
        with meet_guard:
            meet["started"] += 1


def thread_joining() -> None:
    if _spec(threads=True) is not None:
        meet["joining"] = 1


def thread_begins(ident: int) -> None:
    """A thread begins: an ident is reused once its thread has ended, so whatever the last
    thread of that ident did at the rendezvous is not this one's."""
    with meet_guard:
        _settled_threads.discard(ident)


def thread_settles(ident: int) -> None:
    """A thread showed another role, or ended without one: it is not held."""
    if _spec(threads=True) is None:
        return
    with meet_guard:
        if ident not in _settled_threads:
            _settled_threads.add(ident)
            meet["settled"] += 1


def thread_role(ident: int, role: str) -> None:
    """A thread entered its role's function: held there if the race is about that role."""
    spec = _spec(threads=True)
    if spec is None:
        return
    if role not in spec.roles:
        thread_settles(ident)
        return
    with meet_guard:
        if ident in _settled_threads:
            return
        _settled_threads.add(ident)
        meet["arrived"] += 1
    give_up = time.monotonic() + spec.timeout
    while time.monotonic() < give_up:
        if meet["count"] and meet["arrived"] >= meet["count"]:
            break
        if meet["joining"] and meet["arrived"] + meet["settled"] >= meet["started"]:
            break
        time.sleep(0.001)
