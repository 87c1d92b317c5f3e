"""``sys.stdout`` and ``sys.stderr`` as a graded run has them: every line printed becomes a
record, with the process, the thread and the time, one record per line whatever the buffering."""

from __future__ import annotations

import io

from .protocol import ERR, OUT
from .records import emit, get_ident

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_LINE_CAP = 2000


class RecordingStream(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr``: one record per complete line, per thread
    (two threads printing at once never share a line)."""

    def __init__(self, stream: str, original: Any) -> None:
        super().__init__()
        self._stream = stream
        self._original = original
        self._pending: dict[int, str] = {}
        """What each thread wrote after its last newline, by thread ident."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    @property
    def buffer(self) -> Any:
        return getattr(self._original, "buffer", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return int(self._original.fileno())

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        ident = get_ident()
        pending = self._pending.pop(ident, "") + text
        if "\n" in pending:
            *lines, pending = pending.split("\n")
            for line in lines:
                self._record(line[:_LINE_CAP])
        if pending:
            self._pending[ident] = pending
            if len(pending) > _LINE_CAP:
                self.flush()
        return len(text)

    def flush(self) -> None:
        """Record the calling thread's unfinished line."""
        pending = self._pending.pop(get_ident(), "")
        if pending:
            self._record(pending[:_LINE_CAP], partial=True)

    def _record(self, line: str, **fields: Any) -> None:
        if self._stream == OUT:
            emit(OUT, line=line, **fields)
        else:
            emit(ERR, line=line, **fields)

    def forget(self) -> None:
        """Drop what a fork copied from the parent: the parent still owns those characters."""
        self._pending.clear()


def flush_records() -> None:
    """Record the calling thread's unfinished lines of both streams (a thread or a process
    ends: what it printed without a newline still counts)."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RecordingStream):
            stream.flush()
