"""ex08: starting threads, what they share, daemon threads, and today's threading names.

``thread_facts`` runs in a changed situation (the main thread renamed, a helper thread kept
alive), so the facts that are the same in every bare process cannot be guessed. ``main`` runs
once as a program (``python ex08_threads.py``: a daemon thread by default), and once called
with ``daemon=False``; after either, the harness lets the interpreter end the usual way, so a
daemon thread really dies with the main thread and a non-daemon one is really waited for.
The probe records DeprecationWarnings in every thread, also after a call has returned.
"""

from __future__ import annotations

import linecache
import re
from pathlib import Path
from typing import Any

from ..authoring import (
    AS_PROGRAM,
    Call,
    Checks,
    Failure,
    Levers,
    Location,
    Run,
    Runs,
    Scenario,
    ThreadInfo,
    ThreadSituation,
    t,
    timeline,
)

A, B = "红", 7
MAIN_NAME = "grader-main"
HELPER = "grader-helper"
NON_DAEMON_DELAY = 0.3
_DEPRECATED = re.compile(r"^(\w+)\(\) is deprecated")
CURRENT = {
    "setDaemon": "t.daemon = ...",
    "isDaemon": "t.daemon",
    "getName": "t.name",
    "setName": "t.name = ...",
    "currentThread": "threading.current_thread()",
    "activeCount": "threading.active_count()",
    "isSet": "event.is_set()",
    "notifyAll": "condition.notify_all()",
}
"""Each deprecated threading name and how it is spelled today."""

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            "facts",
            (Call("thread_facts", {"a": A, "b": B}),),
            levers=Levers(thread_situation=ThreadSituation(MAIN_NAME, (HELPER,))),
            floor=0.2,  # thread_facts' own delay for the task
        ),
        Scenario("daemon", (AS_PROGRAM,)),
        Scenario(
            "non_daemon",
            (Call("main", {"daemon": False, "delay": NON_DAEMON_DELAY}),),
            floor=NON_DAEMON_DELAY,
        ),
    ]


def task_threads(run: Run) -> list[ThreadInfo]:
    return run.trace.student_threads("task")


def printed(run: Run, text: str) -> list[float]:
    """When each line reading ``text`` was printed."""
    return [line.time for line in run.trace.out() if line.text.strip() == text]


@checks("thread_runs", "facts")
def thread_runs(runs: Runs) -> Failure | None:
    run = runs["facts"]
    call = run.trace.calls[0]
    started = [th for th in task_threads(run) if th.name == "Thread-2"]
    if not started:
        return Failure(
            observed=t(
                "{call} started no thread named Thread-2 running task (it started: {threads})",
                call=call.signature(),
                threads=", ".join(th.describe() for th in task_threads(run)),
            )
            if task_threads(run)
            else t("{call} started no thread named Thread-2 running task", call=call.signature()),
            expected=t(
                'Thread(target=task, name="Thread-2", args=(a,), kwargs={{"b": b, '
                '"delay": 0.2}}), started'
            ),
        )
    thread = started[0]
    wanted = {"a": repr(A), "b": repr(B), "delay": "0.2"}
    if thread.args != wanted:
        given = ", ".join(f"{k}={v}" for k, v in thread.args.items())
        return Failure(
            observed=t(
                "{call} called task({given}) in its thread", call=call.signature(), given=given
            ),
            expected=t(
                "task({a!r}, b={b!r}, delay=0.2): args=(a,), kwargs={{'b': b, 'delay': 0.2}}",
                a=A,
                b=B,
            ),
        )
    if thread.ended is None or call.ended is None or thread.ended > call.ended:
        return Failure(
            observed=t(
                "{call} returned while thread {thread} still ran",
                call=call.signature(),
                thread=thread.describe(),
            ),
            expected=t("thread_facts to join the thread before it returns"),
        )
    value = call.value if isinstance(call.value, dict) else {}
    pid = run.trace.harness_pid
    pids = {key: value.get(key) for key in ("pid_in_thread", "pid_in_main")}
    if any(got != pid for got in pids.values()):
        return Failure(
            observed=t(
                "{call} returned {pids}, but the program's PID was {pid}",
                call=call.signature(),
                pids=", ".join(f"{key}={got!r}" for key, got in pids.items()),
                pid=pid,
            ),
            expected=t(
                "both to be the program's PID: a thread runs inside the process that started "
                "it (pid_in_thread is seen['pid'], which task sets, read after the join)"
            ),
        )
    return None


@checks("facts_true", "facts")
def facts_true(runs: Runs) -> Failure | None:
    run = runs["facts"]
    call = run.trace.calls[0]
    before = call.threads_before
    names = list(before.get("names", []))
    wanted: dict[str, Any] = {
        "name": "Thread-2",
        "alive_before_join": True,
        "alive_after_join": False,
        "main": before.get("main"),
        "active_during": len(names) + 1,
        "names_during": sorted([*names, "Thread-2"]),
    }
    value = call.value if isinstance(call.value, dict) else {}
    wrong = [
        t(
            "{key}: returned {value!r}, but it was {right!r}",
            key=key,
            value=value.get(key),
            right=right,
        )
        for key, right in wanted.items()
        if value.get(key) != right
    ]
    if wrong:
        return Failure(
            observed=t(
                "{call} returned facts that were not true: {wrong}",
                call=call.signature(),
                wrong="; ".join(wrong),
            ),
            expected=t(
                "what was there while the thread ran (this time the main thread was named "
                "{main!r} and {count} threads were alive before yours started: {names})",
                main=before.get("main"),
                count=len(names),
                names=", ".join(names),
            ),
        )
    return None


@checks("daemon_dies", "daemon")
def daemon_dies(runs: Runs) -> Failure | None:
    run = runs["daemon"]
    program = run.trace.calls[0].signature()
    threads = task_threads(run)
    if not threads:
        return Failure(
            observed=t("{program} started no thread running task", program=program),
            expected=t("main() to start task in a thread"),
            evidence=timeline(run),
        )
    if "主线程" not in [line.text.strip() for line in run.trace.out()]:
        return Failure(
            observed=t("{program} never printed 主线程", program=program),
            expected=t("main() to print 主线程 after starting the thread"),
            evidence=timeline(run),
        )
    if printed(run, "aaa") or not threads[0].daemon:
        return Failure(
            observed=_daemon_observed(
                program, threads[0].describe(), threads[0].daemon, bool(printed(run, "aaa"))
            ),
            expected=t("a daemon thread, which ends with the main thread: aaa never printed"),
            evidence=timeline(run),
        )
    return None


def _daemon_observed(program: str, thread: str, daemon: bool, waited: bool) -> str:
    """What went wrong with the thread main() left as a daemon by default."""
    fields = {"program": program, "thread": thread}
    if daemon:
        return t(
            "{program} (main() with its default daemon=True): thread {thread} was a daemon "
            "thread, and the program waited for it to print aaa",
            **fields,
        )
    if waited:
        return t(
            "{program} (main() with its default daemon=True): thread {thread} was not a daemon "
            "thread, and the program waited for it to print aaa",
            **fields,
        )
    return t(
        "{program} (main() with its default daemon=True): thread {thread} was not a daemon thread",
        **fields,
    )


def _non_daemon_observed(call: str, main_line: bool, aaa: bool) -> str:
    """Which of 主线程 and aaa the non-daemon run printed (aaa first, when both)."""
    if main_line and aaa:
        return t("{call} printed 主线程 and aaa (aaa first)", call=call)
    if main_line:
        return t("{call} printed 主线程 and no aaa", call=call)
    if aaa:
        return t("{call} printed no 主线程 and aaa", call=call)
    return t("{call} printed no 主线程 and no aaa", call=call)


@checks("non_daemon_finishes", "non_daemon")
def non_daemon_finishes(runs: Runs) -> Failure | None:
    run = runs["non_daemon"]
    call = run.trace.calls[0]
    threads = task_threads(run)
    if not threads or threads[0].daemon:
        return Failure(
            observed=t(
                "{call} started thread {thread} as a daemon",
                call=call.signature(),
                thread=threads[0].describe(),
            )
            if threads
            else t("{call} started no thread", call=call.signature()),
            expected=t("with daemon=False, a thread running task that is not a daemon"),
            evidence=timeline(run),
        )
    main_line, aaa = printed(run, "主线程"), printed(run, "aaa")
    if not main_line or not aaa or aaa[0] < main_line[0]:
        return Failure(
            observed=_non_daemon_observed(call.signature(), bool(main_line), bool(aaa)),
            expected=t(
                "主线程 first; then, at the end of the program, aaa: Python waits for a "
                "non-daemon thread before it exits"
            ),
            evidence=timeline(run),
        )
    return None


@checks("current_api", "facts", "daemon", "non_daemon")
def current_api(runs: Runs) -> Failure | None:
    for run in runs.values():
        folder = run.submission.resolve()
        for warning in run.trace.warnings:
            match = _DEPRECATED.match(str(warning.get("message", "")))
            file = str(warning.get("file", ""))
            if (
                warning.get("category") != "DeprecationWarning"
                or match is None
                or match[1] not in CURRENT
                or Path(file).resolve().parent != folder
            ):
                continue
            line = int(warning.get("line") or 0)
            code = linecache.getline(file, line).strip()
            location = Location(file, line, code)
            fields = {
                "line": line,
                "file": Path(file).name,
                "name": match[1],
                "message": warning.get("message"),
            }
            return Failure(
                observed=t(
                    "line {line} of {file} uses {name}(), which is deprecated "
                    "(DeprecationWarning: {message}): `{code}`",
                    **fields,
                    code=code,
                )
                if code
                else t(
                    "line {line} of {file} uses {name}(), which is deprecated "
                    "(DeprecationWarning: {message})",
                    **fields,
                ),
                expected=t("today's spelling: `{spelling}`", spelling=CURRENT[match[1]]),
                location=location,
            )
    return None
