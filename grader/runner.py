"""Run one scenario of a submission out of process, under a wall-clock deadline.

The grader never imports a submission. Each run is a fresh interpreter (``probe/harness.py``)
started in a sandbox (``sandbox.py``: its own session, resource limits, a PID namespace where
the system allows it), with an environment built here and the probe on ``PYTHONPATH``.
When the deadline passes, every process of the run is asked for its stacks (``SIGUSR1``, which
the probe turns into a faulthandler dump; where there is no such signal, each process dumps
them itself at the deadline), then the whole run is killed and reaped. A run that passes a
limit (processes, output, memory) is ended at once and says which.
"""

from __future__ import annotations

import compileall
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import limits, output_check, reaper
from . import sandbox as sandboxes
from .probe.lockstep_probe.protocol import (
    Levers,
    QueueArg,
    run_config,
)
from .sandbox import KEPT_OUTPUT, RunSandbox
from .stacks import ThreadStack, read_dumps
from .trace import Trace, parse_trace

PROBE_DIR = Path(__file__).parent / "probe"
HARNESS_ENTRY = "from harness import main; main()"
"""How a run's harness is started (``harness_command``): every run's command line holds it."""
OUTPUT_CAP = KEPT_OUTPUT
_DUMP_WAIT = 0.5
_MP_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
"""Processes multiprocessing starts for itself; they end a moment after the program."""

# Variables that would change how the submission's interpreter starts; PYTHONUNBUFFERED is
# kept on purpose: the verdict must not depend on it.
_DROPPED_PREFIXES = ("PYTHON", "LOCKSTEP_", "COV_CORE_", "PYTEST_")
_KEPT = ("PYTHONUNBUFFERED", "PYTHONHASHSEED")


@dataclass(frozen=True)
class Call:
    """A call the harness makes into the submission's module."""

    function: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        kwargs = {
            k: v.to_config() if isinstance(v, QueueArg) else v for k, v in self.kwargs.items()
        }
        return {"function": self.function, "kwargs": kwargs}


AS_PROGRAM = Call("__main__")
"""Run the submission's file as a program (``python ex08_threads.py``), its ``__main__`` block
and all; when it is done the interpreter ends the usual way (non-daemon threads joined first,
daemon threads stopped)."""


@dataclass(frozen=True)
class Scenario:
    """One run of a submission: which calls, under which start method, with which levers."""

    name: str
    calls: tuple[Call, ...]
    start_method: str | None = None
    deadline: float = 5.0
    levers: Levers = field(default_factory=Levers)
    """What the probe does to make a mistake show on every run (``protocol.Levers``)."""
    floor: float = 0.0
    """Seconds a right program must spend sleeping one after the other in this run: the delays
    the calls ask for and the pauses the levers add. No run can be faster (the benchmark's
    floor)."""


@dataclass
class Run:
    """What happened when a scenario ran."""

    scenario: Scenario
    trace: Trace
    timed_out: bool
    exit_code: int | None
    duration: float
    output: str
    """What reached the file descriptors 1 and 2 outside ``print`` (cut at ``OUTPUT_CAP``; each
    process's, the main program's last: ``output_check``)."""
    stacks: dict[int, list[ThreadStack]] = field(default_factory=dict)
    """Where each process was when the deadline passed (empty when the run ended in time)."""
    leftovers: list[int] = field(default_factory=list)
    """Processes of the run still alive after the harness ended, which the grader killed."""
    submission: Path = Path()
    problem: str | None = None
    """The limit the run went past, in words naming the exercise (``limits.py``); the run was
    ended there. None for a run that stayed within its limits."""
    unread: list[int] = field(default_factory=list)
    """Processes alive at the deadline whose stacks could not be read (one that ignores or
    blocks ``SIGUSR1``, or is stopped)."""
    untrue: str | None = None
    """The records claim a printed line that never reached its process's output: the run
    cannot be graded (``output_check``)."""


def child_environment(run_dir: Path, submission: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in _KEPT or not key.startswith(_DROPPED_PREFIXES)
    }
    env.update(
        LOCKSTEP_RUN_DIR=str(run_dir),
        PYTHONPATH=os.pathsep.join([str(PROBE_DIR), str(submission.resolve())]),
        PYTHONIOENCODING="utf-8",
        PYTHONDONTWRITEBYTECODE="1",
        LC_ALL="C.UTF-8",
        LOCKSTEP_RECORD_CAP=str(limits.RECORD_MB * limits.MB),
        **limits.CHILD_ENVIRONMENT,
    )
    return env


def harness_command(run_dir: Path) -> list[str]:
    """The harness's command line: ``-c`` code, not the file, so that the main module of a
    spawn or forkserver child is not the harness, which each one would import again (about a
    quarter of what starting one costs). ``sys.path`` is as for ``python harness.py``."""
    code = f"import sys; sys.path[0] = {str(PROBE_DIR)!r}; {HARNESS_ENTRY}"
    return [sys.executable, "-c", code, str(run_dir)]


@functools.cache
def compile_probe() -> None:
    """Write the probe's bytecode, once. The runs never write any (``PYTHONDONTWRITEBYTECODE``,
    a read-only kit), and every interpreter of every run imports the probe: compiling it each
    time costs a tenth of what starting a spawn child does. Where the kit is read-only for the
    grader too, nothing is written and the runs compile it as before."""
    compileall.compile_dir(PROBE_DIR, quiet=2, optimize=0)


def run(scenario: Scenario, submission: Path, module: str, api: list[dict[str, Any]]) -> Run:
    """Run ``scenario`` against ``submission/module.py`` and collect what happened."""
    compile_probe()
    run_dir = Path(tempfile.mkdtemp(prefix="lockstep-"))
    try:
        return _run_in(run_dir, scenario, submission, module, api)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _run_in(
    run_dir: Path, scenario: Scenario, submission: Path, module: str, api: list[dict[str, Any]]
) -> Run:
    (run_dir / "dumps").mkdir()
    (run_dir / "rendezvous").mkdir()
    (run_dir / "records.jsonl").touch()
    (run_dir / "work").mkdir()
    (run_dir / "out").mkdir()
    config = run_config(
        module=module,
        submission=str(submission.resolve()),
        start_method=scenario.start_method,
        calls=[call.to_json() for call in scenario.calls],
        api=api,
        levers=scenario.levers,
    )
    (run_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    reaper.become_subreaper()
    origin = time.monotonic_ns()
    sandbox = sandboxes.start(
        run_dir,
        harness_command(run_dir),
        child_environment(run_dir, submission),
        run_dir / "work",
        read_only=(PROBE_DIR.parent, submission.resolve()),
        deadline=scenario.deadline,
    )
    stacks: dict[int, list[ThreadStack]] = {}
    unread: list[int] = []
    try:
        outcome = sandbox.watch(scenario.deadline)
        if outcome == "timeout":
            stacks, unread = _collect_stacks(run_dir, sandbox)
        duration = (time.monotonic_ns() - origin) / 1e9
    finally:
        left = sandbox.end()
    trace = parse_trace(_capped_records(run_dir), origin)
    ended = outcome == "ended" and sandbox.exit_code is not None and sandbox.exit_code >= 0
    outputs = output_check.judge(run_dir, trace, module, harness_ended=ended)
    if outcome == "ended" and trace.capped:
        outcome = "records"  # the probe's cap, reached before the watch looked
    return Run(
        scenario=scenario,
        trace=trace,
        timed_out=outcome == "timeout",
        exit_code=sandbox.exit_code if sandbox.ended else None,
        duration=duration,
        output=(sandbox.output_text() + "\n" + outputs.outside).strip(),
        stacks=stacks,
        leftovers=[pid for pid, _ in left],
        submission=submission,
        problem=_problem(outcome, module, trace)
        or (_escaped(module, trace, left) if outcome == "ended" else None)
        or outputs.flood,
        untrue=outputs.untrue,
        unread=unread,
    )


def _escaped(module: str, trace: Trace, left: list[tuple[int, str]]) -> str | None:
    """Processes that outlived the program and are neither its ``multiprocessing`` children
    (which checks judge themselves) nor multiprocessing's own helpers."""
    children = {p.pid for p in trace.children()}
    escaped = [
        (pid, command)
        for pid, command in left
        # A process with no command line is exiting (or not yet exec'd): not an escapee.
        if command and pid not in children and not any(helper in command for helper in _MP_HELPERS)
    ]
    return limits.left_running(module, escaped) if escaped else None


def _problem(outcome: str, module: str, trace: Trace) -> str | None:
    """The limit a run went past, in words; None when it stayed within its limits."""
    if outcome == "processes":
        return limits.too_many_processes(module)
    if outcome == "memory":
        return limits.too_much_memory(module)
    if outcome == "output":
        return limits.too_much_output(module)
    if outcome == "records":
        what = "put on queues" if len(trace.queue) > len(trace.lines) else "printed"
        return limits.too_much_printed(module, what)
    if outcome == "supervisor":
        return limits.supervisor_killed(module)
    errors = [trace.load_error or {}, *(call.error or {} for call in trace.calls)]
    if any(error.get("type") == "MemoryError" for error in errors) or any(
        line.stream == "err" and line.text.startswith("MemoryError") for line in trace.lines
    ):
        return limits.out_of_memory(module)
    return None


def _capped_records(run_dir: Path) -> Path:
    """The records file, cut to the probe's cap: a submission that writes into it directly
    cannot make the grader read gigabytes."""
    path = run_dir / "records.jsonl"
    cap = limits.RECORD_MB * limits.MB + 64 * 1024
    try:
        if path.stat().st_size > cap:
            os.truncate(path, cap)
    except OSError:
        pass
    return path


def _collect_stacks(
    run_dir: Path, sandbox: RunSandbox
) -> tuple[dict[int, list[ThreadStack]], list[int]]:
    """Ask every process of the run where it is, and wait until the dumps are written; also
    the processes that wrote none (PIDs as the submission saw them)."""
    dumps = run_dir / "dumps"
    processes = sandbox.processes()
    asked = [sandbox.inner_pid(p.pid) for p in processes]
    sandbox.ask_for_stacks(processes)
    deadline = time.monotonic() + _DUMP_WAIT
    sizes: dict[str, int] = {}
    while time.monotonic() < deadline:
        time.sleep(0.03)
        now = {p.name: p.stat().st_size for p in dumps.glob("*.txt")}
        written = sum(1 for size in now.values() if size)
        if written >= len(processes) and now == sizes:
            break
        sizes = now
    stacks = read_dumps(dumps)
    return stacks, [pid for pid in asked if pid not in stacks]
