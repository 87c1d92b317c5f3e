"""Linux and macOS: the run starts as ``launcher.py`` (limits, a session of its own, a PID
namespace where Linux allows it, the harness's exit status on a pipe); stacks on ``SIGUSR1``.

Linux adds what only it has: the PID namespace (where root or unprivileged user namespaces
allow it), the launcher as a child subreaper (orphans of the run come back to it), the
launcher dying with the grader (``PR_SET_PDEATHSIG``), the time each process waited for a CPU
(``/proc/PID/schedstat``, which stretches a deadline on a busy machine) and the PID a process
has inside its namespace (``/proc/PID/status``). macOS has none of these: its launcher watches
for the grader's end itself, and the run's processes are found by their process group, as
descendants of the launcher, and by the environment marker every process of the run inherits
(``LOCKSTEP_RUN_DIR``; ``reaper.run_processes``).
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

from .. import limits, reaper
from .base import POLL, RunSandbox

LAUNCHER = Path(__file__).parent.parent / "launcher.py"
_DRAIN_FOR = 0.5


class PosixSandbox(RunSandbox):
    """A run under ``launcher.py``: output and exit status read from pipes."""

    def __init__(
        self,
        run_dir: Path,
        program: list[str],
        env: dict[str, str],
        cwd: Path,
        read_only: Sequence[Path] = (),
        deadline: float | None = None,
    ) -> None:
        super().__init__(run_dir, program, env, cwd, read_only, deadline)
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

    @property
    def root(self) -> int:
        return self.launcher.pid

    @property
    def pgid(self) -> int:
        return self.launcher.pid

    def helpers(self) -> set[int]:
        return {self.launcher.pid} | ({self.waiter} if self.namespace and self.waiter else set())

    def inner_pid(self, pid: int) -> int:
        return reaper.inner_pid(pid)

    def members(self) -> list[psutil.Process]:
        return reaper.run_processes(str(self.run_dir), self.pgid)

    def ask_for_stacks(self, processes: list[psutil.Process]) -> None:
        reaper.signal_each(processes, signal.SIGUSR1)

    def _wait_io(self, timeout: float) -> bool:
        fds = [fd for fd in (self._status_fd, self._out_fd) if fd >= 0]
        ready = select.select(fds, [], [], timeout)[0] if fds else []
        if self._out_fd in ready:
            self._read_output()
        if self._status_fd in ready:
            self._read_status()
        if not fds:
            time.sleep(POLL)
        return self._status_fd >= 0

    def _kill_all(self) -> None:
        # Found through the launcher while it lives: an escapee with neither the run's group
        # nor its environment is killed here, before the launcher's end hides it.
        found = self.members()
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

    def _read_output(self) -> None:
        try:
            chunk = os.read(self._out_fd, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            os.close(self._out_fd)
            self._out_fd = -1
            return
        self._took_output(chunk)

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


def namespaces_wanted() -> bool:
    """False when ``LOCKSTEP_NAMESPACES=0``: the kit's tests grade that way too, to check what
    happens on a machine without namespaces."""
    return os.environ.get("LOCKSTEP_NAMESPACES", "1") != "0"


def pid_namespaces() -> bool:
    """Whether this layer holds runs in a PID namespace here."""
    return namespaces_wanted() and _namespaces_work()


@functools.cache
def _namespaces_work() -> bool:
    if not sys.platform.startswith("linux"):
        return False
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
