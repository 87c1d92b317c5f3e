"""``python -m grader watch`` (``nox -s watch``): grade as you edit, as rustlings does.

It grades every exercise once to see where the student is, then watches the first one not at
full marks: each save of its file grades it again and shows only the checks whose verdict or
message changed. At full marks it says so and moves to the next. Keys: ``h`` the next hint
level, ``n`` the next exercise, ``l`` the list with scores, ``q`` quit (Ctrl+C too).

One thread reads keys, one watches the folder (``watchfiles``, imported only here: ``nox -s
watch`` installs it), one grades at a time; the main thread alone prints. Quitting waits for a
grading under way to end, so that its runs are reaped as at every grading's end: no process is
left behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import ExerciseInfo, load_catalogue
from .grading import grade
from .integrity import KitChanged
from .language import add_language_option, argparse_speaks, current, t
from .report import check_row, exercise_rows, failure_text
from .results import ExerciseResult, GradeResult

BAR_WIDTH = 20
HINT_LEVELS = 2
"""The catalogue's two hints: the first is in every failure; ``h`` adds the second."""

Event = tuple[str, Any]


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m grader watch",
        description=t(
            "Grade as you edit: the first exercise not yet at full marks, again on every save. "
            "Keys: h hint, n next exercise, l list, q quit."
        ),
    )
    cli.add_argument(
        "--submission",
        type=Path,
        default=Path("exercises"),
        help=t("folder holding the exercise modules (default: exercises/)"),
    )
    cli.add_argument(
        "--start-method",
        action="append",
        choices=("fork", "spawn", "forkserver"),
        dest="methods",
        help=t("grade under this start method only (repeatable; default: all)"),
    )
    add_language_option(cli)
    return cli


def progress_bar(done: int, total: int) -> str:
    """``[########------------] 4 / 10 exercises at full marks``."""
    filled = BAR_WIDTH * done // total if total else 0
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    return t("[{bar}] {done} / {total} exercises at full marks", bar=bar, done=done, total=total)


def changes(before: ExerciseResult | None, after: ExerciseResult) -> list[str]:
    """What a new grading says that the last one did not: a row per check whose verdict or
    message changed, with its failure when it fails; a line saying nothing changed otherwise."""
    if before is None:
        return [*exercise_rows(after), *_failures(after)]
    old = {check.name: check for check in before.checks}
    lines: list[str] = []
    for check in after.checks:
        previous = old.get(check.name)
        if previous is not None and (previous.status, previous.message) == (
            check.status,
            check.message,
        ):
            continue
        lines.append(check_row(check))
        if check.message:
            lines += ["", *failure_text(after, check), ""]
    if not lines:
        return [
            t(
                "No change in {exercise}'s checks: {score} / {max_score}.",
                exercise=after.id,
                score=after.score,
                max_score=after.max_score,
            )
        ]
    summary = t(
        "{exercise}: {score} / {max_score} (was {before})",
        exercise=after.id,
        score=after.score,
        max_score=after.max_score,
        before=before.score,
    )
    return [summary, *lines]


def _failures(result: ExerciseResult) -> list[str]:
    lines: list[str] = []
    for check in result.checks:
        if check.message:
            lines += ["", *failure_text(result, check)]
    return lines


@dataclass
class Watch:
    submission: Path
    methods: Sequence[str] | None
    exercises: tuple[ExerciseInfo, ...] = field(default_factory=load_catalogue)
    results: dict[str, ExerciseResult] = field(default_factory=dict)
    current: ExerciseInfo | None = None
    hint_level: int = 1
    events: queue.Queue[Event] = field(default_factory=queue.Queue)
    stop: threading.Event = field(default_factory=threading.Event)
    grading: threading.Thread | None = None
    busy: bool = False
    """A grading was started and its result not yet handled. Set and cleared by the main
    thread only: the grading thread may still be alive when its result is handled."""
    again: bool = False
    """A save came while grading: grade once more when it ends."""
    fresh: bool = False
    """The current exercise was just chosen: show its whole report, not what changed."""

    # -- what the student sees -------------------------------------------------------------

    def say(self, *lines: str) -> None:
        print("\n".join(lines), flush=True)

    def full(self, exercise: ExerciseInfo) -> bool:
        result = self.results.get(exercise.id)
        return result is not None and result.score == result.max_score

    def progress(self) -> str:
        done = sum(self.full(exercise) for exercise in self.exercises)
        return progress_bar(done, len(self.exercises))

    def listing(self) -> list[str]:
        lines = []
        for exercise in self.exercises:
            result = self.results.get(exercise.id)
            score = f"{result.score:>2} / {result.max_score}" if result else "   ?"
            mark = ">" if exercise == self.current else ("*" if self.full(exercise) else " ")
            lines.append(f"{mark} {exercise.number}  {exercise.id:<32} {score}")
        return [*lines, self.progress()]

    def keys_line(self) -> str:
        return t(
            "Watching {file}: save it to grade again. Keys: h hint, n next, l list, q quit.",
            file=self.submission / self.current.filename if self.current else "",
        )

    # -- grading, one at a time, off the main thread ---------------------------------------

    def start_grading(self, chosen: Sequence[ExerciseInfo]) -> None:
        if self.busy:
            self.again = True
            return
        self.busy = True
        self.grading = threading.Thread(
            target=self._grade, args=(list(chosen),), name="lockstep-watch-grade"
        )
        self.grading.start()

    def _grade(self, chosen: list[ExerciseInfo]) -> None:
        try:
            result: GradeResult | str = grade(
                self.submission, chosen, start_methods=self.methods, hint_level=self.hint_level
            )
        except KitChanged:
            result = "changed"  # saved while the runs read it: grade the new version
        except Exception as error:  # a fault of the grader: say it, keep watching
            result = t("error: the grader itself failed (not your code). Please report this:")
            result += f"\n{error!r}"
        self.events.put(("graded", result))

    def next_unfinished(self, after: ExerciseInfo | None = None) -> ExerciseInfo | None:
        """The first exercise not at full marks, counting from the one after ``after``."""
        order = list(self.exercises)
        if after is not None:
            start = order.index(after) + 1
            order = [*order[start:], *order[:start]]
            order.remove(after)
        return next((exercise for exercise in order if not self.full(exercise)), None)

    def move_to(self, exercise: ExerciseInfo | None) -> None:
        self.current, self.hint_level, self.fresh = exercise, 1, True
        if exercise is None:
            self.say("", t("Every exercise is at full marks. Well done!"), self.progress())
            return
        self.say(
            "",
            self.progress(),
            t(
                "Next: {exercise} ({title}).",
                exercise=exercise.id,
                title=exercise.title_zh if current() == "zh" else exercise.title,
            ),
        )
        self.start_grading([exercise])

    # -- events ------------------------------------------------------------------------------

    def graded(self, outcome: GradeResult | str) -> None:
        self.busy = False
        first_look = not self.results
        before = dict(self.results)
        if isinstance(outcome, GradeResult):
            self.results.update((result.id, result) for result in outcome.exercises)
        if self.again or outcome == "changed":  # saved (or moved on) while it graded
            self.again = False
            self.start_grading([self.current] if self.current else self.exercises)
            return
        if isinstance(outcome, str):
            self.say(outcome)
            return
        if first_look:
            self.say(self.progress())
            self.move_to(self.next_unfinished())
            return
        if self.current is None or self.current.id not in {e.id for e in outcome.exercises}:
            return
        now = self.results[self.current.id]
        self.say("", *changes(None if self.fresh else before.get(self.current.id), now))
        self.fresh = False
        if now.score == now.max_score:
            self.say("", t("{exercise} is at full marks!", exercise=self.current.id))
            self.move_to(self.next_unfinished(self.current))
        else:
            self.say("", self.keys_line())

    def saved(self, names: set[str]) -> None:
        if self.current is not None and self.current.filename in names:
            self.say("", t("{file} saved: grading again...", file=self.current.filename))
            self.start_grading([self.current])

    def key(self, key: str) -> bool:
        """Act on a key; False to quit."""
        if key in ("q", "\x03", "\x04"):  # q, Ctrl+C where it arrives as a key (Windows), Ctrl+D
            return False
        if key == "l":
            self.say("", *self.listing())
        elif key == "n":
            self.move_to(self.next_unfinished(self.current) or self.current)
        elif key == "h" and self.current is not None:
            self.hint(self.current)
        return True

    def hint(self, exercise: ExerciseInfo) -> None:
        result = self.results.get(exercise.id)
        failing = [check for check in result.checks if check.status != "passed"] if result else []
        if self.hint_level >= HINT_LEVELS or not failing:
            self.say("", t("No more hints: that was the most direct one."))
            return
        self.hint_level += 1
        infos = {info.name: info.localized() for info in exercise.checks}
        self.say("")
        for check in failing:
            self.say(t("{check}: {hint}", check=check.name, hint=infos[check.name].hint2))

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> int:
        self.say(
            t(
                "Lockstep watch: grading all {count} exercises in {folder} to see where you are...",
                count=len(self.exercises),
                folder=self.submission,
            )
        )
        watcher = threading.Thread(target=self._watch, name="lockstep-watch-files", daemon=True)
        watcher.start()
        self.start_grading(self.exercises)
        try:
            with _keys() as read:
                keys = threading.Thread(
                    target=self._read_keys, args=(read,), name="lockstep-watch-keys", daemon=True
                )
                keys.start()
                self.loop()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop.set()
            self.again = False
            if self.grading is not None and self.grading.is_alive():
                self.say("", t("Waiting for the grading under way to end..."))
                self.grading.join()
            watcher.join(timeout=2)
        self.say("", *self.listing())
        return 0

    def loop(self) -> None:
        """Act on events until q (or Ctrl+D, or the end of the input)."""
        while True:
            try:
                kind, value = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "key" and not self.key(value):
                return
            if kind == "graded":
                self.graded(value)
            elif kind == "saved":
                self.saved(value)

    def _watch(self) -> None:
        import watchfiles

        for batch in watchfiles.watch(
            self.submission, stop_event=self.stop, step=50, debounce=400, rust_timeout=500
        ):
            self.events.put(("saved", {Path(path).name for _, path in batch}))

    def _read_keys(self, read: Callable[[], str]) -> None:
        while not self.stop.is_set():
            self.events.put(("key", read() or "\x04"))


@contextlib.contextmanager
def _keys() -> Iterator[Callable[[], str]]:
    """A function returning one key press ("" at the end of input): unbuffered in a terminal
    (the terminal is put back as it was on leaving), a line's first letter otherwise."""
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        yield msvcrt.getwch  # type: ignore[attr-defined,unused-ignore]
        return
    if not sys.stdin.isatty():
        yield lambda: (sys.stdin.readline() or "\x04")[:1] or "\x04"
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield lambda: os.read(fd, 1).decode(errors="replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def main(argv: Sequence[str]) -> int:
    with argparse_speaks():
        args = parser().parse_args(argv)
    if not args.submission.is_dir():
        print(
            t("error: the submission folder {folder} does not exist", folder=args.submission),
            file=sys.stderr,
        )
        return 2
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        print(
            t(
                "error: the watch mode needs the watchfiles package: run `nox -s watch`, which "
                "installs it (or `pip install watchfiles`)."
            ),
            file=sys.stderr,
        )
        return 2
    return Watch(args.submission, args.methods).run()
