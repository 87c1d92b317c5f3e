"""``multiprocessing`` processes as the records see them: each child's start (pid, parent as
the OS sees it, the target it runs), its natural end with the exit code, the exit codes its
parent collected, and, where a run asks for it, the child's module globals at its end. The
levers go in here too: a child of the race is held at the common start, and a
``multiprocessing`` lock pauses its releaser (``delays.pause_after_release``)."""

from __future__ import annotations

import itertools
import os
import sys

from . import delays, records, rendezvous
from .records import emit, getppid, name_argument, short, target_name
from .streams import RecordingStream

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _record_globals(process: Any) -> None:
    """Record the watched module globals of a child's target (the ``repr`` of each), where a
    run asks for it: what the child's own copy of the module holds once its target is done."""
    names = records.config.get("watch_globals")
    if not names:
        return
    target = getattr(process, "_target", None)
    for _ in range(8):  # functools.partial, possibly nested
        target = getattr(target, "func", None) or target
    try:
        namespace = getattr(target, "__globals__", None)
        if namespace is None:
            module = sys.modules.get(str(getattr(target, "__module__", None)))
            namespace = getattr(module, "__dict__", {})
        values = {name: short(namespace[name]) for name in names if name in namespace}
    except Exception:  # a repr() that raises must not change how the child ends
        return
    emit("globals", values=values)


def _instrument_locks() -> None:
    """Pause right after a lock is released, where a run asks for it: whatever the releasing
    process does next (a print left outside the lock) then comes after the next holder's."""
    import multiprocessing.synchronize as synchronize

    semlock = synchronize.SemLock
    original_make_methods = semlock._make_methods  # type: ignore[attr-defined]

    def _make_methods(self: Any) -> None:
        original_make_methods(self)
        raw_release = self._semlock.release

        def release() -> None:
            raw_release()
            delays.pause_after_release()

        self.release = release

    def __exit__(self: Any, *args: Any) -> Any:
        result = self._semlock.__exit__(*args)
        delays.pause_after_release()
        return result

    semlock._make_methods = _make_methods  # type: ignore[attr-defined]
    semlock.__exit__ = __exit__  # type: ignore[method-assign]


def instrument() -> None:
    import multiprocessing.process as process

    _instrument_locks()

    base = process.BaseProcess
    original_bootstrap = base._bootstrap  # type: ignore[attr-defined]
    original_start = base.start
    original_join = base.join

    def _bootstrap(self: Any, *args: Any, **kwargs: Any) -> int:
        delays.role = target_name(self)
        emit(
            "child",
            ppid=getppid(),
            parent=getattr(self, "_parent_pid", None),
            name=self.name,
            target=delays.role,
            daemon=bool(self.daemon),
            label=name_argument(self),
        )
        rendezvous.hold_child(delays.role)
        code: int = original_bootstrap(self, *args, **kwargs)
        _record_globals(self)
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, RecordingStream):
                stream.flush()
        emit("exit", code=code)
        return code

    started = itertools.count()

    def start(self: Any) -> None:
        # start() deletes self._target (bpo-30775): name the target before, for join() too.
        target = self._lockstep_target = target_name(self)
        original_start(self)
        emit("started", child=self.pid, name=self.name, target=target)
        if rendezvous.holds(target):
            name = f"started-{next(started):04d}-{self.pid}"
            open(os.path.join(rendezvous.folder(), name), "w").close()

    def join(self: Any, timeout: float | None = None) -> None:
        target = getattr(self, "_lockstep_target", None) or target_name(self)
        if rendezvous.holds(target):
            open(os.path.join(rendezvous.folder(), "joining"), "w").close()
        original_join(self, timeout)
        if self.exitcode is not None:
            emit("joined", child=self.pid, code=self.exitcode)

    base._bootstrap = _bootstrap  # type: ignore[attr-defined]
    base.start = start  # type: ignore[method-assign]
    base.join = join  # type: ignore[method-assign]
