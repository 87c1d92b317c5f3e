"""The main program of a graded run: import the submission's module and make the planned calls.

Started by the grader in a fresh interpreter (so never inside the grader's own process), as
``-c`` code (``runner.harness_command``), with ``sitecustomize`` from this folder already
recording. Reads ``RUN_DIR/config.json``, records whether the module loads and has the promised
functions, then records what each call returned or raised. A call of ``__main__`` runs the
file as a program instead. When the calls are done the harness returns and the interpreter ends
the usual way (no ``os._exit``): it waits for non-daemon threads and stops daemon ones, as for
any program. Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import multiprocessing
import os
import queue
import runpy
import sys
import threading
import time
import traceback
import warnings

from lockstep_probe import records  # type: ignore[import-not-found]

# The probe, beside this file (``sitecustomize`` installed it at start-up).
from lockstep_probe.protocol import (  # type: ignore[import-not-found]
    AFTER_CALL,
    CALL,
    CALL_CONTEXT,
    DONE,
    LOAD_ERROR,
    LOADED,
    RAISE,
    RETURN,
    WARNING,
    is_queue_arg,
)
from lockstep_probe.records import emit  # type: ignore[import-not-found]
from lockstep_probe.rendezvous import reset_threads  # type: ignore[import-not-found]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def jsonable(value: Any) -> Any:
    """The value as JSON can carry it; tuples become lists, anything else its ``repr``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return {"repr": repr(value), "type": type(value).__name__}


def student_frames(tb: Any, module_file: str) -> list[dict[str, Any]]:
    """The frames of a traceback that lie in the submission's file, innermost last."""
    frames = []
    for frame in traceback.extract_tb(tb):
        if os.path.abspath(frame.filename) == module_file:
            frames.append(
                {
                    "file": frame.filename,
                    "line": frame.lineno,
                    "function": frame.name,
                    "code": frame.line or "",
                }
            )
    return frames


def describe_exception(exc: BaseException, module_file: str) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "frames": student_frames(exc.__traceback__, module_file),
    }


def check_api(module: Any, api: list[dict[str, Any]]) -> dict[str, str] | None:
    """Why the module does not offer the promised functions, or None when it does: the
    ``problem`` (missing, not_callable, no_parameter, extra_parameter) and its facts, which
    the grader puts into words (in the student's language)."""
    for function in api:
        name = function["name"]
        target = getattr(module, name, None)
        if target is None:
            return {"problem": "missing", "name": name}
        if not callable(target):
            return {"problem": "not_callable", "name": name, "type": type(target).__name__}
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            continue
        params = signature.parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for wanted in function["params"]:
            if wanted not in params and not takes_any:
                return {
                    "problem": "no_parameter",
                    "name": name,
                    "param": wanted,
                    "signature": function["signature"],
                }
        for param in params.values():
            if (
                param.default is param.empty
                and param.name not in function["params"]
                and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
            ):
                return {
                    "problem": "extra_parameter",
                    "name": name,
                    "param": param.name,
                    "signature": function["signature"],
                }
    return None


def load(config: dict[str, Any]) -> Any:
    module_name = config["module"]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            module = importlib.import_module(module_name)
    except SyntaxError as exc:
        emit(
            LOAD_ERROR,
            reason="syntax",
            message=exc.msg,
            line=exc.lineno,
            code=(exc.text or "").rstrip("\n"),
        )
        return None
    except BaseException as exc:
        module_file = os.path.join(config["submission"], f"{module_name}.py")
        emit(LOAD_ERROR, reason="exception", **describe_exception(exc, module_file))
        return None
    for warning in caught:
        emit(
            WARNING,
            category=warning.category.__name__,
            message=str(warning.message),
            file=warning.filename,
            line=warning.lineno,
        )
    problem = check_api(module, config.get("api", []))
    if problem:
        emit(LOAD_ERROR, reason="api", **problem)
        return None
    emit(LOADED, file=getattr(module, "__file__", None))
    return module


_made: dict[str, Any] = {}
"""Objects the calls asked for (``made_object``), by name: a later call gets the same one."""


def made_object(value: Any) -> Any:
    """A call's argument, with a queue in place of its description (``protocol.QueueArg``):
    a ``multiprocessing.Queue(maxsize)``, made on first use and shared by ``name`` with later
    calls. Any other value is passed as it is."""
    if not is_queue_arg(value):
        return value
    name = str(value.get("name", "q"))
    if name not in _made:
        made = _made[name] = multiprocessing.Queue(int(value.get("maxsize", 0)))
        items, every = list(value.get("put", [])), float(value.get("every", 0))
        if every:
            threading.Thread(target=_put_later, args=(made, items, every)).start()
        else:
            for item in items:
                made.put(item)
        if value.get("get_after") is not None:
            threading.Thread(target=_get_later, args=(made, float(value["get_after"]))).start()
    return _made[name]


def _put_later(made: Any, items: list[Any], every: float) -> None:
    for item in items:
        time.sleep(every)
        made.put(item)


def _get_later(made: Any, after: float) -> None:
    time.sleep(after)
    with contextlib.suppress(queue.Empty):
        made.get(timeout=5.0)


SCRIPT = "__main__"
"""A call of this name runs the submission's file as a program, as ``python ex08_threads.py``
would: its ``if __name__ == "__main__":`` block runs, and when the harness then returns, the
interpreter ends the usual way (its non-daemon threads joined, its daemon threads stopped)."""


def as_program(module_file: str) -> Any:
    def program() -> None:
        runpy.run_path(module_file, run_name="__main__")

    return program


def _keep_alive(stop: threading.Event) -> None:
    stop.wait()


def arrange_threads() -> threading.Event:
    """The situation a run asks for (``ThreadSituation``): the main thread renamed
    (``main_name``), helper threads alive until the calls are done (``extra``, their names).
    Facts that are the same in every bare process (``MainThread``, an active count of 2) then
    differ, so a program that guesses them is told apart from one that looks. Set the
    returned event to let the helpers end."""
    stop = threading.Event()
    situation = records.levers.thread_situation
    if situation.main_name:
        threading.main_thread().name = situation.main_name
    for name in situation.extra:
        helper = threading.Thread(target=_keep_alive, args=(stop,), name=str(name), daemon=True)
        helper.start()
    return stop


def threads_now() -> dict[str, Any]:
    """The threads of this process as a call begins (what it can count and name)."""
    return {
        "names": sorted(t.name for t in threading.enumerate()),
        "main": threading.main_thread().name,
    }


def live_children() -> list[int]:
    """PIDs of this process's multiprocessing children that still run (zombies excluded)."""
    alive = []
    for child in multiprocessing.active_children():
        if child.pid is not None and child.is_alive():
            alive.append(child.pid)
    return alive


def call(module: Any, index: int, spec: dict[str, Any], module_file: str) -> None:
    script = spec["function"] == SCRIPT
    function = as_program(module_file) if script else getattr(module, spec["function"])
    reset_threads(spec.get("kwargs", {}))
    rendezvous = os.path.join(os.environ["LOCKSTEP_RUN_DIR"], "rendezvous")
    for name in os.listdir(rendezvous):
        os.remove(os.path.join(rendezvous, name))
    kwargs = {key: made_object(value) for key, value in spec.get("kwargs", {}).items()}
    emit(CALL, index=index, function=spec["function"], kwargs=spec.get("kwargs", {}))
    program = os.path.basename(module_file) if script else None
    emit(CALL_CONTEXT, index=index, threads=threads_now(), script=program)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        clock, cpu = time.perf_counter(), time.process_time()
        try:
            value = function(*spec.get("args", []), **kwargs)
        except BaseException as exc:
            spent = {"duration": time.perf_counter() - clock, "cpu": time.process_time() - cpu}
            emit(RAISE, index=index, **spent, **describe_exception(exc, module_file))
        else:
            spent = {"duration": time.perf_counter() - clock, "cpu": time.process_time() - cpu}
            emit(RETURN, index=index, value=jsonable(value), **spent)
    for warning in caught:
        emit(
            WARNING,
            category=warning.category.__name__,
            message=str(warning.message),
            file=warning.filename,
            line=warning.lineno,
        )
    emit(AFTER_CALL, index=index, live=live_children())


def main() -> None:
    run_dir = sys.argv[1]
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as file:
        config = json.load(file)
    if config.get("start_method"):
        multiprocessing.set_start_method(config["start_method"], force=True)
    helpers = arrange_threads()
    module = load(config)
    if module is None:
        return
    module_file = os.path.abspath(module.__file__)
    for index, spec in enumerate(config.get("calls", [])):
        call(module, index, spec, module_file)
    helpers.set()
    emit(DONE)


if __name__ == "__main__":
    main()
