"""How a batch shows its progress: a bar on a terminal, a plain line per student elsewhere.

On a terminal (and with ``rich`` installed: the ``instructor`` dependency group, which
``nox -s batch`` installs), one bar with the students graded so far, the elapsed time, an
estimate of the time left and the last student graded. Anywhere else (a CI log, a file, a
pipe), or without ``rich``, one line per student as it is graded: ``[12/30] alice  27/30``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from typing import TextIO

from .batch import Progress
from .gradebook import Row, progress_line, score_line


@contextlib.contextmanager
def shown(total: int, max_score: int, stream: TextIO | None = None) -> Iterator[Progress]:
    """A ``Progress`` callback for ``batch.grade_class`` that shows on ``stream`` (default:
    standard error) how the grading of ``total`` students goes."""
    stream = sys.stderr if stream is None else stream
    if stream.isatty() and importlib.util.find_spec("rich") is not None:
        with _bar(total, max_score, stream) as advance:
            yield advance
        return

    def line(done: int, total: int, row: Row) -> None:
        print(progress_line(done, total, row, max_score), file=stream, flush=True)

    yield line


@contextlib.contextmanager
def _bar(total: int, max_score: int, stream: TextIO) -> Iterator[Progress]:
    """A rich progress bar."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    columns = (
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
    )
    with Bar(*columns, console=Console(file=stream)) as bar:
        task = bar.add_task("", total=total)

        def advance(done: int, total: int, row: Row) -> None:
            bar.update(task, completed=done, description=f"last: {score_line(row, max_score)}")

        yield advance
