"""The main program of a graded run: import the submission's module and make the planned calls.

Started by the grader as ``python harness.py RUN_DIR`` in a fresh interpreter (so never inside
the grader's own process), with ``sitecustomize`` from this folder already recording. Reads
``RUN_DIR/config.json``, records whether the module loads and has the promised functions, then
records what each call returned or raised. Only the standard library is used.
"""

from __future__ import annotations

import importlib
import inspect
import json
import multiprocessing
import os
import sys
import traceback
import warnings
from typing import Any

import sitecustomize  # type: ignore[import-not-found]  # the probe, beside this file

emit = sitecustomize.emit


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


def check_api(module: Any, api: list[dict[str, Any]]) -> str | None:
    """Why the module does not offer the promised functions, or None when it does."""
    for function in api:
        name = function["name"]
        target = getattr(module, name, None)
        if target is None:
            return f"missing function {name}(): is it defined at the top level and spelled {name}?"
        if not callable(target):
            return f"{name} is a {type(target).__name__}, not a function"
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            continue
        params = signature.parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for wanted in function["params"]:
            if wanted not in params and not takes_any:
                return (
                    f"{name}() has no parameter {wanted!r}: the exercise asks for "
                    f"{function['signature']}"
                )
        for param in params.values():
            if (
                param.default is param.empty
                and param.name not in function["params"]
                and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
            ):
                return (
                    f"{name}() requires a parameter {param.name!r} that the exercise does not "
                    f"have: the exercise asks for {function['signature']}"
                )
    return None


def load(config: dict[str, Any]) -> Any:
    module_name = config["module"]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            module = importlib.import_module(module_name)
    except SyntaxError as exc:
        emit(
            "load_error",
            reason="syntax",
            message=exc.msg,
            line=exc.lineno,
            code=(exc.text or "").rstrip("\n"),
        )
        return None
    except BaseException as exc:
        module_file = os.path.join(config["submission"], f"{module_name}.py")
        emit("load_error", reason="exception", **describe_exception(exc, module_file))
        return None
    for warning in caught:
        emit(
            "warning",
            category=warning.category.__name__,
            message=str(warning.message),
            file=warning.filename,
            line=warning.lineno,
        )
    problem = check_api(module, config.get("api", []))
    if problem:
        emit("load_error", reason="api", message=problem)
        return None
    emit("loaded", file=getattr(module, "__file__", None))
    return module


def live_children() -> list[int]:
    """PIDs of this process's multiprocessing children that still run (zombies excluded)."""
    alive = []
    for child in multiprocessing.active_children():
        if child.pid is not None and child.is_alive():
            alive.append(child.pid)
    return alive


def call(module: Any, index: int, spec: dict[str, Any], module_file: str) -> None:
    function = getattr(module, spec["function"])
    rendezvous = os.path.join(os.environ["LOCKSTEP_RUN_DIR"], "rendezvous")
    for name in os.listdir(rendezvous):
        os.remove(os.path.join(rendezvous, name))
    emit("call", index=index, function=spec["function"], kwargs=spec.get("kwargs", {}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        try:
            value = function(*spec.get("args", []), **spec.get("kwargs", {}))
        except BaseException as exc:
            emit("raise", index=index, **describe_exception(exc, module_file))
        else:
            emit("return", index=index, value=jsonable(value))
    for warning in caught:
        emit(
            "warning",
            category=warning.category.__name__,
            message=str(warning.message),
            file=warning.filename,
            line=warning.lineno,
        )
    emit("after_call", index=index, live=live_children())


def main() -> None:
    run_dir = sys.argv[1]
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as file:
        config = json.load(file)
    if config.get("start_method"):
        multiprocessing.set_start_method(config["start_method"], force=True)
    module = load(config)
    if module is None:
        return
    module_file = os.path.abspath(module.__file__)
    for index, spec in enumerate(config.get("calls", [])):
        call(module, index, spec, module_file)
    emit("done")


if __name__ == "__main__":
    main()
