"""The grader's eyes inside a submission: loaded by every interpreter of a graded run.

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``, so this module runs in the
harness, in every spawn and forkserver child and in any interpreter the submission starts; fork
children inherit it. It records, into a file the grader reads afterwards (never into the
submission's own stdout, so printing cannot forge a record):

- every line printed to ``sys.stdout`` / ``sys.stderr``, with the process and the time, one
  record per line whatever the buffering;
- every process: its start (pid, parent as the OS sees it), the ``multiprocessing`` target it
  runs, its natural end with the exit code, and the exit codes its parent collected;
- queue traffic (who put or got what);
- every thread: its start (name, ident, daemon flag, target and arguments) and end, the threads
  still alive at interpreter exit, and, for each ``threading`` lock the submission's own code
  makes, who holds it and who waits for it; each record names the thread that wrote it;
- warnings, in any thread, also outside the harness's calls;
- on ``SIGUSR1``, a dump of every thread's stack into a file per process.

It also applies the grader's levers: a common start for the children of a race (so that a
missing lock shows on every run, whatever the start method) and a slowed producer or consumer;
for threads, a common start too, and a pause right after a thread takes a lock (so that two
locks taken in opposite orders deadlock on every run, not on unlucky ones).
Only the standard library is used: this runs in the student's interpreter.
"""

from __future__ import annotations

import _thread
import faulthandler
import io
import itertools
import json
import os
import signal
import sys
import time
from typing import Any

_RUN_DIR = os.environ.get("LOCKSTEP_RUN_DIR", "")
_RECORD_CAP = int(os.environ.get("LOCKSTEP_RECORD_CAP", str(4 * 1024 * 1024)))
_LINE_CAP = 2000
_ITEM_CAP = 120

_fd = -1
_dump_file: Any = None
_role: str | None = None
_config: dict[str, Any] = {}
_capped = False

# The submission may replace these; the records must still tell the truth.
_getpid = os.getpid
_getppid = os.getppid
_write = os.write
_fstat = os.fstat
_clock = time.monotonic_ns
_get_ident = _thread.get_ident


def emit(kind: str, **fields: Any) -> None:
    """Append one record, in a single ``write()`` so records from many processes never mix."""
    global _capped
    if _fd < 0:
        return
    fields["k"] = kind
    fields["pid"] = _getpid()
    fields["t"] = _clock()
    fields["tid"] = _get_ident()
    data = (json.dumps(fields, ensure_ascii=False, default=repr) + "\n").encode("utf-8", "replace")
    try:
        if _fstat(_fd).st_size + len(data) > _RECORD_CAP:
            if not _capped:
                _capped = True
                _write(_fd, b'{"k": "capped"}\n')
            return
        _write(_fd, data)
    except OSError:
        pass


def short(value: Any) -> str:
    """A bounded ``repr`` of a queue item, for the record."""
    text = repr(value)
    return text if len(text) <= _ITEM_CAP else f"{text[:_ITEM_CAP]}...({len(text)} chars)"


class RecordingStream(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr``: one record per complete line, per thread
    (two threads printing at once never share a line)."""

    def __init__(self, stream: str, original: Any) -> None:
        super().__init__()
        self._stream = stream
        self._original = original
        self._pending: dict[int, str] = {}
        """What each thread wrote after its last newline, by thread ident."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    @property
    def buffer(self) -> Any:
        return getattr(self._original, "buffer", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return int(self._original.fileno())

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        ident = _get_ident()
        pending = self._pending.pop(ident, "") + text
        if "\n" in pending:
            *lines, pending = pending.split("\n")
            for line in lines:
                emit(self._stream, line=line[:_LINE_CAP])
        if pending:
            self._pending[ident] = pending
            if len(pending) > _LINE_CAP:
                self.flush()
        return len(text)

    def flush(self) -> None:
        """Record the calling thread's unfinished line."""
        pending = self._pending.pop(_get_ident(), "")
        if pending:
            emit(self._stream, line=pending[:_LINE_CAP], partial=True)

    def forget(self) -> None:
        """Drop what a fork copied from the parent: the parent still owns those characters."""
        self._pending.clear()


def _open_dump_file() -> None:
    global _dump_file
    try:
        _dump_file = open(os.path.join(_RUN_DIR, "dumps", f"{_getpid()}.txt"), "w")  # noqa: SIM115
        faulthandler.register(signal.SIGUSR1, file=_dump_file, all_threads=True, chain=False)
    except (OSError, ValueError, RuntimeError):
        _dump_file = None


def _after_fork_in_child() -> None:
    global _fd, _capped
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RecordingStream):
            stream.forget()
    _capped = False
    _open_dump_file()
    emit("proc", ppid=_getppid(), how="fork")


def _load_config() -> dict[str, Any]:
    try:
        with open(os.path.join(_RUN_DIR, "config.json"), encoding="utf-8") as file:
            loaded: dict[str, Any] = json.load(file)
            return loaded
    except (OSError, ValueError):
        return {}


def _target_name(process: Any) -> str:
    target = getattr(process, "_target", None)
    if target is None:
        return type(process).__name__
    return str(getattr(target, "__name__", None) or repr(target))


def _name_argument(process: Any) -> str | None:
    """The ``name`` argument the target was given (``consumer(q, "消费者2")``), if it has one:
    how a message tells apart several processes running the same function."""
    try:
        import inspect

        bound = inspect.signature(process._target).bind_partial(*process._args, **process._kwargs)
        value = bound.arguments.get("name")
    except Exception:  # not a plain function, or called with arguments it does not take
        return None
    return value[:40] if isinstance(value, str) else None


def _rendezvous_dir() -> str:
    return os.path.join(_RUN_DIR, "rendezvous")


def _count(prefix: str) -> int:
    try:
        return sum(1 for name in os.listdir(_rendezvous_dir()) if name.startswith(prefix))
    except OSError:
        return 0


def _rendezvous(role: str) -> None:
    """Hold a child of the race until all its siblings have started.

    The release comes when ``count`` children have arrived, or when every child started so far
    has arrived and the parent is already waiting in ``join()`` (it will start no more until
    that one ends: a join inside the start loop), or after ``timeout`` seconds. With a
    ``stagger``, the children then go one after another in the order they were started, so the
    first one started is the first to take a lock.
    """
    spec = _config.get("rendezvous")
    if not spec or spec.get("target") != role:
        return
    open(os.path.join(_rendezvous_dir(), f"arrived-{_getpid()}"), "w").close()
    give_up = time.monotonic() + float(spec.get("timeout", 3.0))
    joining = os.path.join(_rendezvous_dir(), "joining")
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
    suffix = f"-{_getpid()}"
    while True:
        try:
            names = sorted(n for n in os.listdir(_rendezvous_dir()) if n.startswith("started-"))
        except OSError:
            return 0
        for order, name in enumerate(names):
            if name.endswith(suffix):
                return order
        if time.monotonic() > give_up:
            return 0
        time.sleep(0.001)


def _slow_down() -> None:
    delay = _config.get("slow", {}).get(_role or "")
    if delay:
        time.sleep(float(delay))


def _pause_after_release() -> None:
    delay = _config.get("pause_after_release", {}).get(_role or "")
    if delay:
        time.sleep(float(delay))


def _record_globals(process: Any) -> None:
    """Record the watched module globals of a child's target (the ``repr`` of each), where a
    run asks for it: what the child's own copy of the module holds once its target is done."""
    names = _config.get("watch_globals")
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
            _pause_after_release()

        self.release = release

    def __exit__(self: Any, *args: Any) -> Any:
        result = self._semlock.__exit__(*args)
        _pause_after_release()
        return result

    semlock._make_methods = _make_methods  # type: ignore[attr-defined]
    semlock.__exit__ = __exit__  # type: ignore[method-assign]


def _instrument_multiprocessing() -> None:
    import multiprocessing.managers as managers
    import multiprocessing.process as process
    import multiprocessing.queues as queues

    _instrument_locks()

    base = process.BaseProcess
    original_bootstrap = base._bootstrap  # type: ignore[attr-defined]
    original_start = base.start
    original_join = base.join

    def _bootstrap(self: Any, *args: Any, **kwargs: Any) -> int:
        global _role
        _role = _target_name(self)
        emit(
            "child",
            ppid=_getppid(),
            parent=getattr(self, "_parent_pid", None),
            name=self.name,
            target=_role,
            daemon=bool(self.daemon),
            label=_name_argument(self),
        )
        _rendezvous(_role)
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
        target = self._lockstep_target = _target_name(self)
        original_start(self)
        emit("started", child=self.pid, name=self.name, target=target)
        spec = _config.get("rendezvous")
        if spec and spec.get("target") == target:
            name = f"started-{next(started):04d}-{self.pid}"
            open(os.path.join(_rendezvous_dir(), name), "w").close()

    def join(self: Any, timeout: float | None = None) -> None:
        spec = _config.get("rendezvous")
        target = getattr(self, "_lockstep_target", None) or _target_name(self)
        if spec and spec.get("target") == target:
            open(os.path.join(_rendezvous_dir(), "joining"), "w").close()
        original_join(self, timeout)
        if self.exitcode is not None:
            emit("joined", child=self.pid, code=self.exitcode)

    base._bootstrap = _bootstrap  # type: ignore[attr-defined]
    base.start = start  # type: ignore[method-assign]
    base.join = join  # type: ignore[method-assign]

    def watch_put(cls: Any) -> None:
        original = cls.put

        def put(self: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
            _slow_down()
            result = original(self, obj, *args, **kwargs)
            emit("put", item=short(obj))
            return result

        cls.put = put

    def watch_get(cls: Any) -> None:
        original = cls.get

        def get(self: Any, *args: Any, **kwargs: Any) -> Any:
            item = original(self, *args, **kwargs)
            emit("get", item=short(item))
            _slow_down()
            return item

        cls.get = get

    for cls in (queues.Queue, queues.JoinableQueue, queues.SimpleQueue):
        if "put" in cls.__dict__:
            watch_put(cls)
        if "get" in cls.__dict__:
            watch_get(cls)

    original_callmethod = managers.BaseProxy._callmethod

    def _callmethod(self: Any, methodname: str, args: Any = (), kwds: Any = None) -> Any:
        if methodname == "put" and args:
            _slow_down()
        result = original_callmethod(self, methodname, args, kwds or {})
        if methodname == "put" and args:
            emit("put", item=short(args[0]))
        elif methodname in ("get", "get_nowait"):
            emit("get", item=short(result))
            _slow_down()
        return result

    managers.BaseProxy._callmethod = _callmethod  # type: ignore[method-assign]


# --- Threads ------------------------------------------------------------------------------
# Each thread's start and end (``thread`` and ``thread_end``), the locks the submission's own
# code makes and who holds and waits for each (``lock_new``, ``lock_wait``, ``lock_acq``,
# ``lock_rel``, ``lock_gave_up``), the threads still alive when the interpreter exits, and
# DeprecationWarnings raised in any thread at any time. Every record carries ``tid``, the
# thread's ident, which is also the id faulthandler prints in a stack dump.

_PROBE_DIR = os.path.dirname(os.path.abspath(__file__))
_lock_ids = itertools.count(1)
_own_files: dict[str, bool] = {}
_thread_roles: dict[int, str] = {}
"""The target each running thread was started with, by ident (for the per-target levers)."""
_meet_guard = _thread.allocate_lock()
_meet = {"started": 0, "arrived": 0, "joining": 0, "count": 0}


def _in_submission(filename: str) -> bool:
    """Whether code from ``filename`` is the submission's own (a file in its folder)."""
    known = _own_files.get(filename)
    if known is None:
        folder = _config.get("submission")
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


def _pause_after_acquire() -> None:
    delay = _config.get("pause_after_acquire", {}).get(_thread_roles.get(_get_ident(), ""))
    if delay:
        time.sleep(float(delay))


class RecordingLock:
    """A ``threading.Lock`` or ``RLock`` made by the submission's own code, recording who
    holds it and who waits for it. Everything else is the real lock's."""

    def __init__(self, inner: Any, kind: str, site: dict[str, Any]) -> None:
        self._inner = inner
        self._lock_id = next(_lock_ids)
        emit("lock_new", lock=self._lock_id, type=kind, **site)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and timeout != -1:
            return bool(self._inner.acquire(blocking, timeout))  # the real lock's ValueError
        if not self._inner.acquire(False):
            if not blocking:
                return False
            emit("lock_wait", lock=self._lock_id, **_site(sys._getframe(1), self))
            if not self._inner.acquire(True, timeout):
                emit("lock_gave_up", lock=self._lock_id)
                return False
        # Recorded while held, and the release is recorded before the real one, so the
        # holding intervals of a lock in the records never overlap.
        emit("lock_acq", lock=self._lock_id, **_site(sys._getframe(1), self))
        _pause_after_acquire()
        return True

    def release(self) -> None:
        emit("lock_rel", lock=self._lock_id)
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
    from its own code, the plain one for everybody else (the library's own locks)."""

    def make(*args: Any, **kwargs: Any) -> Any:
        lock = original(*args, **kwargs)
        frame = sys._getframe(1)
        if not _in_submission(frame.f_code.co_filename):
            return lock
        return RecordingLock(lock, kind, _site(frame))

    make.__name__ = make.__qualname__ = kind
    # Found as threading.<kind> when pickled (a Manager pickles its registry under spawn).
    make.__module__ = "threading"
    make.__doc__ = original.__doc__
    return make


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
        "ident": _get_ident(),
        "native": _thread.get_native_id(),
        "name": thread.name,
        "daemon": bool(thread.daemon),
        "target": target,
        "label": _name_argument(thread),
        "args": [short(arg) for arg in getattr(thread, "_args", ())[:6]],
        "kwargs": {str(k): short(v) for k, v in getattr(thread, "_kwargs", {}).items()},
        "locks": _lock_arguments(thread),
        "probe": probe,
    }


def reset_thread_rendezvous(kwargs: dict[str, Any]) -> None:
    """A call with these arguments begins: its threads meet afresh (called by the harness).
    The rendezvous's ``count`` may name one of the arguments (``"threads"``)."""
    count = (_config.get("thread_rendezvous") or {}).get("count")
    if isinstance(count, str):
        count = kwargs.get(count)
    with _meet_guard:
        _meet.update(started=0, arrived=0, joining=0, count=int(count or 0))


def _thread_rendezvous(target: str) -> None:
    """Hold a thread of the race until all its siblings have started, like ``_rendezvous``
    for processes: released when ``count`` have arrived (when there is one), or when every one
    started so far has arrived and the starting thread waits in ``join()`` (after starting them
    all, or a join inside the start loop), or after ``timeout`` seconds."""
    spec = _config.get("thread_rendezvous") or {}
    with _meet_guard:
        _meet["arrived"] += 1
    give_up = time.monotonic() + float(spec.get("timeout", 3.0))
    while time.monotonic() < give_up:
        if _meet["count"] and _meet["arrived"] >= _meet["count"]:
            break
        if _meet["joining"] and _meet["arrived"] >= _meet["started"]:
            break
        time.sleep(0.001)
    emit("released", role=target)


def _meets(target: str) -> bool:
    wanted = (_config.get("thread_rendezvous") or {}).get("target")
    return target == wanted or (isinstance(wanted, list) and target in wanted)


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


def _watch_warnings() -> None:
    """Record every warning shown outside the harness's own ``catch_warnings`` (which records
    those raised during its calls), in any thread: a thread that outlives its call still
    tells. DeprecationWarnings of the submission's module are always shown."""
    import re
    import warnings

    module = _config.get("module")
    if module:
        pattern = f"({re.escape(module)}|__main__)$"
        warnings.filterwarnings("always", category=DeprecationWarning, module=pattern)
    original = warnings._showwarnmsg  # type: ignore[attr-defined]
    plain = warnings._showwarnmsg_impl  # type: ignore[attr-defined]

    def _showwarnmsg(msg: Any) -> None:
        if warnings._showwarnmsg_impl is plain:  # type: ignore[attr-defined]
            emit(
                "warning",
                category=msg.category.__name__,
                message=str(msg.message),
                file=msg.filename,
                line=msg.lineno,
            )
        original(msg)

    warnings._showwarnmsg = _showwarnmsg  # type: ignore[attr-defined]


def _instrument_threading() -> None:
    import atexit
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
    thread = threading.Thread
    original_bootstrap_inner = thread._bootstrap_inner  # type: ignore[attr-defined]
    original_start = thread.start
    original_join = thread.join

    def _bootstrap_inner(self: Any) -> None:
        ident = _get_ident()
        target = _target_name(self)
        _thread_roles[ident] = target
        # Before the thread counts as started: start() returns only after this record.
        try:
            record = _thread_record(self, target)
        except Exception:  # an argument whose repr() raises must not change the thread
            record = {"ident": ident, "name": str(self.name), "target": target}
        emit("thread", **record)
        if _meets(target):
            run = self.run

            def meet_then_run() -> None:
                _thread_rendezvous(target)
                run()

            self.run = meet_then_run
        try:
            original_bootstrap_inner(self)
        finally:
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, RecordingStream):
                    stream.flush()
            emit("thread_end", ident=ident, name=self.name)
            _thread_roles.pop(ident, None)

    def start(self: Any) -> None:
        self._lockstep_target = _target_name(self)
        original_start(self)
        if _meets(self._lockstep_target):
            with _meet_guard:
                _meet["started"] += 1

    def join(self: Any, timeout: float | None = None) -> None:
        if _meets(getattr(self, "_lockstep_target", "")):
            _meet["joining"] = 1
        original_join(self, timeout)

    thread._bootstrap_inner = _bootstrap_inner  # type: ignore[attr-defined]
    thread.start = start  # type: ignore[method-assign]
    thread.join = join  # type: ignore[method-assign]
    atexit.register(_at_exit)
    _watch_warnings()


def _install() -> None:
    global _fd, _config
    if not _RUN_DIR:
        return
    try:
        _fd = os.open(
            os.path.join(_RUN_DIR, "records.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
        )
    except OSError:
        return
    _config = _load_config()
    _open_dump_file()
    emit("proc", ppid=_getppid(), how="exec", argv=sys.argv[:3])
    sys.stdout = RecordingStream("out", sys.stdout)
    sys.stderr = RecordingStream("err", sys.stderr)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    _instrument_multiprocessing()
    _instrument_threading()


_install()
