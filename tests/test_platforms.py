"""The platform layers: what a student on Windows or macOS gets, tested here as far as it can be
(the portable layer runs on Linux too; the Job Object's calls only on Windows)."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from grader import find_exercise, grade, platforms
from grader.platforms import windows
from grader.results import GradeResult
from tests.conftest import FIXTURES, ROOT, GradeVariant, submission_of

HOSTILE_EX01 = FIXTURES / "hostile" / "ex01_process_lock"

WITHOUT_POSIX = """
import importlib.abc, os, signal, sys

class NoSuchModule(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in ("resource", "fcntl"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoSuchModule())
for module in ("resource", "fcntl"):
    sys.modules.pop(module, None)
for name in ("fork", "forkpty", "register_at_fork", "killpg", "getpgid", "setsid"):
    if hasattr(os, name):
        delattr(os, name)
for name in ("SIGUSR1", "SIGUSR2", "SIGKILL", "SIGSTOP"):
    if hasattr(signal, name):
        delattr(signal, name)
"""
"""Makes this interpreter look like Windows's: no ``resource``, ``fcntl``, ``fork``, process
groups or POSIX signals."""


def test_grader_imports_without_posix_facilities() -> None:
    """Every module of the grader (the probe's included) imports on a system without
    ``resource``, ``fcntl``, ``os.fork`` and ``SIGUSR1``, and ``python -m grader --help``
    works there."""
    # psutil's Linux backend imports resource; on Windows it has a backend of its own.
    code = (
        "import psutil\n"
        + WITHOUT_POSIX
        + (
            "import pkgutil, grader, runpy\n"
            "names = [m.name for m in pkgutil.walk_packages(grader.__path__, 'grader.')]\n"
            "skipped = ('grader.probe.sitecustomize', 'grader.probe.harness')\n"
            "for name in names:\n"
            "    if name not in skipped:\n"
            "        importlib.import_module(name)\n"
            "import grader.launcher, grader.platforms.portable, grader.platforms.windows\n"
            "print('imported', len(names))\n"
            "runpy.run_module('grader', run_name='__main__')\n"
        )
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "imported" in done.stdout
    assert "usage: python -m grader" in done.stdout


def test_the_probe_records_without_fork(tmp_path: Path) -> None:
    """The probe installs and records in an interpreter without ``fork`` or ``SIGUSR1``, and
    arms its stack-dump timer instead: a process still there at the deadline dumps where it
    is (here, asleep at the last line of its program)."""
    run_dir = tmp_path / "run"
    (run_dir / "dumps").mkdir(parents=True)
    (run_dir / "records.jsonl").touch()
    program = tmp_path / "sleeper.py"
    # The deadline is set in the program itself: however long its start-up takes, the timer
    # goes off while it sleeps at its line 4.
    program.write_text(
        WITHOUT_POSIX
        + "os.environ['LOCKSTEP_DUMP_AT'] = repr(__import__('time').time() + 1.0)\n"
        + "import lockstep_probe, time; lockstep_probe.install()\n"
        + "print('进程1来了')\ntime.sleep(5)\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "grader" / "probe"),
        "LOCKSTEP_RUN_DIR": str(run_dir),
    }
    done = subprocess.run(
        [sys.executable, "-S", str(program)], env=env, capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_bytes().splitlines()]
    assert any(r.get("line") == "进程1来了" for r in records), records
    dump = next((run_dir / "dumps").glob("*.txt")).read_text(encoding="utf-8")
    assert f'File "{program}", line {WITHOUT_POSIX.count(chr(10)) + 4}' in dump, dump


def test_a_check_that_cannot_be_judged_here_is_skipped(
    grade_variant: GradeVariant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows, ex03's stop_by_pid (which needs SIGTERM) is ``skipped``: it says why, and its
    points leave the maximum there (the other checks are graded as everywhere)."""
    monkeypatch.setattr(platforms, "system", lambda: "win32")
    result = grade_variant("ex03_pids", "solution", ["spawn"])
    check = next(c for c in result.checks if c.name == "stop_by_pid")
    assert (check.status, check.score, check.max_score) == ("skipped", 0, 0)
    assert check.message.startswith("Not graded on Windows: Windows has no SIGTERM")
    assert (result.score, result.max_score) == (6, 6)
    document = GradeResult("s", (result,)).to_json()
    assert document["max_score"] == 6
    assert document["exercises"][0]["checks"][-1]["status"] == "skipped"


def test_only_the_start_methods_this_system_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where only spawn exists (Windows), every run is made under spawn, and a failure names
    no other start method."""
    monkeypatch.setattr(platforms, "start_methods", lambda: ("spawn",))
    exercise = find_exercise("ex01_process_lock")
    assert exercise is not None
    folder = submission_of(tmp_path / "s", exercise.id, "no_join")
    result = grade(folder, [exercise]).exercises[0]
    messages = "\n".join(c.message for c in result.checks)
    assert "Under the spawn start method" in messages, messages
    for other in ("fork", "forkserver"):
        assert f"Under the {other} start method" not in messages
    assert "Also under" not in messages


def test_the_backend_switch() -> None:
    """``LOCKSTEP_BACKEND`` chooses the layer; a value that names none is an error."""
    layers = {}
    code = "from grader import platforms; print(platforms.sandbox_class())"
    for value in ("portable", "native", "nonsense"):
        env = {**os.environ, "LOCKSTEP_BACKEND": value}
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        layers[value] = done.stdout.strip() or done.stderr.strip().splitlines()[-1]
    assert "PortableSandbox" in layers["portable"]
    assert "PosixSandbox" in layers["native"] or sys.platform == "win32"
    assert "LOCKSTEP_BACKEND='nonsense'" in layers["nonsense"]


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="sizes of 64-bit Windows")
def test_job_object_limits_have_the_documented_layout() -> None:
    """The Job Object's limit structures have the sizes of 64-bit Windows (64 and 144 bytes),
    and every run's job ends its processes when its handle closes and caps their number and
    memory above the watch's own limits."""
    assert ctypes.sizeof(windows.BasicLimits) == 64
    assert ctypes.sizeof(windows.ExtendedLimits) == 144
    info = windows.job_limits()
    assert info.BasicLimitInformation.LimitFlags == 0x2000 | 0x8 | 0x100
    assert info.BasicLimitInformation.ActiveProcessLimit > windows.limits.MAX_PROCESSES
    assert info.ProcessMemoryLimit >= windows.limits.MEMORY_MB * windows.limits.MB


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, as a POSIX terminal does")
def test_ctrl_c_ends_the_grading_and_every_run(tmp_path: Path) -> None:
    """Ctrl+C while a run hangs: the grader ends every run at once (not at their deadlines),
    says so, and exits with 130; nothing is left running (the autouse scan checks it)."""
    exercise = find_exercise("ex01_process_lock")
    assert exercise is not None
    folder = submission_of(tmp_path / "s", exercise.id, "solution")
    shutil.copy(HOSTILE_EX01 / "busy_child.py", folder / exercise.filename)
    grader = subprocess.Popen(
        [sys.executable, "-m", "grader", "01", "--submission", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As in a terminal: a test run started in the background (`cmd &` in a script) has
        # SIGINT ignored, and Python keeps an ignored SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    started = time.monotonic()
    while time.monotonic() - started < 30 and not [
        p for p in psutil.Process(grader.pid).children(recursive=True) if "harness" in _line(p)
    ]:
        time.sleep(0.1)
    time.sleep(1.0)
    interrupted = time.monotonic()
    grader.send_signal(signal.SIGINT)
    _, stderr = grader.communicate(timeout=30)
    assert grader.returncode == 130, stderr
    assert "interrupted" in stderr
    # Its deadline would come 5 s later at the earliest; the grader ends it at once.
    assert time.monotonic() - interrupted < exercise.timeout - 2


def _line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def test_a_report_in_chinese_goes_to_a_console_without_it() -> None:
    """Where the grader's output is in a code page without Chinese (cp1252 on a Windows with a
    Western locale, redirected to a file), 进程1来了 is written as escapes, never an error."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from grader.cli import printable_anywhere; printable_anywhere(); print('进程1来了')",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "cp1252"},
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == b"\\u8fdb\\u7a0b1\\u6765\\u4e86"


def test_a_hang_in_a_folder_named_in_chinese_is_shown_at_its_line(tmp_path: Path) -> None:
    """A student's folder is often named in Chinese (C:\\Users\\张三): the stack dumps write
    such names as escapes, and the hang is still shown at the student's own line."""
    exercise = find_exercise("ex06_producer_consumer")
    assert exercise is not None
    folder = tmp_path / "张三"
    folder.mkdir()
    shutil.copy(FIXTURES / "hostile" / exercise.id / "join_before_sentinel.py", folder)
    (folder / "join_before_sentinel.py").rename(folder / exercise.filename)
    result = grade(folder, [exercise]).exercises[0]
    message = next(c.message for c in result.checks if c.name == "program_ends")
    assert "was waiting at ex06_producer_consumer.py:14 in consumer: `res = q.get()`" in message
