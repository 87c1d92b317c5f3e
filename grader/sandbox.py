"""Start one graded run in its sandbox and watch it until it ends, hangs or goes too far.

The run starts as ``launcher.py`` (limits, PID namespace, exit status on a pipe) and is watched
from here: its exit status, its deadline, its output (read from a pipe as it comes, kept up to
a cap, so a flood neither fills a disk nor the grader's memory), how many processes it has and
how much the probe has recorded. The first limit passed ends the watch; ``end()`` then finds
every process of the run, says which were still alive, and kills them all.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from . import limits, reaper

LAUNCHER = Path(__file__).with_name("launcher.py")
KEPT_OUTPUT = 64 * 1024
"""Bytes of raw output kept for the report; the rest is counted and dropped."""
_POLL = 0.05
_CENSUS_EVERY = 0.2
_DRAIN_FOR = 0.5
_LEAVING = 0.3
_RECORD_SLACK = 16 * 1024
"""The probe stops short of its cap by at most one record."""
STRETCH = 3.0
"""A deadline is extended by the time the run's processes waited for a CPU (on a machine
busier than its cores), up to this many times the deadline: a slow machine must not turn a
right program into a hung one (a hang on a busy machine is reported later, never missed)."""


class Sandbox:
    """One run's processes, from the launch to the last kill."""

    def __init__(
        self,
        run_dir: Path,
        program: list[str],
        env: dict[str, str],
        cwd: Path,
        read_only: Sequence[Path] = (),
    ) -> None:
        self.run_dir = run_dir
        self.records = run_dir / "records.jsonl"
        status_r, status_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self.launcher = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    str(LAUNCHER),
                    str(status_w),
                    json.dumps(
                        {
                            "rlimits": limits.rlimits(),
                            "read_only": [str(p) for p in read_only],
                            "namespaces": namespaces_wanted(),
                        }
                    ),
                    *program,
                ],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                pass_fds=(status_w,),
                start_new_session=True,
            )
        except BaseException:
            os.close(status_r)
            os.close(out_r)
            raise
        finally:
            os.close(status_w)
            os.close(out_w)
        reaper.register_harness(self.launcher.pid)
        self._status_fd = status_r
        self._out_fd = out_r
        self._status = b""
        self.waiter: int | None = None
        """The process that waits for the harness (in a namespace: its init, ``pid 1``)."""
        self.namespace = False
        self.exit_code: int | None = None
        self.ended = False
        """The harness has ended (``exit_code`` is its status)."""
        self.output = bytearray()
        self.output_size = 0
        self._waited: dict[int, int] = {}
        """Each process's time waiting for a CPU (ns), as last seen."""

    @property
    def pgid(self) -> int:
        return self.launcher.pid

    def helpers(self) -> set[int]:
        """The sandbox's own processes: not the submission's, never signalled for stacks."""
        return {self.launcher.pid} | ({self.waiter} if self.namespace and self.waiter else set())

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
            fds = [fd for fd in (self._status_fd, self._out_fd) if fd >= 0]
            ready = select.select(fds, [], [], min(_POLL, until - now))[0] if fds else []
            if self._out_fd in ready:
                self._read_output()
            if self._status_fd in ready:
                self._read_status()
            if self.output_size > limits.OUTPUT_MB * limits.MB:
                return "output"
            if self._status_fd < 0 and not self.ended:
                return "supervisor"
            if not fds:
                time.sleep(_POLL)
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
        found = reaper.run_processes(str(self.run_dir), self.pgid)
        return [p for p in found if p.pid not in helpers]

    def end(self) -> list[tuple[int, str]]:
        """Kill every process of the run; those of the submission that were still alive, as
        (PID as the submission saw it, command line). After a harness that ended, processes
        that are on their way out (multiprocessing's helpers) get a moment to finish."""
        alive = self.processes()
        wait_until = time.monotonic() + (_LEAVING if self.ended else 0.0)
        while alive and time.monotonic() < wait_until:
            time.sleep(0.02)
            alive = [p for p in alive if _running(p)]
        left = [(reaper.inner_pid(p.pid), _command(p)) for p in alive]
        # Found through the launcher while it lives: an escapee with neither the run's group
        # nor its environment is killed here, before the launcher's end hides it.
        found = reaper.run_processes(str(self.run_dir), self.pgid)
        reaper.signal_each(found, signal.SIGSTOP)
        reaper.signal_each(found, signal.SIGKILL)
        reaper.end_run(str(self.run_dir), self.pgid)
        self._drain()
        try:
            self.launcher.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.launcher.kill()
            self.launcher.wait()
        finally:
            reaper.unregister_harness(self.launcher.pid)
            for fd in (self._status_fd, self._out_fd):
                if fd >= 0:
                    os.close(fd)
            self._status_fd = self._out_fd = -1
        return left

    def output_text(self) -> str:
        text = bytes(self.output[:KEPT_OUTPUT]).decode("utf-8", "replace")
        if self.output_size > KEPT_OUTPUT:
            text += f"\n[output cut at {KEPT_OUTPUT // 1024} KB of {self.output_size} bytes]"
        return text

    def _read_output(self) -> None:
        try:
            chunk = os.read(self._out_fd, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            os.close(self._out_fd)
            self._out_fd = -1
            return
        self.output_size += len(chunk)
        if len(self.output) < KEPT_OUTPUT:
            self.output += chunk[: KEPT_OUTPUT - len(self.output)]

    def _read_status(self) -> None:
        try:
            chunk = os.read(self._status_fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            os.close(self._status_fd)
            self._status_fd = -1
            return
        self._status += chunk
        *lines, self._status = self._status.split(b"\n")
        for line in lines:
            words = line.decode("ascii", "replace").split()
            with contextlib.suppress(ValueError, IndexError):
                if words[0] == "launched":
                    self.waiter, self.namespace = int(words[1]), words[2] == "1"
                elif words[0] == "exit":
                    self.exit_code, self.ended = int(words[1]), True

    def _drain(self) -> None:
        """Read what the killed processes left in the output pipe (bounded in time)."""
        stop = time.monotonic() + _DRAIN_FOR
        while self._out_fd >= 0 and time.monotonic() < stop:
            if select.select([self._out_fd], [], [], max(0.0, stop - time.monotonic()))[0]:
                self._read_output()

    def _recorded(self) -> int:
        try:
            return self.records.stat().st_size
        except OSError:
            return 0

    def _census(self) -> tuple[int, int]:
        """How many processes the run has, and the resident memory of its largest."""
        try:
            found = psutil.Process(self.pgid).children(recursive=True)
        except psutil.Error:
            return 0, 0
        largest = 0
        for process in found:
            with contextlib.suppress(psutil.Error):
                largest = max(largest, process.memory_info().rss)
            with (
                contextlib.suppress(OSError, ValueError, IndexError),
                open(f"/proc/{process.pid}/schedstat", "rb") as schedstat,
            ):
                self._waited[process.pid] = int(schedstat.read().split()[1])
        return 1 + len(found), largest


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())[:200]
    except psutil.Error:
        return "?"


def namespaces_wanted() -> bool:
    """False when ``LOCKSTEP_NAMESPACES=0``: the kit's tests grade that way too, to check what
    happens on a machine without namespaces."""
    return os.environ.get("LOCKSTEP_NAMESPACES", "1") != "0"


def pid_namespaces() -> bool:
    """Whether runs are held in a PID namespace here (where they are, a submission's signals
    cannot reach outside its own run, and the kit is read-only for it)."""
    return namespaces_wanted() and _namespaces_work()


@functools.cache
def _namespaces_work() -> bool:
    status_r, status_w = os.pipe()
    try:
        launcher = subprocess.Popen(
            [sys.executable, "-I", "-S", str(LAUNCHER), str(status_w), "{}", "/bin/true"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(status_w,),
            start_new_session=True,
        )
    finally:
        os.close(status_w)
    try:
        with os.fdopen(status_r, "rb") as status:
            first = status.readline().split()
        return len(first) == 3 and first[0] == b"launched" and first[2] == b"1"
    finally:
        with contextlib.suppress(OSError):
            os.killpg(launcher.pid, 9)
        launcher.wait()
