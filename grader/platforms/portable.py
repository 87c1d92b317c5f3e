"""The layer that needs neither ``fork`` nor signals nor ``/proc``: Windows runs on it (with a
Job Object on top, ``windows.py``), and ``LOCKSTEP_BACKEND=portable`` runs it on Linux or macOS,
so that the code paths Windows takes are tested on every CI run.

- The run starts as ``launcher.py spawn``: a fresh interpreter in a group of its own (a new
  session on POSIX, ``CREATE_NEW_PROCESS_GROUP`` on Windows, which keeps the student's Ctrl+C
  from reaching the run: the grader ends it), which applies the limits ``setrlimit`` can (where
  it exists), starts the harness with ``subprocess`` and appends its PID and exit status to a
  file in the run's folder.
- The output comes through a pipe read by a thread (Windows cannot ``select()`` a pipe), kept up
  to a cap as it comes.
- Stacks: no signal asks for them. Each process of the run arms a ``faulthandler`` timer for
  the deadline (``LOCKSTEP_DUMP_AT``, wall-clock seconds) and writes its stacks into the run's
  ``dumps`` folder itself if it is still there then.
- The run's processes: the launcher's descendants (``psutil``) and every process carrying the
  run's environment marker (``LOCKSTEP_RUN_DIR``), escapees included; they are suspended, then
  killed, until none is left.
- The graded interpreters run in UTF-8 mode, whatever the console's code page.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from .. import limits, reaper
from .base import RunSandbox, running

LAUNCHER = Path(__file__).parent.parent / "launcher.py"
ENCODINGS = {"PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
"""UTF-8 mode (``open()``, ``sys.stdout``, file names) in every graded interpreter: a Windows
console's code page (cp936, cp1252) must neither fail on nor garble 进程1来了."""
_STATUS_POLL = 0.01
_DRAIN_FOR = 0.5
_KILL_FOR = 10.0
"""Seconds the killing may go on (it stops as soon as nothing of the run is left)."""


class PortableSandbox(RunSandbox):
    """A run under ``launcher.py spawn``: its status read from a file, its output by a thread."""

    stacks_by_timer = True

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
        self._status_path = run_dir / "status.txt"
        self._status_path.touch()
        self._status_seen = 0
        env = {**env, **ENCODINGS}
        if deadline is not None:
            env["LOCKSTEP_DUMP_AT"] = repr(time.time() + deadline)
        setup = json.dumps({"rlimits": limits.rlimits()})
        launcher = [sys.executable, "-I", "-S", str(LAUNCHER), "spawn", str(self._status_path)]
        self.launcher = subprocess.Popen(
            [*launcher, setup, *program],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **_own_group(),
        )
        reaper.register_harness(self.launcher.pid)
        self.harness: int | None = None
        self._output_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    @property
    def root(self) -> int:
        return self.launcher.pid

    def helpers(self) -> set[int]:
        return {self.launcher.pid}

    def members(self) -> list[psutil.Process]:
        return reaper.run_processes(str(self.run_dir), self.launcher.pid, by_group=False)

    def ask_for_stacks(self, processes: list[psutil.Process]) -> None:
        """Nothing to ask: the dumps were written at the deadline by each process's timer."""

    def output_text(self) -> str:
        with self._output_lock:  # Windows's text streams end their lines with \r\n
            return super().output_text().replace("\r\n", "\n")

    def _wait_io(self, timeout: float) -> bool:
        stop = time.monotonic() + timeout
        while True:
            gone = self.launcher.poll() is not None
            self._read_status()
            if self.ended or gone or time.monotonic() >= stop:
                return not gone or self.ended
            time.sleep(min(_STATUS_POLL, max(0.0, stop - time.monotonic())))

    def _read_output(self) -> None:
        stream = self.launcher.stdout
        assert stream is not None
        while chunk := os.read(stream.fileno(), 1 << 16):
            with self._output_lock:
                self._took_output(chunk)

    def _read_status(self) -> None:
        try:
            with open(self._status_path, "rb") as status:
                status.seek(self._status_seen)
                text = status.read()
        except OSError:
            return
        complete = text[: text.rfind(b"\n") + 1]
        self._status_seen += len(complete)
        for line in complete.decode("ascii", "replace").splitlines():
            words = line.split()
            with contextlib.suppress(ValueError, IndexError):
                if words[0] == "launched":
                    self.harness = int(words[1])
                elif words[0] == "exit":
                    self.exit_code, self.ended = int(words[1]), True

    def _kill_all(self) -> None:
        """Suspend, then kill, every process of the run until none is left (one that forks in
        a loop cannot outrun it): first the launcher's descendants, quick to find, with the
        launcher last (so that none is orphaned out of its tree), then any process still
        carrying the run's marker; then wait for the launcher and the last output."""
        deadline = time.monotonic() + _KILL_FOR
        while time.monotonic() < deadline:
            below, launcher = self._tree()
            alive = below or launcher or self.members()
            if not alive:
                break
            for action in (psutil.Process.suspend, psutil.Process.kill):
                for process in alive:
                    with contextlib.suppress(psutil.Error, OSError):
                        action(process)
            psutil.wait_procs(alive, timeout=0.5)
        try:
            self.launcher.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.launcher.kill()
            self.launcher.wait()
        finally:
            reaper.unregister_harness(self.launcher.pid)
            self._reader.join(_DRAIN_FOR)
            if not self._reader.is_alive() and self.launcher.stdout:
                self.launcher.stdout.close()
            reaper.reap_orphans()

    def _tree(self) -> tuple[list[psutil.Process], list[psutil.Process]]:
        """The live descendants of the launcher, and the launcher if it lives."""
        try:
            root = psutil.Process(self.launcher.pid)
            below = [p for p in root.children(recursive=True) if running(p)]
        except psutil.Error:
            return [], []
        return below, [root] if running(root) else []


def _own_group() -> dict[str, Any]:
    """Popen's options that start the run in a group of its own."""
    if sys.platform == "win32":
        # Ctrl+C in the student's console reaches the grader only: the grader ends the runs.
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}
