"""Grading a class: ``python -m grader batch DIR --csv PATH``.

The batch runs as a separate process in a session of its own, as an instructor runs it: what a
hostile submission might do to its ancestors can then never reach the test session.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
import pytest

from grader import load_catalogue
from grader.catalogue import ExerciseInfo
from grader.instructor.batch import _Batch, _Fault, _Graded, grade_class
from grader.instructor.gradebook import CheckOutcome, Row, summary, write_csv
from grader.instructor.submissions import locate
from grader.results import CheckResult, ExerciseResult, Status
from grader.runner import HARNESS_ENTRY
from tests.conftest import FIXTURES, ROOT, leftover_processes

EXERCISES = load_catalogue()
MAX_SCORE = sum(exercise.max_score for exercise in EXERCISES)
EX01 = "ex01_process_lock"
EX01_POINTS = next(e.max_score for e in EXERCISES if e.id == EX01)
BATCH_FIXTURES = FIXTURES / "batch"


def module(exercise: ExerciseInfo, variant: str) -> Path:
    """``solution``, ``stub``, or a fixture of ``tests/fixtures/batch`` (ex01 only)."""
    if variant == "solution":
        return ROOT / "solutions" / exercise.filename
    if variant == "stub":
        return ROOT / "exercises" / exercise.filename
    return BATCH_FIXTURES / f"{variant}.py"


def student(
    root: Path,
    name: str,
    variants: dict[str, str],
    *,
    default: str | None = "solution",
    bare: bool = False,
) -> Path:
    """A student folder: a clone of the template (``exercises/``) or a bare folder of modules.

    ``variants`` maps exercise ids to a variant; the others get ``default`` (None: missing).
    A variant ``syntax`` is a module that does not parse.
    """
    folder = root / name if bare else root / name / "exercises"
    folder.mkdir(parents=True)
    if not bare:
        (root / name / "README.md").write_text("my repository\n")
    for exercise in EXERCISES:
        variant = variants.get(exercise.id, default)
        if variant == "syntax":
            (folder / exercise.filename).write_text("def task(i, lock:\n    pass\n")
        elif variant is not None:
            shutil.copy(module(exercise, variant), folder / exercise.filename)
    return root / name


def start_batch(class_dir: Path, csv_path: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "grader", "batch", str(class_dir), "--csv", str(csv_path), *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run_batch(
    class_dir: Path, csv_path: Path, *options: str, timeout: float = 600
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]]]:
    """Run the batch as an instructor does; its process and the CSV rows by student.

    If the test is cut short (its timeout, Ctrl+C), the batch is stopped as an instructor
    would stop it (SIGTERM: it ends its gradings), so no later test finds its processes.
    """
    batch = start_batch(class_dir, csv_path, *options)
    try:
        out, err = batch.communicate(timeout=timeout)
    except BaseException:
        batch.terminate()
        try:
            batch.communicate(timeout=30)
        finally:
            batch.kill()
        raise
    done = subprocess.CompletedProcess(batch.args, batch.returncode, out, err)
    assert done.returncode == 0, done.stderr
    with open(csv_path, encoding="utf-8", newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    return done, rows


def escapees() -> list[psutil.Process]:
    """The sleepers the escape fixtures start, found by the name they give themselves."""
    name = f"lockstep-escapee-{os.getpid()}"
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() != psutil.STATUS_ZOMBIE and process.cmdline()[:1] == [name]:
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def batch_processes() -> list[psutil.Process]:
    """Processes that a batch of this test process started (its grader processes and their
    runs all have a TMPDIR inside the batch's folder)."""
    found = []
    for process in psutil.process_iter():
        try:
            env = process.environ()
            if (
                process.status() != psutil.STATUS_ZOMBIE
                and "lockstep-batch-" in env.get("TMPDIR", "")
                and env.get("KIT_TEST_WORKER") == str(os.getpid())
            ):
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def command_of(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except (psutil.Error, OSError):
        return []


def score(row: dict[str, str], exercise_id: str) -> int | None:
    return int(row[exercise_id]) if row[exercise_id] else None


@pytest.mark.timeout(600)
def test_a_handful_of_submissions(tmp_path: Path) -> None:
    """Right, wrong, incomplete, empty, hanging and hostile submissions, and one that brings
    its own grader: one row each, with scores, totals and notes (graded by the kit's grader);
    a progress line per student; a class summary."""
    class_dir = tmp_path / "class"
    student(class_dir, "alice", {})
    student(class_dir, "bob", {}, default="stub", bare=True)
    student(class_dir, "carol", {EX01: "solution"}, default=None)
    (class_dir / "dave" / "exercises").mkdir(parents=True)
    student(class_dir, "erin", {EX01: "hangs_at_import"})
    student(class_dir, "frank", {EX01: "syntax"})
    student(class_dir, "mallory", {EX01: "kills_parent_group"})
    trudy = student(class_dir, "trudy", {EX01: "stub"}, default=None)
    (trudy / "grader").mkdir()  # her own grader, which would give her full marks
    (trudy / "grader" / "__init__.py").write_text("raise SystemExit('graded by my own grader')\n")
    (trudy / "grader" / "__main__.py").write_text("print('Total 100 / 100')\n")
    (trudy / "exercises" / "sitecustomize.py").write_text("import os; os._exit(0)\n")
    (class_dir / ".git").mkdir()  # not a student
    done, rows = run_batch(class_dir, tmp_path / "grades.csv", "--start-method", "fork")

    assert list(rows) == ["alice", "bob", "carol", "dave", "erin", "frank", "mallory", "trudy"]
    with open(tmp_path / "grades.csv", encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    assert header == ["student", *(e.id for e in EXERCISES), "total", "status", "notes"]
    assert rows["alice"]["total"] == str(MAX_SCORE), rows["alice"]["notes"]
    assert rows["alice"]["status"] == "graded" and rows["alice"]["notes"] == ""
    assert rows["bob"]["total"] == "0"
    assert "hung" in rows["bob"]["notes"]
    carol = rows["carol"]
    assert score(carol, EX01) == EX01_POINTS and carol["total"] == str(EX01_POINTS)
    assert all(f"{e.filename} missing" in carol["notes"] for e in EXERCISES if e.id != EX01)
    assert rows["dave"]["status"] == "no exercises found" and rows["dave"]["total"] == "0"
    erin = rows["erin"]
    assert score(erin, EX01) == 0 and int(erin["total"]) == MAX_SCORE - EX01_POINTS
    assert erin["notes"].startswith(f"{EX01}")  # the grader's own words: hung, or stuck
    assert "syntax error at line 1" in rows["frank"]["notes"]
    mallory = rows["mallory"]
    assert score(mallory, EX01) in (0, None)
    assert int(mallory["total"]) == MAX_SCORE - EX01_POINTS, mallory["notes"]
    assert rows["trudy"]["status"] == "graded" and rows["trudy"]["total"] == "0"

    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 8 and progress[-1].startswith("[8/8] ")
    assert any(line.endswith(f"alice  {MAX_SCORE}/{MAX_SCORE}") for line in progress)
    assert "Class summary: 8 students" in done.stdout
    for exercise in EXERCISES:
        assert f"    {exercise.id} " in done.stdout
    assert "Most often failed checks" in done.stdout
    # bob, erin, frank, mallory, trudy
    assert f"{EX01} / one_at_a_time: failed by 5 of 7" in done.stdout
    assert batch_processes() == [] and leftover_processes() == []


def wait_until_gone(seconds: float = 20) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (left := batch_processes() + leftover_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.timeout(300)
def test_a_killed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    """``kill -9`` of the batch in mid-grading: its grader processes notice that nobody will
    read their results and end their runs and themselves, and remove the batch's folder."""
    class_dir = tmp_path / "class"
    for name in ("ann", "ben"):
        student(class_dir, name, {}, default="stub")
    batch = start_batch(class_dir, tmp_path / "grades.csv", "--start-method", "fork")
    deadline = time.monotonic() + 60
    while not any(HARNESS_ENTRY in " ".join(command_of(p)) for p in batch_processes()):
        assert time.monotonic() < deadline, "no run started"
        time.sleep(0.1)
    folder = next(Path(p.environ()["TMPDIR"]).parent.parent for p in batch_processes())
    batch.kill()
    batch.communicate()
    assert wait_until_gone() == []
    deadline = time.monotonic() + 10
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not folder.exists(), f"the batch's folder was left behind: {sorted(folder.rglob('*'))}"
    assert not (tmp_path / "grades.csv").exists()


@pytest.mark.timeout(120)
def test_a_grader_process_whose_batch_died_before_it_started_cleans_up(tmp_path: Path) -> None:
    """A batch killed right after it started a grader process, before that process asked who
    its parent is: the grader process still knows its batch is gone, grades nothing, and has
    its folder (and the batch's, once empty) removed."""
    batch_folder = tmp_path / "lockstep-batch-gone"
    place = batch_folder / "0000"
    (place / "tmp").mkdir(parents=True)
    shutil.copytree(ROOT / "exercises", place / "submission")
    arguments = f"[{EX01!r}], {str(place / 'submission')!r}, {str(place / 'r.json')!r}, jobs=2"
    starts_and_dies = (
        "import os, subprocess, sys; from grader.instructor.worker import worker_command; "
        f"subprocess.Popen(worker_command({arguments}), "
        "env={**os.environ, 'TMPDIR': sys.argv[1]}, stdout=subprocess.DEVNULL, "
        "start_new_session=True)"
    )
    subprocess.run(
        [sys.executable, "-c", starts_and_dies, str(place / "tmp")], cwd=ROOT, check=True
    )
    deadline = time.monotonic() + 30
    while batch_folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not batch_folder.exists(), f"left behind: {sorted(batch_folder.rglob('*'))}"
    assert wait_until_gone() == []


@pytest.mark.timeout(300)
def test_a_grading_that_takes_too_long_is_killed(tmp_path: Path) -> None:
    """A grader process past the batch's own deadline is killed with every process of its
    runs; the student's row says so and the exercise cells are empty (not graded, not 0)."""
    class_dir = tmp_path / "class"
    student(class_dir, "slow", {}, default="stub")
    _, rows = run_batch(
        class_dir, tmp_path / "grades.csv", "--start-method", "fork", "--timeout", "2"
    )
    row = rows["slow"]
    assert row["status"] == "not graded"
    assert all(row[e.id] == "" for e in EXERCISES) and row["total"] == ""
    assert "grading did not finish within 2 s" in row["notes"]
    assert batch_processes() == [] and leftover_processes() == []


def test_a_fault_costs_only_the_exercise_that_caused_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the grader process of a whole submission dies, each exercise is graded on its
    own: the one that kills its grader gets an empty cell and a note, the others their score."""
    exercises = EXERCISES[:3]

    def run_grader(self: _Batch, place: Path, chosen: Sequence[ExerciseInfo]) -> _Graded | _Fault:
        if any((place / "submission" / e.filename).read_text() == "evil" for e in chosen):
            return _Fault(
                "the grader was killed by SIGKILL (does the program end its parent's processes?)"
            )
        return _Graded(
            {
                e.id: ExerciseResult(
                    e.id,
                    e.title,
                    tuple(CheckResult(c.name, "passed", c.points, c.points) for c in e.checks),
                )
                for e in chosen
            }
        )

    monkeypatch.setattr(_Batch, "run_grader", run_grader)
    class_dir = tmp_path / "class"
    (class_dir / "eve").mkdir(parents=True)
    for exercise in exercises:
        (class_dir / "eve" / exercise.filename).write_text(
            "evil" if exercise is exercises[1] else "fine"
        )
    [row] = grade_class(class_dir, exercises)
    assert row.status == "partly graded"
    assert row.scores == {
        exercises[0].id: exercises[0].max_score,
        exercises[1].id: None,
        exercises[2].id: exercises[2].max_score,
    }
    assert row.notes == (
        f"{exercises[1].id} not graded: the grader was killed by SIGKILL (does the program end "
        "its parent's processes?)",
    )


def test_class_summary_and_csv(tmp_path: Path) -> None:
    """Averages count the students with a score for the exercise; the most often failed
    checks come first, with how many hung; a cell that could not be graded stays empty."""
    [first, second] = EXERCISES[:2]
    a, b = first.checks[0].name, first.checks[1].name

    def row(name: str, s1: int | None, s2: int | None, statuses: dict[str, Status]) -> Row:
        checks = tuple(CheckOutcome(first.id, check, status) for check, status in statuses.items())
        notes = ("note; with a semicolon",) if None in (s1, s2) else ()
        return Row(name, {first.id: s1, second.id: s2}, "graded", notes, checks)

    rows = [
        row("ann", 10, 4, {a: "passed", b: "passed"}),
        row("ben", 0, 6, {a: "timeout", b: "failed"}),
        row("cat", 2, None, {a: "failed", b: "passed"}),
        row("dan", None, None, {}),
    ]
    text = summary(rows, [first, second])
    width = max(len(first.id), len(second.id), len("total"))
    assert f"{first.id:<{width}}  average   4.0 / {first.max_score}  (3 graded)" in text
    assert f"{second.id:<{width}}  average   5.0 / {second.max_score}  (2 graded)" in text
    failed = text.split("Most often failed checks")[1].splitlines()[1:]
    assert failed[0] == f"    {first.id} / {a}: failed by 2 of 3, hung in 1"
    assert failed[1] == f"    {first.id} / {b}: failed by 1 of 3"
    write_csv(rows, [first, second], tmp_path / "g.csv")
    with open(tmp_path / "g.csv", encoding="utf-8", newline="") as file:
        written = list(csv.reader(file))
    assert written[1] == ["ann", "10", "4", "14", "graded", ""]
    assert written[3] == ["cat", "2", "", "2", "graded", "note; with a semicolon"]
    assert written[4] == ["dan", "", "", "", "graded", "note; with a semicolon"]


def test_symbolic_links_are_not_graded(tmp_path: Path) -> None:
    """A module that is a symbolic link (to the reference solution, say) is refused."""
    folder = tmp_path / "sneaky" / "exercises"
    folder.mkdir(parents=True)
    (folder / f"{EX01}.py").symlink_to(ROOT / "solutions" / f"{EX01}.py")
    found = locate(tmp_path / "sneaky", EXERCISES)
    assert found.modules == {}
    assert "symbolic link" in found.problems[EX01]


def empty_class(root: Path, names: Sequence[str]) -> Path:
    """A class whose students handed nothing in: the batch has rows to show, and nothing to
    grade."""
    for name in names:
        (root / "class" / name / "exercises").mkdir(parents=True)
    return root / "class"


def test_progress_is_a_line_per_student_when_not_on_a_terminal(tmp_path: Path) -> None:
    """Writing to a pipe (a CI log), the batch prints one plain line per student, and no bar."""
    class_dir = empty_class(tmp_path, ["ann", "ben", "cy"])
    done, rows = run_batch(class_dir, tmp_path / "grades.csv")
    assert sorted(rows) == ["ann", "ben", "cy"]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert [line.split("]")[0] for line in lines] == ["[1/3", "[2/3", "[3/3"], done.stderr
    assert {line.split()[1] for line in lines} == {"ann", "ben", "cy"}
    assert all(line.endswith(f"0/{MAX_SCORE}  (no exercises found)") for line in lines)


def test_progress_is_a_bar_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the batch shows one bar (students graded, elapsed time, time left, the last
    student graded) instead of a line per student; the summary still goes to stdout."""
    class_dir = empty_class(tmp_path, ["ann", "ben", "cy"])
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    batch = subprocess.Popen(
        [sys.executable, "-m", "grader", "batch", str(class_dir), "--csv", str(tmp_path / "g")],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "160"},
        start_new_session=True,
    )
    os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the batch has closed the terminal
        while chunk := os.read(controller, 65536):
            shown += chunk
    os.close(controller)
    out, _ = batch.communicate(timeout=60)
    assert batch.returncode == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))
    assert "3/3" in screen and "elapsed" in screen and "left" in screen, screen
    assert "━" in screen and "last: " in screen, screen
    assert "[1/3]" not in screen and "[3/3]" not in screen, screen
    assert "Class summary: 3 students" in out


def test_usage_errors(tmp_path: Path) -> None:
    """A class folder that is missing or holds no student folder is a usage error (2)."""
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "nowhere", tmp_path / "empty"):
        done = subprocess.run(
            [sys.executable, "-m", "grader", "batch", str(folder), "--csv", str(tmp_path / "g")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and done.stderr.startswith("error: ")


CLASS_OF_30: list[tuple[str, dict[str, str], str | None, bool]] = [
    # name, ex01 variant (others: default), default for the other exercises, bare folder
    *((f"right{i:02d}", {}, "solution", i % 3 == 0) for i in range(1, 11)),
    ("wrong01", {}, "stub", False),
    ("wrong02", {}, "stub", True),
    ("wrong03", {EX01: "stub"}, "solution", False),
    ("wrong04", {EX01: "syntax"}, "solution", False),
    ("wrong05", {EX01: "solution"}, "stub", False),
    ("wrong06", {EX01: "stub"}, "solution", True),
    ("hang01", {EX01: "hangs_at_import"}, "solution", False),
    ("hang02", {EX01: "hangs_at_import"}, "stub", False),
    ("hang03", {EX01: "solution"}, "stub", True),
    ("hang04", {EX01: "hangs_at_import"}, None, False),
    ("hostile01", {EX01: "kills_parent_group"}, "solution", False),
    ("hostile02", {EX01: "kills_parent"}, "solution", False),
    ("hostile03", {EX01: "escapes_keeps_env"}, "solution", False),
    ("hostile04", {EX01: "escapes_clears_env"}, "solution", False),
    ("hostile05", {EX01: "leaves_children"}, "solution", False),
    ("hostile06", {EX01: "kills_parent_group"}, "stub", True),
    ("missing01", {}, None, False),
    ("missing02", {EX01: "solution"}, None, False),
    ("missing03", {EX01: "solution"}, None, True),
    ("missing04", {}, None, True),
]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_class_of_30(tmp_path: Path) -> None:
    """30 submissions (right, wrong, hanging, hostile, missing files), every start method,
    the default number at a time: the batch finishes, every student has a row, the right
    ones have full marks, and no process of any of them is left behind."""
    assert len(CLASS_OF_30) == 30
    class_dir = tmp_path / "class"
    for name, variants, default, bare in CLASS_OF_30:
        if default is None and not variants:
            (class_dir / name / ("" if bare else "exercises")).mkdir(parents=True)
        else:
            student(class_dir, name, variants, default=default, bare=bare)
    started = time.monotonic()
    done, rows = run_batch(class_dir, tmp_path / "grades.csv", timeout=1700)
    wall = time.monotonic() - started
    print(f"\nbatch of 30 submissions: {wall:.1f} s wall time\n{done.stdout}")
    # What the batch itself promises: it finished, a row for everyone, nothing left behind.
    assert sorted(rows) == sorted(name for name, *_ in CLASS_OF_30), f"{wall:.0f} s"
    assert all(row["total"] != "" for row in rows.values())
    assert "Class summary: 30 students" in done.stdout
    assert batch_processes() == [] and leftover_processes() == [] and escapees() == []
    for name in ("missing01", "missing04"):
        assert rows[name]["status"] == "no exercises found"
    # What the grader promises, at the batch's default concurrency: right verdicts. (This is
    # the part a machine loaded by other work can break: a right program that misses its
    # deadline because the machine is busy counts as hung.)
    for name in ("hang01", "hostile01", "hostile02", "hostile03", "hostile04", "hostile05"):
        row = rows[name]
        others = sum(score(row, e.id) or 0 for e in EXERCISES if e.id != EX01)
        assert others == MAX_SCORE - EX01_POINTS, (name, row["notes"], f"{wall:.0f} s")
    wrong_verdicts = {
        name: row["notes"]
        for name, row in rows.items()
        if name.startswith("right") and row["total"] != str(MAX_SCORE)
    }
    assert wrong_verdicts == {}, f"batch wall time {wall:.0f} s"
