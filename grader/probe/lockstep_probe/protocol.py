"""What the probe and the grader say to each other: the record kinds, the shape of each record,
and the levers of a run, built by the grader and read by the probe.

Imported by the probe inside the student's interpreter (``lockstep_probe.protocol``) and by the
grader (``grader.probe.lockstep_probe.protocol``): standard library only, no side effects.
A record is one JSON object per line of ``records.jsonl``; every record carries ``k`` (its
kind), ``pid``, ``t`` (``time.monotonic_ns()``) and ``tid`` (the writing thread's ident).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypedDict

# Processes.
PROC = "proc"
"""An interpreter's first record (``ppid``, ``how``: ``exec`` or ``fork``)."""
CHILD = "child"
"""A ``multiprocessing`` child begins (``ppid``, ``parent``, ``name``, ``cls``, ``daemon``;
``library`` for one ``multiprocessing`` starts for itself, a Manager's server)."""
STARTED = "started"
"""A parent started a child (``child``, ``name``, ``cls``, ``daemon``)."""
EXIT = "exit"
"""A child's ``run()`` is over and its streams flushed; it exits with ``code``. ``unflushed``:
by stream (``out``, ``err``), how many of the lines it recorded last may not have been
written (recorded after its last flush began); all the others were."""
JOINED = "joined"
"""A parent collected a child's exit ``code`` with ``join()``."""
GLOBALS = "globals"
"""A child's watched module globals as it ends (``values``: name -> repr)."""
ENTER = "enter"
"""A thread entered a contract function (``fn``) for the first time; ``first`` when it is the
first one that thread entered (its role), with the arguments it was called with."""
# Output.
OUT = "out"
ERR = "err"
"""A line written to ``sys.stdout`` / ``sys.stderr`` by writes that returned (``line``;
``partial`` when it had no newline yet when flushed). Whether its bytes reached the output is
for the grader to see (``WRITTEN``, ``RUN_DIR/out/<pid>``)."""
WRITTEN = "written"
"""How a process's ``stream`` (``out``, ``err``) reaches its file descriptor. Once as the
process begins: ``encoding`` and ``errors`` (how its text becomes bytes) and ``observed``
(the descriptor points at the process's own file ``RUN_DIR/out/<pid>``, where the grader reads
what really reached it). Then, at the first write or flush that failed: ``error``; lines
still buffered then may never have been written."""
# Queues.
PUT = "put"
GET = "get"
# The harness's calls.
LOADED = "loaded"
LOAD_ERROR = "load_error"
CALL = "call"
CALL_CONTEXT = "call_context"
RETURN = "return"
RAISE = "raise"
AFTER_CALL = "after_call"
DONE = "done"
WARNING = "warning"
CAPPED = "capped"
"""The records file reached its cap; nothing more was recorded in that process."""
# Threads and their locks.
THREAD = "thread"
THREAD_END = "thread_end"
EXIT_THREADS = "exit_threads"
LOCK_NEW = "lock_new"
LOCK_WAIT = "lock_wait"
LOCK_ACQ = "lock_acq"
LOCK_REL = "lock_rel"
LOCK_GAVE_UP = "lock_gave_up"
# A database (``sqlite3``).
DB_CONNECT = "db_connect"
"""A connection opened (``conn``: its id in that process, ``timeout``: its busy timeout,
``isolation``: ``repr`` of its ``isolation_level``, ``autocommit``: ``repr`` of that attribute,
3.12+, else None; ``txn``: a transaction already open, as with ``autocommit=False``)."""
DB_STATEMENT = "db_statement"
"""A statement ran on a connection (``conn``, ``sql``, ``rows`` changed, ``took`` seconds,
``txn``/``txn_after``: a transaction open before/after it, ``write_after``: this connection
then held the database's write lock, ``error`` when it raised: ``database is locked``...)."""
DB_END = "db_end"
"""A connection's ``commit()``, ``rollback()``, ``with`` block end or ``close()`` (``how``),
with ``conn``, ``took``, ``txn``/``txn_after`` and ``error`` as for a statement."""

RECORD_KINDS = frozenset(
    {
        PROC, CHILD, STARTED, EXIT, JOINED, GLOBALS, ENTER, OUT, ERR, PUT, GET,
        LOADED, LOAD_ERROR, CALL, CALL_CONTEXT, RETURN, RAISE, AFTER_CALL, DONE, WARNING,
        CAPPED, THREAD, THREAD_END, EXIT_THREADS, LOCK_NEW, LOCK_WAIT, LOCK_ACQ, LOCK_REL,
        LOCK_GAVE_UP, DB_CONNECT, DB_STATEMENT, DB_END, WRITTEN,
    }
)  # fmt: skip
"""Every kind a record may have: the probe writes no other, the grader reads no other."""

if TYPE_CHECKING:

    class Common(TypedDict):
        k: str
        pid: int
        t: int
        tid: int

    class ProcRecord(Common, total=False):
        ppid: int
        how: str
        argv: list[str]

    class ChildRecord(Common, total=False):
        ppid: int
        parent: int | None
        name: str
        cls: str
        daemon: bool
        library: bool
        target: str | None

    class StartedRecord(Common, total=False):
        child: int
        name: str
        cls: str
        daemon: bool
        library: bool
        target: str | None

    class ExitRecord(Common, total=False):
        code: int
        unflushed: dict[str, int]

    class JoinedRecord(Common):
        child: int
        code: int

    class GlobalsRecord(Common):
        values: dict[str, str]

    class EnterRecord(Common, total=False):
        fn: str
        first: bool
        args: dict[str, str]
        label: str | None
        locks: dict[str, int]

    class LineRecord(Common, total=False):
        line: str
        partial: bool

    class WrittenRecord(Common, total=False):
        stream: str
        encoding: str
        errors: str
        observed: bool
        error: str

    class QueueRecord(Common):
        item: str

    class CallRecord(Common):
        index: int
        function: str
        kwargs: dict[str, Any]

    class CallContextRecord(Common, total=False):
        index: int
        threads: dict[str, Any]
        script: str | None

    class ReturnRecord(Common, total=False):
        index: int
        value: Any
        duration: float
        cpu: float

    class RaiseRecord(ReturnRecord, total=False):
        type: str
        message: str
        frames: list[dict[str, Any]]

    class AfterCallRecord(Common):
        index: int
        live: list[int]

    class LoadErrorRecord(Common, total=False):
        reason: str
        message: str
        line: int | None
        code: str
        type: str
        frames: list[dict[str, Any]]

    class LoadedRecord(Common, total=False):
        file: str | None

    class WarningRecord(Common, total=False):
        category: str
        message: str
        file: str
        line: int

    class ThreadRecord(Common, total=False):
        ident: int
        name: str
        cls: str
        daemon: bool
        probe: bool
        target: str | None

    class ThreadEndRecord(Common, total=False):
        ident: int
        name: str

    class ExitThreadsRecord(Common):
        alive: list[dict[str, Any]]

    class LockNewRecord(Common, total=False):
        lock: int
        type: str
        line: int
        func: str

    class LockEventRecord(Common, total=False):
        lock: int
        line: int
        func: str
        # ``as``: the names the lock goes by at that line (a keyword, so not a field here).

    class DbConnectRecord(Common, total=False):
        conn: int
        timeout: float | None
        isolation: str
        autocommit: str | None
        txn: bool

    class DbStatementRecord(Common, total=False):
        conn: int
        sql: str
        how: str
        rows: int
        took: float
        txn: bool
        txn_after: bool
        write_after: bool
        error: str | None


# The levers: what the grader asks the probe to do in a run, to make a mistake show on every
# run. Each is keyed by a role: the contract function a process or thread entered first.


class _Fields:
    """A value of named fields: compared, shown and turned into its config by its
    ``__slots__``. Not a dataclass: every graded interpreter imports this module, and
    ``dataclasses`` (with ``inspect``) would add a fifth to what the probe costs to start."""

    __slots__: tuple[str, ...] = ()

    def to_config(self) -> dict[str, Any]:
        return {name: _config(getattr(self, name)) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self.to_config() == other.to_config()

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


def _config(value: Any) -> Any:
    if isinstance(value, _Fields):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_config(item) for item in value]
    if isinstance(value, dict):
        return {key: _config(item) for key, item in value.items()}
    return value


class Rendezvous(_Fields):
    """Hold the processes (or, with ``threads``, the threads) whose role is one of ``roles``
    where they enter it, until ``count`` have arrived, or every one started so far has
    arrived or shown another role and the starter waits in ``join()``, or ``timeout``
    seconds have passed. ``count`` may name an argument of the call (``"threads"``). With
    ``stagger``, the held processes then go one after another in the order they were
    started."""

    __slots__ = ("count", "roles", "stagger", "timeout")

    def __init__(
        self,
        roles: tuple[str, ...],
        count: int | str | None = None,
        timeout: float = 3.0,
        stagger: float = 0.0,
    ) -> None:
        self.roles = tuple(roles)
        self.count = count
        self.timeout = timeout
        self.stagger = stagger

    @classmethod
    def from_config(cls, value: Any) -> Rendezvous | None:
        if not value:
            return None
        return cls(
            tuple(value.get("roles") or ()),
            value.get("count"),
            float(value.get("timeout", 3.0)),
            float(value.get("stagger", 0.0)),
        )


class QueueArg(_Fields):
    """A call's argument: a ``multiprocessing.Queue(maxsize)`` the harness makes, shared by
    ``name`` with later calls. ``put`` goes in at once or, with ``every``, one item every
    ``every`` seconds from a helper thread; with ``get_after``, a helper takes one item out
    after that many seconds. ``shown`` is how a message writes the argument."""

    __slots__ = ("every", "get_after", "maxsize", "name", "put", "shown")

    def __init__(
        self,
        name: str = "q",
        maxsize: int = 0,
        shown: str | None = None,
        put: tuple[Any, ...] = (),
        every: float = 0.0,
        get_after: float | None = None,
    ) -> None:
        self.name = name
        self.maxsize = maxsize
        self.shown = shown
        self.put = tuple(put)
        self.every = every
        self.get_after = get_after

    def to_config(self) -> dict[str, Any]:
        return {"lockstep": "queue", **super().to_config()}


def is_queue_arg(value: object) -> bool:
    """Whether a call's argument, as the config carries it, describes a ``QueueArg``."""
    return isinstance(value, dict) and value.get("lockstep") == "queue"


class ThreadSituation(_Fields):
    """Before the calls: the main thread renamed, helper threads alive through the calls."""

    __slots__ = ("extra", "main_name")

    def __init__(self, main_name: str | None = None, extra: tuple[str, ...] = ()) -> None:
        self.main_name = main_name
        self.extra = tuple(extra)


class Levers(_Fields):
    """Every lever of one run, as the probe reads them from ``config.json``.

    - ``rendezvous``, ``thread_rendezvous``: the common start of a race (``Rendezvous``).
    - ``slow``: seconds a process or thread of this role waits before each queue ``put`` (and
      after each ``get`` of an item other than ``None``).
    - ``pause_after_release``: seconds this role waits right after releasing a
      ``multiprocessing`` lock; ``pause_after_acquire``: after taking a ``threading`` lock.
    - ``watch_globals``: module globals a child records (their ``repr``) when its role
      function is done.
    - ``thread_situation``: the threads a run arranges before its calls.
    - ``read_together``: a process of one of these roles that has read the database (a
      ``SELECT``'s rows fetched) without holding its write lock is held there until ``count``
      processes have made as many such reads (or ended), or ``timeout`` seconds have passed:
      every buyer has then read before any writes. A read under the process's own write lock
      is never held.
    """

    __slots__ = (
        "pause_after_acquire",
        "pause_after_release",
        "read_together",
        "rendezvous",
        "slow",
        "thread_rendezvous",
        "thread_situation",
        "watch_globals",
    )

    def __init__(
        self,
        rendezvous: Rendezvous | None = None,
        thread_rendezvous: Rendezvous | None = None,
        slow: dict[str, float] | None = None,
        pause_after_release: dict[str, float] | None = None,
        pause_after_acquire: dict[str, float] | None = None,
        watch_globals: tuple[str, ...] = (),
        thread_situation: ThreadSituation | None = None,
        read_together: Rendezvous | None = None,
    ) -> None:
        self.rendezvous = rendezvous
        self.thread_rendezvous = thread_rendezvous
        self.slow: dict[str, float] = dict(slow or {})
        self.pause_after_release: dict[str, float] = dict(pause_after_release or {})
        self.pause_after_acquire: dict[str, float] = dict(pause_after_acquire or {})
        self.watch_globals = tuple(watch_globals)
        self.thread_situation = thread_situation or ThreadSituation()
        self.read_together = read_together

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Levers:
        situation = config.get("thread_situation") or {}
        return cls(
            rendezvous=Rendezvous.from_config(config.get("rendezvous")),
            thread_rendezvous=Rendezvous.from_config(config.get("thread_rendezvous")),
            read_together=Rendezvous.from_config(config.get("read_together")),
            slow=dict(config.get("slow") or {}),
            pause_after_release=dict(config.get("pause_after_release") or {}),
            pause_after_acquire=dict(config.get("pause_after_acquire") or {}),
            watch_globals=tuple(config.get("watch_globals") or ()),
            thread_situation=ThreadSituation(
                situation.get("main_name"), tuple(situation.get("extra") or ())
            ),
        )


def run_config(
    *,
    module: str,
    submission: str,
    start_method: str | None,
    calls: list[dict[str, Any]],
    api: list[dict[str, Any]],
    levers: Levers,
) -> dict[str, Any]:
    """The whole ``config.json`` of a run: what to load, what to call, which levers."""
    return {
        "module": module,
        "submission": submission,
        "start_method": start_method,
        "calls": calls,
        "api": api,
        "levers": levers.to_config(),
    }
