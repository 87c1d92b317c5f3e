"""Threads as the records see them.

Each thread's start and end (``thread`` and ``thread_end``), the locks the submission's own
code makes and who holds and waits for each (``thread_locks``), the threads still alive when
the interpreter exits, and DeprecationWarnings raised in any thread at any time (``warned``).
Every record carries ``tid``, the thread's ident, which is also the id faulthandler prints in a
stack dump. The levers go in here too: the threads of a race meet at a common start
(``rendezvous.hold_thread``), and each thread's target picks its ``pause_after_acquire``.
"""

from __future__ import annotations

import _thread
import os
import sys

from . import delays, rendezvous
from .records import emit, get_ident, name_argument, short, target_name
from .streams import RecordingStream
from .thread_locks import RecordingLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PROBE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""``grader/probe``, where the harness is: a thread whose target is there is its helper."""


def _lock_arguments(thread: Any) -> dict[str, int]:
    """The recording locks a thread's target was given, by parameter name (or position)."""
    args, kwargs = getattr(thread, "_args", ()), getattr(thread, "_kwargs", {})
    if not any(isinstance(v, RecordingLock) for v in (*args, *kwargs.values())):
        return {}
    try:
        import inspect

        bound = dict(inspect.signature(thread._target).bind_partial(*args, **kwargs).arguments)
    except Exception:  # not a plain function, or arguments it does not take
        bound = {str(i): v for i, v in enumerate(args)} | dict(kwargs)
    return {k: v._lock_id for k, v in bound.items() if isinstance(v, RecordingLock)}


def _thread_record(thread: Any, target: str) -> dict[str, Any]:
    code = getattr(getattr(thread, "_target", None), "__code__", None)
    probe = code is not None and os.path.dirname(code.co_filename) == _PROBE_DIR
    return {
        "ident": get_ident(),
        "native": _thread.get_native_id(),
        "name": thread.name,
        "daemon": bool(thread.daemon),
        "target": target,
        "label": name_argument(thread),
        "args": [short(arg) for arg in getattr(thread, "_args", ())[:6]],
        "kwargs": {str(k): short(v) for k, v in getattr(thread, "_kwargs", {}).items()},
        "locks": _lock_arguments(thread),
        "probe": probe,
    }


def _at_exit() -> None:
    """Runs after the interpreter has joined its non-daemon threads: who is still alive (the
    daemon threads, which are now stopped wherever they are)."""
    import threading

    alive = [
        {"ident": t.ident, "name": t.name, "daemon": t.daemon}
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ]
    emit("exit_threads", alive=alive)


def instrument() -> None:
    import atexit
    import threading

    thread = threading.Thread
    original_bootstrap_inner = thread._bootstrap_inner  # type: ignore[attr-defined]
    original_start = thread.start
    original_join = thread.join

    def _bootstrap_inner(self: Any) -> None:
        ident = get_ident()
        target = target_name(self)
        delays.thread_roles[ident] = target
        # Before the thread counts as started: start() returns only after this record.
        try:
            record = _thread_record(self, target)
        except Exception:  # an argument whose repr() raises must not change the thread
            record = {"ident": ident, "name": str(self.name), "target": target}
        emit("thread", **record)
        if rendezvous.meets(target):
            run = self.run

            def meet_then_run() -> None:
                rendezvous.hold_thread(target)
                run()

            self.run = meet_then_run
        try:
            original_bootstrap_inner(self)
        finally:
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, RecordingStream):
                    stream.flush()
            emit("thread_end", ident=ident, name=self.name)
            delays.thread_roles.pop(ident, None)

    def start(self: Any) -> None:
        self._lockstep_target = target_name(self)
        original_start(self)
        if rendezvous.meets(self._lockstep_target):
            with rendezvous.meet_guard:
                rendezvous.meet["started"] += 1

    def join(self: Any, timeout: float | None = None) -> None:
        if rendezvous.meets(getattr(self, "_lockstep_target", "")):
            rendezvous.meet["joining"] = 1
        original_join(self, timeout)

    thread._bootstrap_inner = _bootstrap_inner  # type: ignore[attr-defined]
    thread.start = start  # type: ignore[method-assign]
    thread.join = join  # type: ignore[method-assign]
    atexit.register(_at_exit)
