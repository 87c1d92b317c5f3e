"""The probe observes and never alters: a program's streams, buffering, failures and lock types
are as without the grader, and the grader judges what really reached each process's output.

The probe tests start an interpreter with the probe installed by hand (a run folder, the probe
on ``PYTHONPATH``) and look at its records and at the file its descriptors were pointed at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader import grade, load_catalogue
from grader.runner import PROBE_DIR
from tests.conftest import ROOT

VERSIONS = ("3.10", "3.13")


def probed(
    tmp_path: Path, code: str, python: str = sys.executable, unbuffered: bool = False
) -> tuple[bytes, list[dict[str, Any]]]:
    """Run ``code`` as a submission's file with the probe installed; what reached the
    process's own output file, and its records."""
    run, submission = tmp_path / "run", tmp_path / "submission"
    for folder in (run / "out", run / "dumps", submission):
        folder.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"submission": str(submission)}))
    (run / "records.jsonl").touch()
    (submission / "program.py").write_text(code, encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "LOCKSTEP_"))
    }
    env.update(
        LOCKSTEP_RUN_DIR=str(run),
        PYTHONPATH=f"{PROBE_DIR}{os.pathsep}{submission}",
        PYTHONIOENCODING="utf-8",
    )
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    done = subprocess.run(
        [python, str(submission / "program.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=60,
        check=False,
    )
    assert done.stdout == b"", "the run's own output went elsewhere than its file"
    files = list((run / "out").iterdir())
    assert len(files) == 1, files
    records = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    return files[0].read_bytes(), records


def python_version(version: str) -> str:
    """The interpreter of that version, or a skip where there is none (a pyenv shim whose
    version is not selected does not run)."""
    found = shutil.which(f"python{version}")
    runs = found is not None and subprocess.run([found, "-c", ""], check=False).returncode == 0
    if found is None or not runs:
        pytest.skip(f"no python{version} here")
    return found


STREAMS = """
import io, os, sys
out = sys.stdout
print(type(out).__mro__[1] is io.TextIOWrapper, out is sys.__stdout__, type(out.buffer).__name__,
      out.encoding, out.line_buffering, out.write_through, out.name, out.mode)
os.write(1, b"os.write\\n")
print("after")
"""


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_streams_keep_their_type_settings_and_buffering(tmp_path: Path, unbuffered: bool) -> None:
    """``sys.stdout`` is a ``TextIOWrapper`` (and ``sys.__stdout__``) over Python's own kind of
    buffer with its settings; block-buffered, what is printed reaches the descriptor at exit,
    after an ``os.write`` made later; unbuffered, in the order written."""
    written, records = probed(tmp_path, STREAMS, unbuffered=unbuffered)
    buffer = "FileIO" if unbuffered else "BufferedWriter"
    first = f"True True {buffer} utf-8 False {unbuffered} <stdout> w\n"
    if unbuffered:
        assert written == (first + "os.write\nafter\n").encode()
    else:
        assert written == ("os.write\n" + first + "after\n").encode()
    lines = [r["line"] for r in records if r["k"] == "out"]
    assert lines == [first.rstrip("\n"), "after"]


FAILING = """
import os, sys
print("buffered, never written")
os.close(1)
"""


def test_a_line_whose_flush_fails_is_recorded_with_the_failure(tmp_path: Path) -> None:
    """A print into the buffer returns (a line record); the flush at exit fails on the closed
    descriptor and the records say so, so the grader can count that line as never written."""
    written, records = probed(tmp_path, FAILING)
    assert b"never written" not in written
    assert b"Bad file descriptor" in written  # Python's own word on the failed flush, on fd 2
    assert [r["line"] for r in records if r["k"] == "out"] == ["buffered, never written"]
    errors = [r for r in records if r["k"] == "written" and "error" in r]
    assert [r["stream"] for r in errors] == ["out"]


LOCKS = """
import pickle, threading
lock, rlock = threading.Lock(), threading.RLock()
print(type(lock).__name__)
try:
    print(isinstance(lock, threading.Lock), isinstance(rlock, threading.Lock))
except TypeError:
    print("TypeError")
print(pickle.loads(pickle.dumps(threading.Lock)) is threading.Lock)
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_lock_stand_ins_keep_their_types(tmp_path: Path, version: str) -> None:
    """The submission's locks are recording ones, yet ``isinstance(x, threading.Lock)``
    behaves as without the probe: True for a Lock, False for an RLock where ``Lock`` is a
    type (3.13), a TypeError where it is a function; ``threading.Lock`` still pickles."""
    written, _ = probed(tmp_path, LOCKS, python=python_version(version))
    answer = "True False" if version >= "3.13" else "TypeError"
    assert written.decode().splitlines() == ["RecordingLock", answer, "True"]


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_reference_solutions_get_full_marks_whatever_the_buffering(
    monkeypatch: pytest.MonkeyPatch, unbuffered: bool
) -> None:
    """Every reference solution, under every start method, with ``PYTHONUNBUFFERED`` set and
    unset: full marks (none of their lines is taken for untrue or unwritten)."""
    if unbuffered:
        monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    else:
        monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    exercises = list(load_catalogue())
    result = grade(ROOT / "solutions", exercises)
    lost = {e.id: [c.message for c in e.checks if c.status != "passed"] for e in result.exercises}
    assert {k: v for k, v in lost.items() if v} == {}


SWAPPED = """
import io, sys
print("before the swap")
sys.stdout = io.StringIO()
print("into the StringIO")
"""


def test_a_stream_the_program_replaced_still_reaches_its_descriptor(tmp_path: Path) -> None:
    """A line printed before the program put its own object in ``sys.stdout`` reaches the
    output at exit, as Python's own stream would when collected."""
    written, records = probed(tmp_path, SWAPPED)
    assert written == b"before the swap\n"
    assert [r["line"] for r in records if r["k"] == "out"] == ["before the swap"]
