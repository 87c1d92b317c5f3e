"""``multiprocessing`` processes as the records see them: each child's start (pid, parent as
the OS sees it, its name and class), its natural end with the exit code, the exit codes its
parent collected, and, where a run asks for it, the child's module globals at its end. What a
child is for is its role (``roles``), seen when it enters a contract function, never its
``target=``. The levers go in here too: a child whose role races is held at the common start
(``rendezvous``), and a ``multiprocessing`` lock pauses its releaser
(``delays.pause_after_release``)."""

from __future__ import annotations

from . import delays, records, rendezvous, roles
from .protocol import CHILD, EXIT, GLOBALS, JOINED, STARTED
from .records import emit, get_ident, getppid, short
from .streams import flush_records, unflushed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def is_library_process(process: Any) -> bool:
    """A process ``multiprocessing`` starts for itself (a Manager's server), never one that
    runs the program's functions (a pool's worker is one of the program's)."""
    target = getattr(process, "_target", None)
    return str(getattr(target, "__module__", "") or "") == "multiprocessing.managers"


def _record_globals() -> None:
    """Record the watched module globals of the child's role function (the ``repr`` of each),
    where a run asks for it: what the child's own copy of the module holds once it is done."""
    names = records.levers.watch_globals
    if not names:
        return
    main = get_ident()
    namespace = roles.namespaces.get(main) or next(iter(roles.namespaces.values()), None)
    if namespace is None:
        return
    try:
        values = {name: short(namespace[name]) for name in names if name in namespace}
    except Exception:  # a repr() that raises must not change how the child ends
        return
    emit(GLOBALS, values=values)


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


def _in_child(role: str) -> None:
    """A role was taken in this process: if it is a child's first, the rendezvous sees it."""
    if _is_child and roles.process_role() == role:
        rendezvous.child_role(role)


_is_child = False


def instrument() -> None:
    import multiprocessing.process as process

    _instrument_locks()
    roles.on_role.append(_in_child)

    base = process.BaseProcess
    original_bootstrap = base._bootstrap  # type: ignore[attr-defined]
    original_start = base.start
    original_join = base.join

    def _bootstrap(self: Any, *args: Any, **kwargs: Any) -> int:
        global _is_child
        library = is_library_process(self)
        _is_child = not library
        roles.forget()
        rendezvous.new_child()
        emit(
            CHILD,
            ppid=getppid(),
            parent=getattr(self, "_parent_pid", None),
            name=self.name,
            cls=type(self).__name__,
            daemon=bool(self.daemon),
            library=library,
            target=roles.static_role(self),
        )
        code: int = original_bootstrap(self, *args, **kwargs)
        if not library:
            rendezvous.child_ending()
            _record_globals()
        flush_records()
        emit(EXIT, code=code, unflushed=unflushed())
        return code

    def start(self: Any) -> None:
        library = is_library_process(self)  # start() deletes _target (bpo-30775)
        target = roles.static_role(self)
        original_start(self)
        emit(
            STARTED,
            child=self.pid,
            name=self.name,
            cls=type(self).__name__,
            daemon=bool(self.daemon),  # known even if the child is stopped before it records
            library=library,
            target=target,
        )
        if not library:
            rendezvous.child_started(self.pid)

    def join(self: Any, timeout: float | None = None) -> None:
        rendezvous.parent_joining()
        original_join(self, timeout)
        if self.exitcode is not None:
            emit(JOINED, child=self.pid, code=self.exitcode)

    base._bootstrap = _bootstrap  # type: ignore[attr-defined]
    base.start = start  # type: ignore[method-assign]
    base.join = join  # type: ignore[method-assign]
