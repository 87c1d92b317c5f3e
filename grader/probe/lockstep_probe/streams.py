"""``sys.stdout`` and ``sys.stderr`` as a graded run has them: still the program's own streams.

Each is a ``TextIOWrapper`` over the very buffer Python made for it, with its encoding, errors
and buffering, so what a program prints reaches file descriptors 1 and 2 when and as it would
without the grader, and fails as it would. Each line a write returned from becomes a record,
with the process, the thread and the time (the order printed, whatever the buffering); a write
or flush that failed says so (``WRITTEN`` with ``error``), so the grader can tell a line still
buffered when its process was stopped from outside (printed) from one whose bytes could never
be written (not printed). Where the bytes really went is the kernel's word: each process's
descriptors point at a file of its own (``outputs``)."""

from __future__ import annotations

import _thread
import io
import os
import sys

from .outputs import identity
from .protocol import ERR, OUT, WRITTEN
from .records import emit, get_ident

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_LINE_CAP = 2000
_originals: list[Any] = []
"""The streams Python made, detached from their buffers and kept alive: never finalized."""
_recording: list[RecordingStream] = []


class RecordingStream(io.TextIOWrapper):
    """Stands in for ``sys.stdout``/``sys.stderr``: the same buffer and settings, plus one
    record per complete line per thread (two threads printing at once never share a line)."""

    def __init__(self, stream: str, original: Any) -> None:
        settings = {
            "encoding": original.encoding,
            "errors": original.errors,
            "newline": None if os.name == "nt" else "\n",
            "line_buffering": original.line_buffering,
            "write_through": original.write_through,
        }
        mode = getattr(original, "mode", "w")
        super().__init__(original.detach(), **settings)
        _originals.append(original)
        self.mode = mode  # type: ignore[misc]  # set on Python's own, as here
        self._stream = stream
        self._descriptor = 1 if stream == "out" else 2
        self._failed = False
        self._target: Any = None
        """What the descriptor pointed at when it was the run's output (``describe``)."""
        self._count = 0
        """Lines recorded so far in this process (counted under ``_counting``: threads)."""
        self._counting = _thread.allocate_lock()
        self._flushed = 0
        """Lines recorded before the last flush that succeeded began: their bytes were written."""
        self._pending: dict[int, str] = {}
        """What each thread wrote after its last newline, by thread ident."""

    def write(self, text: str) -> int:
        try:
            written = super().write(text)
        except OSError as exc:
            self._failure(exc)
            raise
        self._still_the_output()
        ident = get_ident()
        pending = self._pending.pop(ident, "") + text
        if "\n" in pending:
            *lines, pending = pending.split("\n")
            for line in lines:
                self._record(line[:_LINE_CAP])
            with self._counting:
                self._count += len(lines)
        if pending:
            self._pending[ident] = pending
            if len(pending) > _LINE_CAP:
                self.record_unfinished()
        return written

    def flush(self) -> None:
        before = self._count
        try:
            super().flush()
        except OSError as exc:
            self._failure(exc)
            raise
        self._flushed = before
        self._still_the_output()
        self.record_unfinished()

    def record_unfinished(self) -> None:
        """Record the calling thread's unfinished line (it counts as printed too)."""
        pending = self._pending.pop(get_ident(), "")
        if pending:
            self._record(pending[:_LINE_CAP], partial=True)
            with self._counting:
                self._count += 1

    def _failure(self, exc: OSError | str) -> None:
        """The bytes in the buffer may never reach the output: said once per process."""
        if not self._failed:
            self._failed = True
            error = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
            emit(WRITTEN, stream=self._stream, error=error)

    def _still_the_output(self) -> None:
        """A descriptor closed and reused, or pointed elsewhere, takes the bytes away from the
        run's output: as good as a failed write, for what was buffered."""
        moved = self._target is not None and identity(self._descriptor) != self._target
        if moved and not self._failed:
            self._failure(f"file descriptor {self._descriptor} no longer the output")

    def _record(self, line: str, **fields: Any) -> None:
        if self._stream == OUT:
            emit(OUT, line=line, **fields)
        else:
            emit(ERR, line=line, **fields)

    def forget(self) -> None:
        """Drop what a fork copied from the parent: the parent still owns those characters."""
        self._pending.clear()
        self._failed = False
        self._target = None
        self._count = self._flushed = 0
        self._counting = _thread.allocate_lock()  # another thread may have held it at the fork

    def describe(self, observed: bool) -> None:
        """Say how this stream turns text into bytes, and whether its descriptor points at
        this process's own file (``outputs``)."""
        self._target = identity(self._descriptor) if observed else None
        emit(
            WRITTEN,
            stream=self._stream,
            encoding=self.encoding,
            errors=self.errors,
            observed=observed,
        )


def install(observed: dict[int, bool]) -> None:
    """Put recording streams in place of Python's own (``sys.__stdout__`` too, where it is
    the same object); ``observed``: by descriptor, whether it points at this process's file."""
    for stream, name, fd in (("out", "stdout", 1), ("err", "stderr", 2)):
        original = getattr(sys, name)
        if type(original) is not io.TextIOWrapper:
            continue  # None (descriptor closed at start) or not Python's own: left alone
        try:
            replacement = RecordingStream(stream, original)
        except (ValueError, OSError):
            continue
        if getattr(sys, f"__{name}__") is original:
            setattr(sys, f"__{name}__", replacement)
        setattr(sys, name, replacement)
        _recording.append(replacement)
        replacement.describe(observed.get(fd, False))


def after_fork(observed: dict[int, bool]) -> None:
    for stream in _recording:
        stream.forget()
        stream.describe(observed.get(stream._descriptor, False))


def unflushed() -> dict[str, int]:
    """By stream, how many of the lines this process recorded may still have been in its
    buffer (recorded after its last flush began): ``EXIT`` carries it, so that every other
    line of a process that ended by itself must have reached its output."""
    return {stream._stream: stream._count - stream._flushed for stream in _recording}


def flush_records() -> None:
    """Record the calling thread's unfinished lines of both streams (a thread or a process
    ends: what it printed without a newline still counts). Nothing is flushed: that is the
    program's business."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RecordingStream):
            stream.record_unfinished()
