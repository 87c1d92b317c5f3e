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
- on ``SIGUSR1``, a dump of every thread's stack into a file per process.

It also applies the grader's levers: a common start for the children of a race (so that a
missing lock shows on every run, whatever the start method) and a slowed producer or consumer.
Only the standard library is used: this runs in the student's interpreter.
"""

from __future__ import annotations

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


def emit(kind: str, **fields: Any) -> None:
    """Append one record, in a single ``write()`` so records from many processes never mix."""
    global _capped
    if _fd < 0:
        return
    fields["k"] = kind
    fields["pid"] = _getpid()
    fields["t"] = _clock()
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
    """Stands in for ``sys.stdout``/``sys.stderr``: one record per complete line."""

    def __init__(self, stream: str, original: Any) -> None:
        super().__init__()
        self._stream = stream
        self._original = original
        self._pending = ""

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
        self._pending += text
        if "\n" in self._pending:
            *lines, self._pending = self._pending.split("\n")
            for line in lines:
                emit(self._stream, line=line[:_LINE_CAP])
        if len(self._pending) > _LINE_CAP:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._pending:
            emit(self._stream, line=self._pending[:_LINE_CAP], partial=True)
            self._pending = ""

    def forget(self) -> None:
        """Drop what a fork copied from the parent: the parent still owns those characters."""
        self._pending = ""


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
        )
        _rendezvous(_role)
        code: int = original_bootstrap(self, *args, **kwargs)
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, RecordingStream):
                stream.flush()
        emit("exit", code=code)
        return code

    started = itertools.count()

    def start(self: Any) -> None:
        original_start(self)
        emit("started", child=self.pid, name=self.name, target=_target_name(self))
        spec = _config.get("rendezvous")
        if spec and spec.get("target") == _target_name(self):
            name = f"started-{next(started):04d}-{self.pid}"
            open(os.path.join(_rendezvous_dir(), name), "w").close()

    def join(self: Any, timeout: float | None = None) -> None:
        spec = _config.get("rendezvous")
        if spec and spec.get("target") == _target_name(self):
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

    for cls in (queues.Queue, queues.JoinableQueue):
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


_install()
