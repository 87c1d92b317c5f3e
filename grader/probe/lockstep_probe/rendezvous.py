"""The grader's common start for the racers: a lever that makes a race show on every run.

The children of a race (``hold_child``) and the threads of one (``hold_thread``) are held until
all their siblings have started, so that a missing lock shows on every run, whatever the start
method, and two locks taken in opposite orders deadlock on every run, not on unlucky ones.
Which target is held, and for how long at most, is the run's config (``rendezvous``,
``thread_rendezvous``). Processes meet through files in ``RUN_DIR/rendezvous``, threads in
memory.
"""

from __future__ import annotations

import _thread
import os
import time

from . import records
from .records import emit, getpid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

meet_guard = _thread.allocate_lock()
meet = {"started": 0, "arrived": 0, "joining": 0, "count": 0}
"""The threads of the race in the running call: started, arrived at the rendezvous, whether
the starting thread waits in ``join()``, and how many are expected (0: not said)."""


def folder() -> str:
    return os.path.join(records.RUN_DIR, "rendezvous")


def _count(prefix: str) -> int:
    try:
        return sum(1 for name in os.listdir(folder()) if name.startswith(prefix))
    except OSError:
        return 0


def holds(target: str | None) -> bool:
    """Whether the run holds children running ``target`` at a common start (the config names
    one target, or several that start together: a producer and its consumer)."""
    spec = records.config.get("rendezvous")
    if not spec:
        return False
    wanted = spec.get("target")
    return target == wanted if isinstance(wanted, str) else target in (wanted or ())


def hold_child(role: str) -> None:
    """Hold a child of the race until all its siblings have started.

    The release comes when ``count`` children have arrived, or when every child started so far
    has arrived and the parent is already waiting in ``join()`` (it will start no more until
    that one ends: a join inside the start loop), or after ``timeout`` seconds. With a
    ``stagger``, the children then go one after another in the order they were started, so the
    first one started is the first to take a lock.
    """
    if not holds(role):
        return
    spec = records.config["rendezvous"]
    open(os.path.join(folder(), f"arrived-{getpid()}"), "w").close()
    give_up = time.monotonic() + float(spec.get("timeout", 3.0))
    joining = os.path.join(folder(), "joining")
    while time.monotonic() < give_up:
        arrived = _count("arrived-")
        if arrived >= int(spec["count"]):
            break
        if os.path.exists(joining) and arrived >= _count("started-"):
            break
        time.sleep(0.001)
    stagger = float(spec.get("stagger", 0))
    if stagger:
        time.sleep(_start_order(give_up) * stagger)
    emit("released", role=role)


def _start_order(give_up: float) -> int:
    """0 for the child its parent started first, 1 for the next, ..."""
    suffix = f"-{getpid()}"
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


def reset_thread_rendezvous(kwargs: dict[str, Any]) -> None:
    """A call with these arguments begins: its threads meet afresh (called by the harness).
    The rendezvous's ``count`` may name one of the arguments (``"threads"``)."""
    count = (records.config.get("thread_rendezvous") or {}).get("count")
    if isinstance(count, str):
        count = kwargs.get(count)
    with meet_guard:
        meet.update(started=0, arrived=0, joining=0, count=int(count or 0))


def hold_thread(target: str) -> None:
    """Hold a thread of the race until all its siblings have started, like ``hold_child``
    for processes: released when ``count`` have arrived (when there is one), or when every one
    started so far has arrived and the starting thread waits in ``join()`` (after starting them
    all, or a join inside the start loop), or after ``timeout`` seconds."""
    spec = records.config.get("thread_rendezvous") or {}
    with meet_guard:
        meet["arrived"] += 1
    give_up = time.monotonic() + float(spec.get("timeout", 3.0))
    while time.monotonic() < give_up:
        if meet["count"] and meet["arrived"] >= meet["count"]:
            break
        if meet["joining"] and meet["arrived"] >= meet["started"]:
            break
        time.sleep(0.001)
    emit("released", role=target)


def meets(target: str) -> bool:
    wanted = (records.config.get("thread_rendezvous") or {}).get("target")
    return target == wanted or (isinstance(wanted, list) and target in wanted)
