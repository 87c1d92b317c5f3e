"""The watch mode, driven through a pseudo-terminal as a student's terminal drives it."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from grader.catalogue import ExerciseInfo, load_catalogue
from grader.results import CheckResult, ExerciseResult, GradeResult
from grader.watch import Watch, changes, progress_bar

pty = pytest.importorskip("pty")  # not on Windows

KIT = Path(__file__).resolve().parent.parent


class Terminal:
    """``python -m grader watch`` in a pseudo-terminal: what it printed, and keys to press."""

    def __init__(self, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the watch mode
            # Ctrl+C as in a terminal, even when these tests run in the background (`cmd &`
            # in a script ignores SIGINT, and Python keeps an ignored SIGINT ignored).
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.chdir(KIT)
            os.execv(sys.executable, [sys.executable, "-m", "grader", "watch", *args])
        self.output = ""
        self.cursor = 0
        self.descendants: set[psutil.Process] = set()

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds until ``text`` is printed after the last text waited for; fails after
        ``timeout``."""
        start = time.monotonic()
        while text not in self.output[self.cursor :]:
            left = timeout - (time.monotonic() - start)
            unread = self.output[self.cursor :]
            assert left > 0, f"{text!r} not printed within {timeout} s:\n{unread}"
            self._note_descendants()
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if ready:
                try:
                    self.output += os.read(self.fd, 65536).decode(errors="replace")
                except OSError:  # the other side closed: the program ended
                    assert text in self.output[self.cursor :], unread
        self.cursor = self.output.index(text, self.cursor) + len(text)
        return time.monotonic() - start

    def press(self, key: str) -> None:
        os.write(self.fd, key.encode())

    def _note_descendants(self) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            self.descendants.update(psutil.Process(self.pid).children(recursive=True))

    def exit_code(self, timeout: float) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with_pid, status = os.waitpid(self.pid, os.WNOHANG)
            if with_pid:
                return os.waitstatus_to_exitcode(status)
            self.wait_for("", 0.1)
        raise AssertionError("the watch mode did not end")

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


EXERCISES = len(load_catalogue())
"""How many exercises the progress bar counts."""


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    """Solutions of exercises 01-08, the stub of 09, and no 10 yet: 8 at full marks."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for number in range(1, 9):
        (solution,) = (KIT / "solutions").glob(f"ex{number:02d}_*.py")
        shutil.copy(solution, folder / solution.name)
    shutil.copy(KIT / "exercises" / "ex09_thread_race.py", folder)
    return folder


@pytest.fixture
def terminal(submission: Path) -> Iterator[Terminal]:
    pytest.importorskip("watchfiles")
    watch = Terminal("--submission", str(submission), "--start-method", "fork", "--lang", "en")
    yield watch
    watch.kill()


def save(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_grades_regrades_advances_and_quits(terminal: Terminal, submission: Path) -> None:
    """It grades the first unfinished exercise (09), grades it again within 2 s of a save
    showing only what changed, says so at full marks and moves to the next (10), lists the
    scores on l, and on q prints the progress and ends, leaving no process behind."""
    stub = submission / "ex09_thread_race.py"
    terminal.wait_for(progress_bar(8, EXERCISES), 90)
    terminal.wait_for("ex09_thread_race / no_lost_update (FAIL)", 60)
    terminal.wait_for("Keys: h hint", 5)

    save(stub, stub.read_text(encoding="utf-8") + "\n# saved again, nothing changed\n")
    assert terminal.wait_for("ex09_thread_race.py saved: grading again", 2) < 2
    terminal.wait_for("No change in ex09_thread_race's checks: 0 / 10.", 60)

    terminal.press("h")
    terminal.wait_for("called_twice: At the start of main: `global n` and `n = 100`.", 5)

    save(stub, (KIT / "solutions" / "ex09_thread_race.py").read_text(encoding="utf-8"))
    assert terminal.wait_for("ex09_thread_race.py saved: grading again", 2) < 2
    terminal.wait_for("ex09_thread_race: 10 / 10 (was 0)", 60)
    terminal.wait_for("ex09_thread_race is at full marks!", 5)
    terminal.wait_for(f"9 / {EXERCISES} exercises at full marks", 5)
    terminal.wait_for("Next: ex10_deadlock", 5)
    terminal.wait_for("ex10_deadlock.py is missing", 60)

    terminal.press("l")
    terminal.wait_for("* 09  ex09_thread_race                 10 / 10", 5)
    terminal.press("q")
    terminal.wait_for("> 10  ex10_deadlock", 10)
    assert terminal.exit_code(10) == 0
    assert not [p for p in terminal.descendants if p.is_running() and p.status() != "zombie"]


def test_ctrl_c_while_grading_leaves_no_process(terminal: Terminal) -> None:
    """Ctrl+C during the first grading waits for its runs to end, prints the progress and
    leaves no process behind."""
    terminal.wait_for("to see where you are", 30)
    time.sleep(0.5)
    terminal.press("\x03")
    terminal.wait_for("exercises at full marks", 60)
    assert terminal.exit_code(10) == 0
    assert not [p for p in terminal.descendants if p.is_running() and p.status() != "zombie"]


def _result(*checks: tuple[str, str, str]) -> ExerciseResult:
    return ExerciseResult(
        "ex09_thread_race",
        "Threads share data",
        tuple(
            CheckResult(name, status, 5 if status == "passed" else 0, 5, message, "summary")
            for name, status, message in checks
        ),
    )


def test_changes_shows_only_the_checks_that_changed() -> None:
    """A second grading shows the checks whose verdict or message changed, and the score
    before; an identical one says that nothing changed."""
    first = _result(("a", "failed", "lost 19 updates"), ("b", "failed", "returned 99"))
    second = _result(("a", "passed", ""), ("b", "failed", "returned 99"))
    shown = "\n".join(changes(first, second))
    assert "ex09_thread_race: 5 / 10 (was 0)" in shown
    assert " a " in shown and " b " not in shown and "returned 99" not in shown
    assert changes(second, second) == ["No change in ex09_thread_race's checks: 5 / 10."]
    assert "returned 99" in "\n".join(changes(None, second))


def test_progress_bar() -> None:
    """The bar fills in proportion to the exercises at full marks."""
    assert progress_bar(5, 10) == "[##########----------] 5 / 10 exercises at full marks"
    assert progress_bar(0, 10).startswith("[" + "-" * 20 + "]")


def test_grades_the_next_exercise_while_the_last_grading_thread_is_still_ending(
    tmp_path: Path,
) -> None:
    """The result of a grading can be handled before its thread has ended (the thread puts
    the result, then returns): moving to the next exercise must still grade it, not wait for
    a result that never comes."""
    release = threading.Event()
    graded: list[list[str]] = []

    class Watched(Watch):
        def _grade(self, chosen: list[ExerciseInfo]) -> None:
            graded.append([exercise.id for exercise in chosen])
            self.events.put(("graded", GradeResult("submission", (_result(),))))
            release.wait(10)  # alive while the main thread handles what it put

    watch = Watched(tmp_path, ["fork"])
    watch.start_grading(watch.exercises)
    _, first = watch.events.get(timeout=5)
    watch.graded(first)
    release.set()
    assert watch.current is not None
    assert graded[1:] == [[watch.current.id]]
