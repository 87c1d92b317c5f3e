"""Database traffic as the records see it: each ``sqlite3`` connection opened (its busy timeout
and transaction mode), each statement it ran (rows changed, whether a transaction was open
before and after, whether it then held the write lock, a ``database is locked`` error), and
each commit, rollback and close.

``sqlite3.Connection`` and ``Cursor`` are C types: ``sqlite3.connect`` is replaced by a
function that creates the real connection with ``factory=`` a recording subclass (so
``isinstance(conn, sqlite3.Connection)`` stays true); a connection made with the program's own
``factory=`` is left alone. ``sqlite3`` costs a tenth of a second to import, so it is patched
when the program imports it, not before.

The lever goes in here too (``Levers.read_together``): a process of a racing role that has
fetched a ``SELECT``'s rows without holding the write lock waits until every racer has made
as many such reads, so that a read outside the write transaction is stale on every run.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from . import records, roles
from .protocol import DB_CONNECT, DB_END, DB_STATEMENT
from .records import emit, getpid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_SQL_CAP = 160
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
_reads = 0
"""Reads outside the write lock this process has made (the held ones' generation)."""
_gone_pid = 0
"""The process that registered its end marker (a fork child must register its own)."""


def _sql_text(sql: Any) -> str:
    text = " ".join(str(sql).split())
    return text if len(text) <= _SQL_CAP else f"{text[:_SQL_CAP]}..."


def _verb(sql: str) -> str:
    words = sql.split(None, 2)
    return " ".join(words[:2]).upper() if words[:1] == ["BEGIN"] else (words[:1] or [""])[0]


def _is_locked(error: BaseException) -> bool:
    return "locked" in str(error) or "busy" in str(error)


# The read lever.


def _folder() -> str:
    return os.path.join(records.RUN_DIR, "rendezvous")


def _mark(name: str) -> None:
    with contextlib.suppress(OSError):
        open(os.path.join(_folder(), name), "w").close()


def _mark_gone() -> None:
    _mark(f"dbgone-{getpid()}")


def _hold_read() -> None:
    """This process fetched rows without the write lock: wait for the other racers' reads."""
    global _reads, _gone_pid
    spec = records.levers.read_together
    if spec is None or (roles.role() or roles.process_role()) not in spec.roles:
        return
    pid = getpid()
    if _gone_pid != pid:
        _gone_pid = pid
        with contextlib.suppress(Exception):
            from multiprocessing import util

            util.Finalize(None, _mark_gone, exitpriority=100)
    _reads += 1
    prefix = f"dbread-{_reads:04d}-"
    _mark(f"{prefix}{pid}")
    count = int(spec.count) if isinstance(spec.count, int) else 0
    give_up = time.monotonic() + spec.timeout
    while count and time.monotonic() < give_up:
        try:
            names = os.listdir(_folder())
        except OSError:
            return
        there = {n[len(prefix) :] for n in names if n.startswith(prefix)}
        there |= {n[len("dbgone-") :] for n in names if n.startswith("dbgone-")}
        if len(there) >= count:
            return
        time.sleep(0.001)


def _after_fork() -> None:
    global _reads
    _reads = 0


# The recording classes.


def _classes(sqlite3: Any) -> tuple[Any, Any]:
    base_connection, base_cursor = sqlite3.Connection, sqlite3.Cursor

    class Cursor(base_cursor):  # type: ignore[misc, valid-type]
        _lockstep_hold = False

        def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
            return _run(
                self.connection, sql, lambda: base_cursor.execute(self, sql, *args, **kwargs), self
            )

        def executemany(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
            return _run(
                self.connection,
                sql,
                lambda: base_cursor.executemany(self, sql, *args, **kwargs),
                self,
            )

        def executescript(self, script: Any) -> Any:
            return _run(
                self.connection, script, lambda: base_cursor.executescript(self, script), self
            )

        def _held(self, result: Any) -> Any:
            if self._lockstep_hold:
                self._lockstep_hold = False
                _hold_read()
            return result

        def fetchone(self) -> Any:
            return self._held(base_cursor.fetchone(self))

        def fetchall(self) -> Any:
            return self._held(base_cursor.fetchall(self))

        def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
            return self._held(base_cursor.fetchmany(self, *args, **kwargs))

        def __next__(self) -> Any:
            try:
                row = base_cursor.__next__(self)
            except StopIteration:
                self._held(None)
                raise
            return self._held(row)

    class Connection(base_connection):  # type: ignore[misc, valid-type]
        _lockstep_write = False
        _lockstep_quiet = False

        def cursor(self, factory: Any = Cursor) -> Any:
            return base_connection.cursor(self, factory)

        def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
            return self.cursor().execute(sql, *args, **kwargs)

        def executemany(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
            return self.cursor().executemany(sql, *args, **kwargs)

        def executescript(self, script: Any) -> Any:
            return self.cursor().executescript(script)

        def commit(self) -> Any:
            return _end(self, "commit", lambda: base_connection.commit(self))

        def rollback(self) -> Any:
            return _end(self, "rollback", lambda: base_connection.rollback(self))

        def close(self) -> Any:
            return _end(self, "close", lambda: base_connection.close(self))

        def __exit__(self, kind: Any, value: Any, traceback: Any) -> Any:
            how = "with: commit" if kind is None else "with: rollback"
            return _end(self, how, lambda: base_connection.__exit__(self, kind, value, traceback))

    return Connection, Cursor


def _in_transaction(conn: Any) -> bool:
    try:
        return bool(conn.in_transaction)
    except Exception:  # a closed connection
        return False


def _run(conn: Any, sql: Any, step: Any, cursor: Any) -> Any:
    """Run one statement of ``conn`` and record it; mark a read outside the write lock."""
    if getattr(conn, "_lockstep_quiet", True):
        return step()
    text = _sql_text(sql)
    verb = _verb(text.upper())
    before = _in_transaction(conn)
    started = time.monotonic()
    error: BaseException | None = None
    try:
        return step()
    except BaseException as raised:
        error = raised
        raise
    finally:
        after = _in_transaction(conn)
        if not after:
            conn._lockstep_write = False
        elif error is None and (verb in ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE") or verb in _WRITES):
            conn._lockstep_write = True
        rows = getattr(cursor, "rowcount", -1) if error is None else -1
        emit(
            DB_STATEMENT,
            conn=id(conn),
            sql=text,
            rows=rows if isinstance(rows, int) else -1,
            took=round(time.monotonic() - started, 6),
            txn=before,
            txn_after=after,
            write_after=bool(conn._lockstep_write),
            error=None if error is None else f"{type(error).__name__}: {error}",
        )
        if error is None and verb in ("SELECT", "WITH") and not conn._lockstep_write:
            cursor._lockstep_hold = True


def _end(conn: Any, how: str, step: Any) -> Any:
    """Commit, roll back or close ``conn`` (or end its ``with`` block) and record it."""
    if conn._lockstep_quiet:
        return step()
    before = _in_transaction(conn)
    started = time.monotonic()
    error: BaseException | None = None
    conn._lockstep_quiet = True  # a with block's end calls commit() itself
    try:
        return step()
    except BaseException as raised:
        error = raised
        raise
    finally:
        conn._lockstep_quiet = False
        after = _in_transaction(conn)
        if not after:
            conn._lockstep_write = False
        emit(
            DB_END,
            conn=id(conn),
            how=how,
            took=round(time.monotonic() - started, 6),
            txn=before,
            txn_after=after,
            write_after=bool(conn._lockstep_write),
            error=None if error is None else f"{type(error).__name__}: {error}",
        )


def _patch(sqlite3: Any) -> None:
    if getattr(sqlite3.connect, "_lockstep", False):
        return
    connection_class, _ = _classes(sqlite3)
    original = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) >= 5 or "factory" in kwargs:  # the program's own factory: not recorded
            return original(database, *args, **kwargs)
        conn = original(database, *args, factory=connection_class, **kwargs)
        timeout = kwargs.get("timeout", args[0] if args else 5.0)
        autocommit = getattr(conn, "autocommit", None)
        emit(
            DB_CONNECT,
            conn=id(conn),
            timeout=timeout if isinstance(timeout, (int, float)) else None,
            isolation=repr(conn.isolation_level),
            autocommit=None if autocommit is None else repr(autocommit),
            txn=_in_transaction(conn),
        )
        return conn

    connect._lockstep = True  # type: ignore[attr-defined]
    connect.__doc__ = original.__doc__
    sqlite3.connect = connect
    dbapi2 = sys.modules.get("sqlite3.dbapi2")
    if dbapi2 is not None:
        dbapi2.connect = connect  # type: ignore[attr-defined]


class _PatchOnImport:
    """A ``sys.meta_path`` finder that patches ``sqlite3`` once the program has imported it."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "sqlite3":
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec(module)
            with contextlib.suppress(Exception):
                _patch(module)

        loader.exec_module = exec_module
        return spec


def instrument() -> None:
    if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
        os.register_at_fork(after_in_child=_after_fork)
    if "sqlite3" in sys.modules:
        _patch(sys.modules["sqlite3"])
    else:
        sys.meta_path.insert(0, _PatchOnImport())
