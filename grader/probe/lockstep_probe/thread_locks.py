"""The ``threading`` locks the submission's own code makes, and who holds and waits for each
(``lock_new``, ``lock_wait``, ``lock_acq``, ``lock_rel``, ``lock_gave_up``), with the line,
the function and the names the submission's code knows the lock by. The library's own locks
stay plain."""

from __future__ import annotations

import itertools
import os
import sys

from . import records
from .delays import pause_after_acquire
from .protocol import LOCK_ACQ, LOCK_GAVE_UP, LOCK_NEW, LOCK_REL, LOCK_WAIT
from .records import emit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_lock_ids = itertools.count(1)
_own_files: dict[str, bool] = {}


def _in_submission(filename: str) -> bool:
    """Whether code from ``filename`` is the submission's own (a file in its folder)."""
    known = _own_files.get(filename)
    if known is None:
        folder = records.config.get("submission")
        known = bool(folder) and os.path.dirname(os.path.abspath(filename)) == folder
        _own_files[filename] = known
    return known


def _site(frame: Any, wanted: Any = None) -> dict[str, Any]:
    """Where the submission's code is, from ``frame`` outwards: its line, its function and,
    with ``wanted``, the names that object goes by there (``noodle_lock``)."""
    for _ in range(8):
        if frame is None:
            break
        if _in_submission(frame.f_code.co_filename):
            site: dict[str, Any] = {"line": frame.f_lineno, "func": frame.f_code.co_name}
            if wanted is not None:
                names = [name for name, value in frame.f_locals.items() if value is wanted]
                if not names and frame.f_globals is not frame.f_locals:
                    names = [name for name, value in frame.f_globals.items() if value is wanted]
                site["as"] = names[:3]
            return site
        frame = frame.f_back
    return {}


class RecordingLock:
    """A ``threading.Lock`` or ``RLock`` made by the submission's own code, recording who
    holds it and who waits for it. Everything else is the real lock's."""

    def __init__(self, inner: Any, kind: str, site: dict[str, Any]) -> None:
        self._inner = inner
        self._kind = kind
        self._lock_id = next(_lock_ids)
        emit(LOCK_NEW, lock=self._lock_id, type=kind, **site)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and timeout != -1:
            return bool(self._inner.acquire(blocking, timeout))  # the real lock's ValueError
        if not self._inner.acquire(False):
            if not blocking:
                return False
            emit(LOCK_WAIT, lock=self._lock_id, **_site(sys._getframe(1), self))
            if not self._inner.acquire(True, timeout):
                emit(LOCK_GAVE_UP, lock=self._lock_id)
                return False
        # Recorded while held, and the release is recorded before the real one, so the
        # holding intervals of a lock in the records never overlap.
        emit(LOCK_ACQ, lock=self._lock_id, **_site(sys._getframe(1), self))
        pause_after_acquire()
        return True

    def release(self) -> None:
        emit(LOCK_REL, lock=self._lock_id)
        self._inner.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: Any) -> None:
        self.release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return repr(self._inner)


def _lock_factory(original: Any, kind: str) -> Any:
    """``threading.Lock``/``RLock`` as the submission sees them: a recording lock when called
    from its own code, the plain one for everybody else (the library's own locks). Where
    Python's own is a type (``threading.Lock`` from 3.13), so is this one, and
    ``isinstance(lock, threading.Lock)`` holds for both kinds of lock; else a function."""

    def build(frame: Any, args: Any, kwargs: Any) -> Any:
        lock = original(*args, **kwargs)
        if not _in_submission(frame.f_code.co_filename):
            return lock
        return RecordingLock(lock, kind, _site(frame))

    if isinstance(original, type):

        class LockType(type):
            def __call__(cls, *args: Any, **kwargs: Any) -> Any:
                return build(sys._getframe(1), args, kwargs)

            def __instancecheck__(cls, instance: Any) -> bool:
                if isinstance(instance, RecordingLock):
                    return instance._kind == kind
                return isinstance(instance, original)

            def __subclasscheck__(cls, subclass: Any) -> bool:
                return issubclass(subclass, (original, RecordingLock))

        replacement: Any = LockType(kind, (), {"__doc__": original.__doc__})
    else:

        def replacement(*args: Any, **kwargs: Any) -> Any:
            return build(sys._getframe(1), args, kwargs)

        replacement.__doc__ = original.__doc__
    replacement.__name__ = replacement.__qualname__ = kind
    # Found as threading.<kind> when pickled (a Manager pickles its registry under spawn).
    replacement.__module__ = "threading"
    return replacement


def instrument() -> None:
    import multiprocessing.managers as managers
    import threading

    for kind in ("Lock", "RLock"):
        original = getattr(threading, kind)
        replacement = _lock_factory(original, kind)
        setattr(threading, kind, replacement)
        # A Manager pickles its registry of types under spawn: the entries that name the
        # original must name what threading.<kind> now is.
        registry = managers.SyncManager._registry  # type: ignore[attr-defined]
        for typeid, entry in list(registry.items()):
            if entry[0] is original:
                registry[typeid] = (replacement, *entry[1:])
