"""Broken, runaway and hostile submissions: each gets a verdict in plain words, on time, and
leaves no process behind.

The fixtures are in ``tests/fixtures/hostile/<exercise id>/``; each says in its docstring what it
does. Besides the autouse scan of ``conftest.py`` (which finds processes by the environment
variable every run inherits), every test here also scans command lines for the submission's
own folder: the escapees exec a sleeper whose command line names its file, and one of them has
cleared its environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from grader import ExerciseResult, find_exercise, grade, load_catalogue
from grader.exercises import ex01_process_lock as ex01
from grader.limits import MAX_PROCESSES
from grader.platforms import sandbox_class
from grader.platforms.posix import PosixSandbox
from grader.runner import HARNESS_ENTRY
from grader.sandbox import STRETCH, pid_namespaces
from tests.conftest import FIXTURES, ROOT

resource = pytest.importorskip("resource", reason="the hostile programs are POSIX programs")
RSS_UNIT = 1024 if sys.platform == "darwin" else 1
"""``ru_maxrss`` is in bytes on macOS, in kilobytes on Linux."""

HOSTILE = FIXTURES / "hostile"
GRADER = (sys.executable, "-m", "grader", "--quiet")
MARGIN = 3.0
"""Seconds a grading may take past its exercise's deadline (start-up, stack dumps, killing);
on a busy machine the deadline itself stretches by the time the run waited for a CPU."""
NAMESPACES = pid_namespaces()

Graded = tuple[ExerciseResult, float]


def by_command_line(marker: str, under: int | None = None) -> list[psutil.Process]:
    """Live processes whose command line mentions ``marker`` (descendants of ``under`` only,
    if given): found without their environment."""
    found = []
    try:
        candidates = psutil.Process(under).children(True) if under else psutil.process_iter()
    except psutil.Error:
        return []
    for process in candidates:
        try:
            if process.status() != psutil.STATUS_ZOMBIE and marker in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


class GradeHostile:
    """Grades fixtures (``hostile`` ones by name, or ``solution``), each exercise in its own file
    of one submission folder; returns the first exercise's result and the wall time, and keeps
    the other exercises' results in ``others``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.others: tuple[ExerciseResult, ...] = ()

    def __call__(self, *variants: tuple[str, str], methods: list[str] | None = None) -> Graded:
        self.count += 1
        folder = self.folder / f"s{self.count}"
        folder.mkdir()
        exercises = []
        for exercise_id, variant in variants:
            exercise = find_exercise(exercise_id)
            assert exercise is not None, exercise_id
            source = ROOT / "solutions" / exercise.filename
            if variant != "solution":
                source = HOSTILE / exercise_id / f"{variant}.py"
            shutil.copy(source, folder / exercise.filename)
            exercises.append(exercise)
        started = time.monotonic()
        result = grade(folder, exercises, start_methods=methods)
        self.others = result.exercises[1:]
        return result.exercises[0], time.monotonic() - started


@pytest.fixture
def grade_hostile(tmp_path: Path) -> Iterator[GradeHostile]:
    """A ``GradeHostile``; afterwards, no process whose command line names the test's folder."""
    yield GradeHostile(tmp_path)
    left = by_command_line(str(tmp_path))
    assert not left, f"escaped processes of a graded run are still alive: {left}"


def first_failure(result: ExerciseResult) -> tuple[str, str]:
    check = next(c for c in result.checks if c.status != "passed")
    return check.status, check.message


EX01 = "ex01_process_lock"
EX01_MAIN = f"main(n={ex01.N}, delay={ex01.DELAY:g})"
"""The call of ex01's main scenario, as messages name it."""
ANY_PID = r"\(pid \d+\)"


def running(role: str) -> str:
    """How a message names a child process: ``Process-2 (pid 4242, running task)``."""
    return rf"\S+ \(pid \d+, running {role}\)"


DOES_NOT_LOAD = [
    ("syntax_error", r"ex01_process_lock.py has a syntax error at line 7: expected ':'"),
    (
        "raises_at_import",
        r"importing ex01_process_lock.py raised ValueError: config.ini not found at line \d+",
    ),
    ("sys_exit_at_import", r"importing ex01_process_lock.py raised SystemExit: 0 at line \d+"),
    (
        "os_exit_at_import",
        r"ex01_process_lock.py ended the program while it was being imported \(exit code 0\)",
    ),
    ("missing_function", r"ex01_process_lock.py: missing function task\(\)"),
    ("wrong_signature", r"task\(\) has no parameter 'delay': the exercise asks for task\(i, lock"),
]


@pytest.mark.parametrize(("variant", "message"), DOES_NOT_LOAD)
def test_does_not_load(grade_hostile: GradeHostile, variant: str, message: str) -> None:
    """A module that cannot be loaded is an error on every check, with its cause: no scenario
    is run to its deadline (that would be a timeout). How fast that is, is a benchmark's."""
    result, _ = grade_hostile((EX01, variant))
    assert {c.status for c in result.checks} == {"error"}
    assert re.search(message, result.checks[0].message), result.checks[0].message
    assert result.score == 0


def test_wrong_return_type(grade_hostile: GradeHostile) -> None:
    """A value of the wrong type is shown next to the shape the exercise asks for."""
    result, _ = grade_hostile(("ex03_pids", "wrong_return_type"), methods=["fork"])
    status, message = first_failure(result)
    assert status == "failed"
    assert re.search(r"main\(n=3\) returned \[\d+, \d+, \d+\]", message), message
    assert 'Expected: a dict shaped {"parent": <pid>' in message


NEVER_ENDS = [
    (
        EX01,
        "busy_main",
        rf"the main program {ANY_PID} was waiting at ex01_process_lock.py:\d+ "
        r"in main: `(while True:|pass)`",
    ),
    (
        EX01,
        "busy_child",
        rf"{running('task')} was waiting at ex01_process_lock.py:\d+ in task: "
        r"`(while True:|pass)`",
    ),
    (
        EX01,
        "busy_thread",
        r"spin.* was waiting at ex01_process_lock.py:\d+ in spin: `(while True:|pass)`",
    ),
    (EX01, "thread_never_stops", r"main\(\) had returned, but the program could not end"),
    (
        "ex06_producer_consumer",
        "join_before_sentinel",
        rf"{running('consumer')} was waiting at ex06_producer_consumer.py:\d+ in consumer: "
        r"`res = q.get\(\)`",
    ),
    (
        EX01,
        "ignores_signals",
        # Where each process dumps its stacks from a timer, no signal is ignored.
        rf"{running('task')} was waiting at ex01_process_lock.py:\d+ in task: `time.sleep\(1\)`"
        if sandbox_class().stacks_by_timer
        else rf"{running('task')}: its stack could not be read \(it did not answer the "
        r"grader's request for it",
    ),
]


@pytest.mark.parametrize(("exercise_id", "variant", "message"), NEVER_ENDS)
def test_never_ends(
    grade_hostile: GradeHostile, exercise_id: str, variant: str, message: str
) -> None:
    """A run that never ends is stopped at its deadline, not run again under the other start
    methods, and reported with where each process (or thread) was."""
    result, took = grade_hostile((exercise_id, variant))
    status, text = first_failure(result)
    exercise = find_exercise(exercise_id)
    assert exercise is not None
    assert status == "timeout"
    assert f"did not finish within {exercise.timeout:g} s" in text
    assert re.search(message, text), text
    assert "Also under" not in text  # not run again under the other start methods
    assert took < exercise.timeout * STRETCH + MARGIN


def test_thread_that_never_stops_is_named(grade_hostile: GradeHostile) -> None:
    """The thread that keeps the program alive is shown at its line."""
    result, _ = grade_hostile((EX01, "thread_never_stops"), methods=["fork"])
    assert re.search(
        r"watcher.* was waiting at .* in watcher: `stop.wait\(\)`", result.checks[0].message
    )


ESCAPES_WITHOUT_A_TRACE = pytest.mark.skipif(
    sys.platform == "darwin",
    reason="macOS has no subreaper: an escapee that also clears its environment is not found",
)


@pytest.mark.parametrize(
    "variant",
    [
        "double_fork_setsid",
        "popen_new_session",
        pytest.param("escape_clear_env", marks=ESCAPES_WITHOUT_A_TRACE),
    ],
)
def test_escapes_are_found_killed_and_reported(grade_hostile: GradeHostile, variant: str) -> None:
    """A right program that leaves a process running after it ends (in a session of its own,
    even without its environment) loses its points, and the process is killed."""
    result, took = grade_hostile((EX01, variant), methods=["fork"])
    status, message = first_failure(result)
    assert status == "failed"
    assert re.search(
        r"ex01_process_lock left 1 process running after the program ended \(pid \d+: \S*python"
        r"\S* -c import time; time.sleep\(1000\)",
        message,
    ), message
    assert "the grader killed it" in message
    assert took < 6 * STRETCH + MARGIN


EATS_THE_MACHINE = [
    (
        "fork_loop",
        f"ex01_process_lock had more than {MAX_PROCESSES} processes running at once; the grader "
        "stopped it there",
    ),
    ("memory_hog", "ex01_process_lock used more than 256 MB of memory in one process"),
    ("flood_print", "ex01_process_lock printed more than 4 MB; output cut"),
    (
        "flood_write",
        "ex01_process_lock wrote more than 1 MB to its standard output outside print(); output cut",
    ),
]


@pytest.mark.parametrize(("variant", "message"), EATS_THE_MACHINE)
def test_eats_the_machine(grade_hostile: GradeHostile, variant: str, message: str) -> None:
    """A run that goes past a limit is ended at once and the limit is named."""
    result, took = grade_hostile((EX01, variant))
    status, text = first_failure(result)
    assert status == "failed"
    assert message in text, text
    if variant != "flood_write":  # its writes go to a file; the kernel's size limit ends them
        assert f"while running {EX01_MAIN}" in text
    assert result.score == 0
    assert took < 6 * STRETCH + MARGIN


def test_output_that_is_not_utf8_is_graded_as_usual(
    grade_hostile: GradeHostile, tmp_path: Path
) -> None:
    """Bytes that are not UTF-8 (on fd 1 and 2) and a lone surrogate do not disturb grading."""
    result, _ = grade_hostile((EX01, "not_utf8"))
    assert result.score == 10, [c.message for c in result.checks]


def test_grader_memory_stays_small_under_a_gigabyte_of_output(tmp_path: Path) -> None:
    """The grader's own peak memory stays under 200 MB while runs print and write a gigabyte."""
    folder = tmp_path / "submission"
    folder.mkdir()
    peaks = []
    for variant in ("flood_print", "flood_write"):
        shutil.copy(HOSTILE / EX01 / f"{variant}.py", folder / f"{EX01}.py")
        code = (
            "import resource, sys; from grader.cli import main; "
            f"main(['01', '--submission', {str(folder)!r}, '--quiet']); "
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        peak_kb = int(done.stdout.rsplit("PEAK", 1)[1]) // RSS_UNIT
        peaks.append(peak_kb)
        assert "output cut" in done.stdout or "ok" not in done.stdout
    assert max(peaks) < 200 * 1024, f"peak memory of the grader: {max(peaks) // 1024} MB"


FAKES = [
    ("prints_records", "two processes held the critical section at once"),
    ("exits_early", f"the program exited with code 0 while running {EX01_MAIN}"),
    ("sys_exit_in_main", f"{EX01_MAIN} raised SystemExit: 0"),
    ("closes_stdout", f"{EX01_MAIN} printed no 进程i来了 line"),
    (
        "forges_records",
        "ex01_process_lock could not be graded: the grader's records say that Process-",
    ),
]


@pytest.mark.parametrize(("variant", "message"), FAKES)
def test_faking_success_earns_nothing(
    grade_hostile: GradeHostile, variant: str, message: str
) -> None:
    """Forged records and score lines, an early exit 0, a closed stdout: none earns a point."""
    result, _ = grade_hostile((EX01, variant))
    assert result.score == 0
    assert message in first_failure(result)[1]


NOT_PRINTED = ["closes_fd1_at_import", "stdout_none", "os_write_lines", "buffer_write_lines"]


@pytest.mark.parametrize("variant", NOT_PRINTED)
def test_lines_that_are_not_printed_earn_nothing(grade_hostile: GradeHostile, variant: str) -> None:
    """The reference solution whose lines cannot reach its output (file descriptor 1 closed at
    import, ``sys.stdout`` set to None) or are written around ``print`` (``os.write(1, ...)``,
    ``sys.stdout.buffer.write``) has printed nothing, under every start method."""
    result, _ = grade_hostile((EX01, variant))
    assert result.score == 0
    status, message = first_failure(result)
    assert status == "failed"
    assert f"{EX01_MAIN} printed no 进程i来了 line" in message
    assert "Also under: spawn, forkserver" in message


def test_writing_into_the_kit_earns_nothing(tmp_path: Path) -> None:
    """A run cannot change the grade by writing into the kit, another exercise's file or the
    results file: with namespaces the kit and submission are read-only for it (the writes fail,
    the results file is rewritten by the grader); without, the change is noticed and the
    grading is a grader error (exit code 2) with no results file. Graded from a copy of the kit:
    the submission does try to write into it."""
    kit = tmp_path / "kit"
    shutil.copytree(ROOT / "grader", kit / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(HOSTILE / EX01 / "writes_kit.py", submission / f"{EX01}.py")
    shutil.copy(ROOT / "solutions" / "ex06_producer_consumer.py", submission)
    other = (submission / "ex06_producer_consumer.py").read_text(encoding="utf-8")
    results = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": str(kit), "KIT_TEST_RESULTS": str(results)}
    done = subprocess.run(
        [*GRADER, "01", "06", "--submission", str(submission), "--json", str(results)],
        cwd=kit,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if not NAMESPACES:
        assert done.returncode == 2, done.stdout + done.stderr
        assert "files changed while the submissions ran" in done.stderr
        assert "ex06_producer_consumer.py" in done.stderr
        assert not results.exists()
        return
    assert done.returncode == 1, done.stdout + done.stderr
    assert not (kit / "grader" / "exercises" / "planted_by_submission.py").exists()
    assert (submission / "ex06_producer_consumer.py").read_text(encoding="utf-8") == other
    scores = {e["id"]: e["score"] for e in json.loads(results.read_text())["exercises"]}
    assert scores == {EX01: 0, "ex06_producer_consumer": 10}


@pytest.mark.parametrize("variant", ["kills_parent", "kills_group"])
def test_attacking_the_grader_changes_no_grade(grade_hostile: GradeHostile, variant: str) -> None:
    """Signals to the parent or its process group end (at most) the attacker's own run: it
    earns nothing, and the exercise graded alongside keeps its full marks."""
    result, _ = grade_hostile((EX01, variant), ("ex06_producer_consumer", "solution"))
    assert result.score == 0
    assert {c.status for c in result.checks} == {"failed"}
    assert [(e.id, e.score) for e in grade_hostile.others] == [("ex06_producer_consumer", 10)]


needs_namespaces = pytest.mark.skipif(
    not NAMESPACES,
    reason="no PID namespace for runs here: a kill(-1) would reach the whole machine",
)


@needs_namespaces
def test_signals_from_a_run_stay_inside_it(tmp_path: Path) -> None:
    """Inside the sandbox, kill(-1) reaches the run's own processes and nothing outside: this
    process, with a handler for the harmless SIGURG, never gets it."""
    hits: list[int] = []
    previous = signal.signal(signal.SIGURG, lambda signum, frame: hits.append(signum))
    try:
        (tmp_path / "records.jsonl").touch()
        program = (
            "import os, signal, time\n"
            "if os.fork() == 0:\n    time.sleep(5)\n    os._exit(0)\n"
            "time.sleep(0.2)\nos.kill(-1, signal.SIGURG)\nprint('sent', flush=True)\n"
        )
        sandbox = PosixSandbox(
            tmp_path, [sys.executable, "-c", program], dict(os.environ), tmp_path
        )
        try:
            assert sandbox.watch(10) == "ended"  # a duration, in seconds
        finally:
            sandbox.end()
        assert sandbox.namespace and sandbox.exit_code == 0, sandbox.output_text()
        assert "sent" in sandbox.output_text()
        time.sleep(0.2)
        assert hits == []
    finally:
        signal.signal(signal.SIGURG, previous)


@needs_namespaces
def test_killing_every_process_it_can_see_changes_no_grade(tmp_path: Path) -> None:
    """``os.kill(-1, SIGKILL)`` ends only the attacker's run; the grader, in its own session here
    as a further guard, grades the other exercises as usual (exit code 1: a check failed)."""
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(HOSTILE / EX01 / "kills_everything.py", submission / f"{EX01}.py")
    for other in ("ex03_pids", "ex06_producer_consumer"):
        shutil.copy(ROOT / "solutions" / f"{other}.py", submission)
    results = tmp_path / "results.json"
    done = subprocess.run(
        [*GRADER, "01", "03", "06", "--submission", str(submission), "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    scores = {e["id"]: e["score"] for e in json.loads(results.read_text())["exercises"]}
    assert scores == {EX01: 0, "ex03_pids": 10, "ex06_producer_consumer": 10}


def test_doing_nothing_earns_nothing(tmp_path: Path) -> None:
    """Functions that return at once without doing anything score 0 on every exercise: no check
    passes for want of evidence against it."""
    folder = tmp_path / "submission"
    folder.mkdir()
    exercises = list(load_catalogue())
    for exercise in exercises:
        shutil.copy(FIXTURES / "does_nothing.py", folder / exercise.filename)
    result = grade(folder, exercises)
    earned = {e.id: [c.name for c in e.checks if c.score] for e in result.exercises if e.score}
    assert not earned


def test_ten_hanging_exercises_hang_once_each(tmp_path: Path) -> None:
    """Ten exercises whose every call hangs (the catalogue's, repeated up to ten) all score 0,
    each hung scenario is run under its first start method only (no failure is "also under"
    another), and the grader's memory stays small. (Their wall time, within the 30 s budget,
    is a line of `nox -s benchmark`.)"""
    folder = tmp_path / "submission"
    folder.mkdir()
    exercises = list(load_catalogue())
    for exercise in exercises:
        shutil.copy(FIXTURES / "hangs_in_every_call.py", folder / exercise.filename)
    result = grade(folder, (exercises * 10)[:10])
    assert all(e.score == 0 for e in result.exercises)
    # A check that needs another to pass first says so ("failed"); the rest hung.
    checks = [c for e in result.exercises for c in e.checks]
    assert {c.status for c in checks} <= {"timeout", "failed"}
    assert any(c.status == "timeout" for c in checks)
    assert not [c.message for c in checks if "Also under" in c.message]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // RSS_UNIT < 200 * 1024


WITHOUT_NAMESPACES = [
    ("double_fork_setsid", "left 1 process running after the program ended"),
    ("popen_new_session", "left 1 process running after the program ended"),
    pytest.param(
        "escape_clear_env",
        "left 1 process running after the program ended",
        marks=ESCAPES_WITHOUT_A_TRACE,
    ),
    ("fork_loop", f"had more than {MAX_PROCESSES} processes running at once"),
    ("kills_parent", "ended the process that supervises it"),
    ("kills_group", "ended the process that supervises it"),
]


@pytest.mark.parametrize(("variant", "message"), WITHOUT_NAMESPACES)
def test_without_namespaces(
    grade_hostile: GradeHostile, monkeypatch: pytest.MonkeyPatch, variant: str, message: str
) -> None:
    """Where runs get no PID namespace (``LOCKSTEP_NAMESPACES=0``, or a machine that has none),
    escapees are still found (the launcher is a child subreaper) and killed, a fork loop is
    still stopped, and a run that kills its supervisor earns nothing while the exercise graded
    alongside keeps its marks."""
    monkeypatch.setenv("LOCKSTEP_NAMESPACES", "0")
    result, _ = grade_hostile((EX01, variant), ("ex06_producer_consumer", "solution"))
    status, text = first_failure(result)
    assert status == "failed"
    assert message in text, text
    assert result.score == 0
    assert [(e.id, e.score) for e in grade_hostile.others] == [("ex06_producer_consumer", 10)]


def test_a_grader_that_is_killed_takes_its_runs_with_it(tmp_path: Path) -> None:
    """However the grading ends, even with the grader killed mid-run (an interrupt, a test
    timeout), no process of the submission stays (the autouse scan checks it too)."""
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(HOSTILE / EX01 / "busy_child.py", submission / f"{EX01}.py")
    grader = subprocess.Popen(
        [*GRADER, "01", "--submission", str(submission)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not by_command_line(HARNESS_ENTRY, under=grader.pid):
        time.sleep(0.1)
    assert by_command_line(HARNESS_ENTRY, under=grader.pid), "no run started"
    time.sleep(1.0)
    grader.kill()
    grader.wait()
    time.sleep(1.0)
    left = [p for p in by_command_line("lockstep-") if _of_this_test(p)]
    assert not left, left


def _of_this_test(process: psutil.Process) -> bool:
    try:
        return process.environ().get("KIT_TEST_WORKER") == str(os.getpid())
    except psutil.Error:
        return False
