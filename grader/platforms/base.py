"""What every platform's sandbox does the same way, and the few things each does its own way.

A ``RunSandbox`` is one graded run's processes, from the launch to the last kill. The engine
here is shared by every platform: the watch (the run's end, its deadline, stretched by the
time its processes waited for a CPU where the system tells it, and the limits on processes,
memory, output and records), the output kept up to a cap, and the end (who was still alive,
then every process killed). A platform's layer (``posix.py``, ``portable.py``,
``windows.py``) supplies the rest: how the run is started in a group of its own with its
limits, how its output and exit status arrive, how its processes are found, asked for their
stacks and ended, and how a PID the grader sees maps to the PID the submission saw.
"""

from __future__ import annotations

import contextlib
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import psutil

from .. import limits

KEPT_OUTPUT = 64 * 1024
"""Bytes of raw output kept for the report; the rest is counted and dropped."""
POLL = 0.05
_CENSUS_EVERY = 0.2
_LEAVING = 0.3
_RECORD_SLACK = 16 * 1024
"""The probe stops short of its cap by at most one record."""
STRETCH = 3.0
"""A deadline is extended by the time the run's processes waited for a CPU (on a machine
busier than its cores), up to this many times the deadline: a slow machine must not turn a
right program into a hung one (a hang on a busy machine is reported later, never missed).
Only where the system says how long a process waited (Linux's ``/proc/PID/schedstat``)."""


_live_lock = threading.Lock()
_live: set[RunSandbox] = set()
"""The runs started and not yet ended, for ``stop_every_run``."""


class RunSandbox(ABC):
    """One run's processes, from the launch to the last kill."""

    stacks_by_timer = False
    """True where no signal can ask a process for its stacks: each process of the run then
    dumps them itself at the deadline (``LOCKSTEP_DUMP_AT``, armed by the probe)."""

    def __init__(
        self,
        run_dir: Path,
        program: list[str],
        env: dict[str, str],
        cwd: Path,
        read_only: Sequence[Path] = (),
        deadline: float | None = None,
    ) -> None:
        """Start ``program`` (the harness) with ``env`` in ``cwd``; ``read_only``: folders the
        run should not write into, where the layer can make them so; ``deadline``: seconds
        from now, where processes dump their stacks themselves (``stacks_by_timer``)."""
        self.run_dir = run_dir
        self.records = run_dir / "records.jsonl"
        self.exit_code: int | None = None
        self.ended = False
        """The harness has ended (``exit_code`` is its status)."""
        self.output = bytearray()
        self.output_size = 0
        self._waited: dict[int, int] = {}
        """Each process's time waiting for a CPU (ns), as last seen."""

    # What each platform does its own way.

    @property
    @abstractmethod
    def root(self) -> int:
        """The process the run hangs from (the sandbox's own first process)."""

    @abstractmethod
    def helpers(self) -> set[int]:
        """The sandbox's own processes: not the submission's, never asked for stacks."""

    @abstractmethod
    def _wait_io(self, timeout: float) -> bool:
        """Take in what arrived within ``timeout`` seconds (output, the harness's end); False
        once the supervisor is gone without telling the harness's end."""

    @abstractmethod
    def members(self) -> list[psutil.Process]:
        """Every live process of the run, the sandbox's own included, escapees too."""

    @abstractmethod
    def ask_for_stacks(self, processes: list[psutil.Process]) -> None:
        """Make each process write its stacks into the run's ``dumps`` folder."""

    @abstractmethod
    def _kill_all(self) -> None:
        """End every process of the run, and wait for the supervisor."""

    def stop(self) -> None:
        """Kill the run's process tree now (Ctrl+C): its watch then sees the end, and ``end()``
        looks for whatever is left, escapees included."""
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.root)
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error, OSError):
                    process.kill()

    def inner_pid(self, pid: int) -> int:
        """The PID a process has as the submission saw it."""
        return pid

    # The engine.

    def starved(self) -> float:
        """Seconds the run's processes waited for a CPU so far, added up: a run is a chain of
        processes that wait for each other, so each one's wait delays the end."""
        return sum(self._waited.values()) / 1e9

    def watch(self, deadline: float) -> str:
        """Wait until the harness ends (``ended``), ``deadline`` seconds pass (``timeout``;
        stretched by the time the run waited for a CPU, see ``STRETCH``) or a limit is passed
        (``processes``, ``memory``, ``output``, ``records``; ``supervisor``: the launcher was
        killed and nothing will report the harness's end)."""
        started = time.monotonic()
        census_at = 0.0
        while not self.ended:
            now = time.monotonic()
            stretch = min(self.starved(), deadline * (STRETCH - 1))
            until = started + deadline + stretch
            if now >= until:
                return "timeout"
            supervised = self._wait_io(min(POLL, until - now))
            if self.output_size > limits.OUTPUT_MB * limits.MB:
                return "output"
            if not supervised and not self.ended:
                return "supervisor"
            if now >= census_at and not self.ended:
                census_at = now + _CENSUS_EVERY
                if self._recorded() >= limits.RECORD_MB * limits.MB - _RECORD_SLACK:
                    return "records"
                count, largest = self._census()
                if count > limits.MAX_PROCESSES:
                    return "processes"
                if largest > limits.MEMORY_MB * limits.MB:
                    return "memory"
        return "ended"

    def processes(self) -> list[psutil.Process]:
        """The live processes of the submission (the sandbox's own excluded)."""
        helpers = self.helpers()
        return [p for p in self.members() if p.pid not in helpers]

    def end(self) -> list[tuple[int, str]]:
        """Kill every process of the run; those of the submission that were still alive, as
        (PID as the submission saw it, command line). After a harness that ended, processes
        that are on their way out (multiprocessing's helpers) get a moment to finish."""
        alive = self.processes()
        wait_until = time.monotonic() + (_LEAVING if self.ended else 0.0)
        while alive and time.monotonic() < wait_until:
            time.sleep(0.02)
            alive = [p for p in alive if running(p)]
        left = [(self.inner_pid(p.pid), command(p)) for p in alive]
        try:
            self._kill_all()
        finally:
            with _live_lock:
                _live.discard(self)
        return left

    def output_text(self) -> str:
        text = bytes(self.output[:KEPT_OUTPUT]).decode("utf-8", "replace")
        if self.output_size > KEPT_OUTPUT:
            text += f"\n[output cut at {KEPT_OUTPUT // 1024} KB of {self.output_size} bytes]"
        return text

    def _took_output(self, chunk: bytes) -> None:
        self.output_size += len(chunk)
        if len(self.output) < KEPT_OUTPUT:
            self.output += chunk[: KEPT_OUTPUT - len(self.output)]

    def _recorded(self) -> int:
        try:
            return self.records.stat().st_size
        except OSError:
            return 0

    def _census(self) -> tuple[int, int]:
        """How many processes the run has, and the resident memory of its largest."""
        try:
            found = psutil.Process(self.root).children(recursive=True)
        except psutil.Error:
            return 0, 0
        largest = 0
        for process in found:
            with contextlib.suppress(psutil.Error):
                largest = max(largest, process.memory_info().rss)
            with (  # Linux only: elsewhere no deadline is stretched
                contextlib.suppress(OSError, ValueError, IndexError),
                open(f"/proc/{process.pid}/schedstat", "rb") as schedstat,
            ):
                self._waited[process.pid] = int(schedstat.read().split()[1])
        return 1 + len(found), largest


def running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())[:200]
    except psutil.Error:
        return "?"


def track(sandbox: RunSandbox) -> None:
    """Count ``sandbox`` among the runs ``stop_every_run`` ends, until its ``end()``."""
    with _live_lock:
        _live.add(sandbox)


def stop_every_run() -> None:
    with _live_lock:
        live = list(_live)
    for sandbox in live:
        sandbox.stop()
