"""Threads as the records see them.

Each thread's start and end (``thread`` and ``thread_end``: its name, class and daemon flag;
what it is for is its role, recorded by ``roles`` when it enters a contract function), the
threads still alive when the interpreter exits, and the common start of a race: every thread
the program starts is counted, and one whose role races is held where it enters it
(``rendezvous``). Every record carries ``tid``, the thread's ident, which is also the id
faulthandler prints in a stack dump.
"""

from __future__ import annotations

import os

from . import rendezvous, roles
from .protocol import EXIT_THREADS, THREAD, THREAD_END
from .records import emit, get_ident
from .streams import flush_records

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PROBE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""``grader/probe``, where the harness is: a thread whose target is there is its helper."""


def is_probe_thread(thread: Any) -> bool:
    code = getattr(getattr(thread, "_target", None), "__code__", None)
    return code is not None and os.path.dirname(code.co_filename) == _PROBE_DIR


def is_library_thread(thread: Any) -> bool:
    """A thread ``multiprocessing`` starts for itself (a queue's feeder, a pool's handlers) or
    the harness's helper: never one of the program's racers (a thread pool's worker is)."""
    target = getattr(thread, "_target", None)
    module = str(getattr(target, "__module__", "") or "")
    pool_worker = module == "multiprocessing.pool" and getattr(target, "__name__", "") == "worker"
    return (module.startswith("multiprocessing") and not pool_worker) or is_probe_thread(thread)


def _at_exit() -> None:
    """Runs after the interpreter has joined its non-daemon threads: who is still alive (the
    daemon threads, which are now stopped wherever they are)."""
    import threading

    alive = [
        {"ident": t.ident, "name": t.name, "daemon": t.daemon}
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ]
    emit(EXIT_THREADS, alive=alive)


def _thread_role(role: str) -> None:
    """A thread took its role: the rendezvous sees it (not a process's main thread)."""
    import threading

    ident = get_ident()
    if ident != threading.main_thread().ident:
        rendezvous.thread_role(ident, role)


def _instrument_futures() -> None:
    """Waiting for a pool's results is waiting for its threads, as ``join()`` is: a starter
    that waits for each task before submitting the next lets the held ones go at once, and
    one waiting in ``wait()`` or ``as_completed()`` for all of them lets them go together."""
    import concurrent.futures as futures
    import functools
    from concurrent.futures import _base

    original_result = futures.Future.result

    def result(self: Any, timeout: float | None = None) -> Any:
        rendezvous.thread_joining()
        return original_result(self, timeout)

    futures.Future.result = result  # type: ignore[method-assign]
    for name in ("wait", "as_completed"):
        original = getattr(_base, name)

        @functools.wraps(original)
        def waiting(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            rendezvous.thread_joining()
            return _original(*args, **kwargs)

        setattr(_base, name, waiting)
        setattr(futures, name, waiting)


def instrument() -> None:
    import atexit
    import threading

    thread = threading.Thread
    original_bootstrap_inner = thread._bootstrap_inner  # type: ignore[attr-defined]
    original_start = thread.start
    original_join = thread.join
    roles.on_role.append(_thread_role)

    def _bootstrap_inner(self: Any) -> None:
        ident = get_ident()
        library = is_library_thread(self)  # run() deletes _target when it is done
        roles.entered.pop(ident, None)  # an ident is reused once its thread has ended
        rendezvous.thread_begins(ident)
        # Before the thread counts as started: start() returns only after this record.
        emit(
            THREAD,
            ident=ident,
            name=str(self.name),
            cls=type(self).__name__,
            daemon=bool(self.daemon),
            probe=is_probe_thread(self),
            target=roles.static_role(self),
        )
        try:
            original_bootstrap_inner(self)
        finally:
            flush_records()
            if not library:
                rendezvous.thread_settles(ident)
            emit(THREAD_END, ident=ident, name=self.name)

    def start(self: Any) -> None:
        original_start(self)
        if not is_library_thread(self):
            rendezvous.thread_started()

    def join(self: Any, timeout: float | None = None) -> None:
        if not is_library_thread(self):
            rendezvous.thread_joining()
        original_join(self, timeout)

    _instrument_futures()
    thread._bootstrap_inner = _bootstrap_inner  # type: ignore[attr-defined]
    thread.start = start  # type: ignore[method-assign]
    thread.join = join  # type: ignore[method-assign]
    atexit.register(_at_exit)
