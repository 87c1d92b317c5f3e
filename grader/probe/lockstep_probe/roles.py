"""The role of each process and thread: the contract function it entered first.

However a process or thread was started (``Process(target=task)``, a subclass whose ``run()``
calls ``task``, a ``functools.partial``, a wrapper, a bound method, a pool's worker), what it
is for shows when it enters one of the exercise's functions (the catalogue's ``api``). That
entry is seen from the inside, wherever the reference to the function came from: through
``sys.monitoring`` (Python 3.12+: a ``PY_START`` event, switched off for good for every other
code object the first time it starts) or, before 3.12, a profile function in every thread.
Each first entry of a function in a thread is recorded (``enter``) with the arguments it was
called with; the first of all is the thread's role, and the levers keyed by role
(``rendezvous``, ``delays``) act from there.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

from . import records
from .protocol import ENTER
from .records import emit, get_ident, short

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, FrameType
    from typing import Any

_TOOL_NAME = "lockstep"
_ARGUMENT_CAP = 8

contract: frozenset[str] = frozenset()
"""The names of the exercise's functions (the catalogue's ``api``)."""
_module_file = ""
_known: dict[Any, bool] = {}
"""Code object -> whether it is one of the contract functions (before 3.12)."""
entered: dict[int, list[str]] = {}
"""Thread ident -> the contract functions it entered, in order (the first is its role)."""
namespaces: dict[int, dict[str, Any]] = {}
"""Thread ident -> the module globals of its role function (``processes`` reads them)."""
on_role: list[Callable[[str], None]] = []
"""Called in the thread, right after its role is recorded (the levers that hold it)."""


def role(ident: int | None = None) -> str | None:
    """The role of a thread (default: the calling one), None before it entered any."""
    functions = entered.get(get_ident() if ident is None else ident)
    return functions[0] if functions else None


def process_role() -> str | None:
    """The role of this process: its main thread's, else the first any thread took."""
    main = threading.main_thread().ident
    first = role(main) if main is not None else None
    return first or next((functions[0] for functions in entered.values() if functions), None)


def forget() -> None:
    """A new process begins (a fork child): it has entered nothing yet."""
    entered.clear()
    namespaces.clear()


def _in_module(code: CodeType) -> bool:
    """Whether ``code`` is a function at the top level of the submission's module."""
    qualname = getattr(code, "co_qualname", code.co_name)  # 3.11+: a method is Class.name
    if qualname != code.co_name:
        return False
    try:
        return os.path.abspath(code.co_filename) == _module_file
    except (TypeError, ValueError):
        return False


def _is_contract(code: CodeType) -> bool:
    return code.co_name in contract and _in_module(code)


def _entered(code: CodeType, frame: FrameType) -> None:
    ident = get_ident()
    functions = entered.setdefault(ident, [])
    name = code.co_name
    if name in functions:
        return
    first = not functions
    functions.append(name)
    count = code.co_argcount + code.co_kwonlyargcount
    arguments = {n: frame.f_locals[n] for n in code.co_varnames[:count] if n in frame.f_locals}
    label = arguments.get("name")
    fields: dict[str, Any] = {
        "fn": name,
        "first": first,
        "args": {n: short(v) for n, v in list(arguments.items())[:_ARGUMENT_CAP]},
        "label": label[:40] if isinstance(label, str) else None,
    }
    lock_ids = {n: v._lock_id for n, v in arguments.items() if hasattr(v, "_lock_id")}
    if lock_ids:
        fields["locks"] = lock_ids
    emit(ENTER, **fields)
    if first:
        namespaces[ident] = frame.f_globals
        for call in on_role:
            call(name)


def static_role(started: Any) -> str | None:
    """The submission's function a ``Process`` or ``Thread`` was given as ``target=``
    (through a ``functools.partial`` too), or the contract function its subclass's ``run()``
    calls by name: its role should it end before entering any contract function (a daemon
    thread stopped at exit, a helper the exercise does not name)."""
    target = getattr(started, "_target", None)
    for _ in range(4):
        target = getattr(target, "func", target)  # functools.partial, possibly nested
    code = getattr(target, "__code__", None)
    if code is not None and _in_module(code):
        return str(code.co_name)
    run = getattr(getattr(type(started), "run", None), "__code__", None)
    if run is not None and os.path.abspath(run.co_filename) == _module_file:
        return next((name for name in run.co_names if name in contract), None)
    return None


def _watch_with_monitoring() -> bool:
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        return False
    for tool in (5, 4, 3):  # free tool ids beside the debugger, coverage and profiler ones
        try:
            monitoring.use_tool_id(tool, _TOOL_NAME)
        except ValueError:
            continue
        break
    else:
        return False
    disable = monitoring.DISABLE

    def started(code: CodeType, offset: int) -> Any:
        if not _is_contract(code):
            return disable
        # An argument's repr() that raises must not change the program.
        with contextlib.suppress(Exception):
            _entered(code, sys._getframe(1))
        return None

    monitoring.register_callback(tool, monitoring.events.PY_START, started)
    monitoring.set_events(tool, monitoring.events.PY_START)
    return True


def _watch_with_profile() -> None:
    known = _known

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        found = known.get(code)
        if found is None:
            found = known[code] = _is_contract(code)
        if found:
            with contextlib.suppress(Exception):  # as above
                _entered(code, frame)

    threading.setprofile(profile)
    sys.setprofile(profile)


def watch() -> None:
    """Start seeing entries into the contract functions, in every thread of this process and
    of the processes it forks (a spawned one installs the probe again)."""
    global contract, _module_file
    config = records.config
    contract = frozenset(str(f.get("name")) for f in config.get("api", []) if f.get("name"))
    if not contract or not config.get("module") or not config.get("submission"):
        return
    _module_file = os.path.join(str(config["submission"]), f"{config['module']}.py")
    if not _watch_with_monitoring():
        _watch_with_profile()
