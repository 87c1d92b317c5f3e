"""Where a hung process is stuck: its threads' stacks, read from a ``faulthandler`` dump."""

from __future__ import annotations

import linecache
import os
import re
from dataclasses import dataclass
from pathlib import Path

_THREAD = re.compile(r"^(Current thread|Thread) (0x[0-9a-fA-F]+)")
_STARTS = {("_bootstrap", "process.py"), ("_launch", "popen_fork.py")}
"""Where a child's own frames begin, in multiprocessing."""
_QUEUES_MODULE = "multiprocessing/queues.py"
_FRAME = re.compile(r'^\s+File "(?P<file>.*)", line (?P<line>\d+) in (?P<function>.*)$')
_TIMER_HEADER = "Timeout ("
_ESCAPE = re.compile(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})|\\U([0-9a-f]{8})")
"""How faulthandler writes a character outside ASCII: ``C:\\Users\\\u5f20\u4e09``."""


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str

    @property
    def code(self) -> str:
        """The source line, stripped (empty when the file cannot be read)."""
        return linecache.getline(self.file, self.line).strip()


@dataclass(frozen=True)
class ThreadStack:
    ident: str
    current: bool
    frames: tuple[Frame, ...]
    """Innermost first, as faulthandler prints them."""

    @property
    def number(self) -> int:
        """The ident as a number: ``threading.get_ident()`` of that thread, which the probe's
        thread records carry, so a dump's thread can be named."""
        return int(self.ident, 16)

    def own_frames(self) -> tuple[Frame, ...]:
        """The frames this process ran itself. A forked child's stack goes on with the frames
        of its parent, where it was made, below multiprocessing's ``_bootstrap`` (or, from
        Python 3.13, when it runs its exit handlers, below ``popen_fork``'s ``_launch``):
        ``p.start()`` is not where the child is."""
        for index, frame in enumerate(self.frames):
            path = Path(frame.file)
            if path.parent.name == "multiprocessing" and (frame.function, path.name) in _STARTS:
                return self.frames[: index + 1]
        return self.frames

    def exiting_with_queue_data(self) -> bool:
        """Whether the process has finished its target and waits at exit until what it put on
        a queue has been sent, which a big item only is once someone reads it."""
        return any(
            frame.function == "_finalize_join" and Path(frame.file).match(_QUEUES_MODULE)
            for frame in self.own_frames()
        )

    def innermost_in(self, folder: Path) -> Frame | None:
        """The innermost frame in a file under ``folder`` (the student's own line)."""
        resolved = folder.resolve()
        for frame in self.own_frames():
            try:
                if Path(frame.file).resolve().is_relative_to(resolved):
                    return frame
            except (OSError, ValueError):
                continue
        return None


def parse_dump(text: str) -> list[ThreadStack]:
    """The threads of one faulthandler dump, in the order printed (of the last one, where a
    timer wrote several: ``Timeout (0:00:00.250000)!`` heads each)."""
    text = text[max(text.rfind(_TIMER_HEADER), 0) :]
    threads: list[ThreadStack] = []
    ident: str | None = None
    current = False
    frames: list[Frame] = []
    for line in text.splitlines():
        header = _THREAD.match(line)
        if header:
            if ident is not None:
                threads.append(ThreadStack(ident, current, tuple(frames)))
            ident, current, frames = header.group(2), header.group(1) == "Current thread", []
            continue
        frame = _FRAME.match(line)
        if frame and ident is not None:
            file = _unescaped(frame["file"])
            frames.append(Frame(file, int(frame["line"]), frame["function"].strip()))
    if ident is not None:
        threads.append(ThreadStack(ident, current, tuple(frames)))
    return threads


def _unescaped(file: str) -> str:
    """The file's real name: a student's folder is often named in Chinese (张三), which a dump
    writes as escapes. Backslashes are not escaped (Windows paths are full of them), so the
    escapes are undone only when that names a file and the name as written does not."""
    if "\\" not in file or os.path.exists(file):
        return file
    real = _ESCAPE.sub(lambda m: chr(int(next(g for g in m.groups() if g), 16)), file)
    return real if os.path.exists(real) else file


def read_dumps(folder: Path) -> dict[int, list[ThreadStack]]:
    """Every process's dump in ``folder`` (files named ``<pid>.txt``), skipping empty ones."""
    stacks: dict[int, list[ThreadStack]] = {}
    for path in folder.glob("*.txt"):
        try:
            threads = parse_dump(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if threads and path.stem.isdigit():
            stacks[int(path.stem)] = threads
    return stacks
