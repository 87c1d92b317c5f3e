"""Run one scenario of a submission out of process, under a wall-clock deadline.

The grader never imports a submission. Each run is a fresh interpreter (``probe/harness.py``)
leading its own process group, with an environment built here and the probe on ``PYTHONPATH``.
When the deadline passes, every process of the run is asked for its stacks (``SIGUSR1``, which
the probe turns into a faulthandler dump), then the whole run is killed and reaped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import reaper
from .stacks import ThreadStack, read_dumps
from .trace import Trace, parse_trace

PROBE_DIR = Path(__file__).parent / "probe"
OUTPUT_CAP = 64 * 1024
_DUMP_WAIT = 0.5

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
        return {"function": self.function, "kwargs": self.kwargs}


@dataclass(frozen=True)
class Scenario:
    """One run of a submission: which calls, under which start method, with which levers."""

    name: str
    calls: tuple[Call, ...]
    start_method: str | None = None
    deadline: float = 5.0
    rendezvous: dict[str, Any] | None = None
    """Hold the children running this target until all have started: ``{"target", "count"}``."""
    slow: dict[str, float] = field(default_factory=dict)
    """Seconds to wait before each queue ``put`` (and after each ``get``) in these targets."""
    pause_after_release: dict[str, float] = field(default_factory=dict)
    """Seconds these targets wait right after releasing a lock."""


@dataclass
class Run:
    """What happened when a scenario ran."""

    scenario: Scenario
    trace: Trace
    timed_out: bool
    exit_code: int | None
    duration: float
    output: str
    """What reached the file descriptors 1 and 2 outside ``print`` (cut at ``OUTPUT_CAP``)."""
    stacks: dict[int, list[ThreadStack]] = field(default_factory=dict)
    """Where each process was when the deadline passed (empty when the run ended in time)."""
    leftovers: list[int] = field(default_factory=list)
    """Processes of the run still alive after the harness ended, which the grader killed."""
    submission: Path = Path()


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
    )
    return env


def run(scenario: Scenario, submission: Path, module: str, api: list[dict[str, Any]]) -> Run:
    """Run ``scenario`` against ``submission/module.py`` and collect what happened."""
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
    config = {
        "module": module,
        "submission": str(submission.resolve()),
        "start_method": scenario.start_method,
        "calls": [call.to_json() for call in scenario.calls],
        "api": api,
        "rendezvous": scenario.rendezvous,
        "slow": scenario.slow,
        "pause_after_release": scenario.pause_after_release,
    }
    (run_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    output_path = run_dir / "output.txt"
    reaper.become_subreaper()
    origin = time.monotonic_ns()
    with open(output_path, "wb") as output:
        harness = subprocess.Popen(
            [sys.executable, str(PROBE_DIR / "harness.py"), str(run_dir)],
            cwd=run_dir / "work",
            env=child_environment(run_dir, submission),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    reaper.register_harness(harness.pid)
    timed_out = False
    stacks: dict[int, list[ThreadStack]] = {}
    try:
        try:
            harness.wait(timeout=scenario.deadline)
        except subprocess.TimeoutExpired:
            timed_out = True
            stacks = _collect_stacks(run_dir, harness.pid)
        duration = (time.monotonic_ns() - origin) / 1e9
        leftovers = reaper.end_run(str(run_dir), harness.pid)
        harness.wait()
    finally:
        reaper.unregister_harness(harness.pid)
    trace = parse_trace(run_dir / "records.jsonl", origin)
    return Run(
        scenario=scenario,
        trace=trace,
        timed_out=timed_out,
        exit_code=None if timed_out else harness.returncode,
        duration=duration,
        output=_read_capped(output_path),
        stacks=stacks,
        leftovers=[pid for pid in leftovers if pid != harness.pid],
        submission=submission,
    )


def _collect_stacks(run_dir: Path, pgid: int) -> dict[int, list[ThreadStack]]:
    """Ask every process of the run where it is, and wait until the dumps are written."""
    dumps = run_dir / "dumps"
    processes = reaper.run_processes(str(run_dir), pgid)
    reaper.signal_each(processes, signal.SIGUSR1)
    deadline = time.monotonic() + _DUMP_WAIT
    sizes: dict[str, int] = {}
    while time.monotonic() < deadline:
        time.sleep(0.03)
        now = {p.name: p.stat().st_size for p in dumps.glob("*.txt")}
        written = sum(1 for size in now.values() if size)
        if written >= len(processes) and now == sizes:
            break
        sizes = now
    return read_dumps(dumps)


def _read_capped(path: Path) -> str:
    with open(path, "rb") as file:
        data = file.read(OUTPUT_CAP + 1)
    text = data[:OUTPUT_CAP].decode("utf-8", "replace")
    if len(data) > OUTPUT_CAP:
        text += f"\n[output cut at {OUTPUT_CAP // 1024} KB]"
    return text
